"""Demo users, one or more per role, and a past year of history, for a first look at the product."""

from dataclasses import dataclass
from datetime import timedelta

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from hotline import generator, services
from hotline.models import Category, Role, Unit, UnitKind, User
from hotline.months import previous_month
from intake.models import Ticket


@dataclass(frozen=True)
class DemoUser:
    username: str
    full_name: str
    unit_name: str
    roles: tuple[Role, ...]
    is_superuser: bool = False


HOTLINE_CENTER = "北京市12345市民服务热线服务中心"
DEMO_USERS = (
    DemoUser("admin", "系统管理员", "北京市", (Role.CITY_ADMIN,), is_superuser=True),
    DemoUser("agent", "王坐席", HOTLINE_CENTER, (Role.AGENT,)),
    DemoUser("dispatcher", "李派单", HOTLINE_CENTER, (Role.DISPATCHER,)),
    DemoUser("callback", "赵回访", HOTLINE_CENTER, (Role.CALLBACK_AGENT,)),
    DemoUser("supervisor", "陈督办", HOTLINE_CENTER, (Role.HOTLINE_SUPERVISOR,)),
    DemoUser("xincun", "刘承办", "新村街道", (Role.UNIT_OFFICER,)),
    DemoUser("xincun_leader", "孙书记", "新村街道", (Role.UNIT_LEADER,)),
    DemoUser("dahongmen", "周承办", "大红门街道", (Role.UNIT_OFFICER,)),
    DemoUser("water", "吴专员", "市水务局", (Role.UNIT_OFFICER,)),
    DemoUser("fengtai", "郑督查", "丰台区", (Role.DISTRICT_SUPERVISOR,)),
    DemoUser("fengtai_center", "冯派单", "丰台区", (Role.DISTRICT_DISPATCHER,)),
)


@transaction.atomic
def load(*, password: str) -> list[str]:
    """Create or reset the demo users; returns one printable line per login."""
    lines = []
    for demo in DEMO_USERS:
        unit = Unit.objects.filter(name=demo.unit_name).exclude(kind=UnitKind.DISTRICT_DEPARTMENT).get()
        user, _ = User.objects.get_or_create(username=demo.username)
        user.full_name = demo.full_name
        user.is_staff = user.is_superuser = demo.is_superuser
        user.set_password(password)
        user.save()
        for role in demo.roles:
            services.grant_role(user=user, unit=unit, role=role)
        roles = "、".join(str(role.label) for role in demo.roles)
        lines.append(f"{demo.username:<14} {password}  {roles} @ {unit.name}")
    return lines


def load_history(*, tickets: int) -> list[str]:
    """A past year of tickets up to now (hotline.generator: Beijing 2020's mix, scaled down), once:
    the rankings, trends and hot spots then have something to show on first open."""
    if tickets <= 0 or Ticket.objects.filter(created_by__username="generated-agent").exists():
        return []
    # The demo's unit users find every state in their queues: overdue, due soon, in progress, to sign.
    streets = Q(name__in=["新村街道", "大红门街道"], parent__name="丰台区")
    featured = Unit.objects.filter(streets | Q(name="市水务局", kind=UnitKind.CITY_DEPARTMENT))
    totals = generator.generate_here(
        tickets=tickets, hand_over=list(featured.values_list("pk", flat=True)), spikes=_spikes()
    )
    return [
        f"History: {totals['intake_ticket']} tickets of the past year, {totals['dispatch_assignment']} assignments, "
        f"{totals['evaluation_callback']} callbacks."
    ]


def _spikes() -> list[generator.Spike]:
    """Clusters the hot-spot rule finds: in three streets since the start of this month, cold
    radiators in the heating season (night building work outside it); night building work and
    illegal parking in two streets last month. Each stands well above its street's usual month."""
    today = timezone.localdate()
    this_month = max(today.replace(day=1), today - timedelta(days=7))
    last_month = previous_month(today.replace(day=1))
    category = dict(Category.objects.filter(code__in=["010101", "060101", "070101"]).values_list("code", "pk"))
    current = category["010101" if today.month in generator.HEATING_MONTHS else "060101"]
    streets = [
        Unit.objects.filter(kind=UnitKind.STREET, parent__name=district)
        .order_by("code")
        .values_list("pk", flat=True)[0]
        for district in ("丰台区", "朝阳区", "海淀区", "西城区", "通州区")
    ]
    spikes = [
        generator.Spike(streets[3], category["060101"], start=last_month + timedelta(days=9), days=10, tickets=16),
        generator.Spike(streets[4], category["070101"], start=last_month + timedelta(days=3), days=12, tickets=15),
    ]
    days = (today - this_month).days
    if days:
        spikes += [generator.Spike(s, current, start=this_month, days=days, tickets=14) for s in streets[:3]]
    return spikes
