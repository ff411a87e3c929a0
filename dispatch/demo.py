"""Demo dispatch: the shipped catalogue, and the intake demo's waiting tickets sent to the demo
units, some signed and one replied, so that every demo user finds work on the workbench; and three
tickets dispatched to 丰台区, whose sub-centre has one to pass down, one with 新村街道 and one its
unit replied to, to confirm. Idempotent."""

from django.db import transaction
from django.utils import timezone

from dispatch import services
from dispatch.models import Assignment, AssignmentStatus, ExtensionRequest, ReplyOutcome, ReturnReason, ReturnRequest
from hotline.models import Category, Unit, UnitKind, User
from intake import services as intake_services
from intake.lifecycle import Status
from intake.models import Channel, Kind, Ticket
from intake.services import NewTicket

DISTRICT = "丰台区"
DISTRICT_DISPATCHER = "fengtai_center"
# Tickets the hotline dispatches to the district (by idempotency key): (phone, name, category code,
# kind, street, description) and where they are below it: (unit passed down to, its user, how far).
DISTRICT_TICKETS = {
    "demo-district-0": (
        ("13810002001", "韩先生", "060203", Kind.REPORT, "新村街道", "小区12号楼楼顶新搭了一间彩钢板房，疑似违建。"),
        None,
    ),
    "demo-district-1": (
        ("13810002002", "冯女士", "110101", Kind.HELP, "新村街道", "家中老人申请低保两个月了，一直没有结果。"),
        ("新村街道", "xincun", "sign"),
    ),
    "demo-district-2": (
        ("13810002003", "曹先生", "130203", Kind.COMPLAINT, "大红门街道", "小区广场舞音响每晚放到十点以后。"),
        ("大红门街道", "dahongmen", "reply"),
    ),
}

# Intake demo tickets (by idempotency key) → (lead unit, unit user, how far it gets).
PLAN = {
    "demo-1": ("新村街道", "xincun", "reply"),
    "demo-4": ("新村街道", "xincun", "dispatch"),
    "demo-2": ("大红门街道", "dahongmen", "sign"),
    "demo-3": ("市水务局", "water", "dispatch"),
}


@transaction.atomic
def load(*, password: str) -> list[str]:
    services.load_catalogue(rows=services.read_catalogue_rows(), valid_from=timezone.localdate())
    dispatcher = User.objects.get(username="dispatcher")
    units = {
        unit.name: unit
        for unit in Unit.objects.filter(name__in={p[0] for p in PLAN.values()})
        .exclude(kind=UnitKind.DISTRICT_DEPARTMENT)
        .filter(parent__name__in=["北京市", "丰台区"])
    }
    for key, (unit_name, username, step) in PLAN.items():
        ticket = Ticket.objects.filter(idempotency_key=key).first()
        if ticket is None:
            continue
        if ticket.status == Status.AWAITING_DISPATCH and not ticket.assignments.exists():
            services.dispatch_ticket(ticket_id=ticket.pk, lead_unit_id=units[unit_name].pk, actor=dispatcher)
        officer = User.objects.get(username=username)
        assignment = Assignment.objects.filter(ticket=ticket, ended_at__isnull=True, role="lead").first()
        if assignment is None:
            continue
        if step in ("sign", "reply") and assignment.status == AssignmentStatus.DISPATCHED:
            signed = services.sign(assignment_id=assignment.pk, actor=officer)
            if signed.first_contact_due_at is not None:
                services.record_first_contact(
                    assignment_id=assignment.pk, actor=officer, note="电话联系诉求人，约定次日现场查看。"
                )
            services.add_progress(assignment_id=assignment.pk, actor=officer, text="已安排工作人员到现场核查。")
        if step == "reply" and Assignment.objects.get(pk=assignment.pk).status == AssignmentStatus.SIGNED:
            services.reply(
                assignment_id=assignment.pk,
                actor=officer,
                text="经现场核查，工地已停止夜间施工，并承诺22时后不再作业。",
                outcome=ReplyOutcome.RESOLVED,
            )
    _ask_for_reviews()
    _district_work(dispatcher=dispatcher)
    return []


def _district_work(*, dispatcher: User) -> None:
    """The district sub-centre's workbench: its tickets at each step of passing them down."""
    district = Unit.objects.get(name=DISTRICT, kind=UnitKind.DISTRICT)
    center = User.objects.get(username=DISTRICT_DISPATCHER)
    agent = User.objects.get(username="agent")
    for key, ((phone, name, code, kind, street, description), below) in DISTRICT_TICKETS.items():
        ticket = intake_services.submit_intake(
            data=NewTicket(
                channel=Channel.PHONE,
                kind=kind,
                category=Category.objects.get(code=code),
                description=description,
                phone=phone,
                caller_name=name,
                street=Unit.objects.get(name=street, parent=district),
            ),
            actor=agent,
            idempotency_key=key,
        ).ticket
        if ticket.status == Status.AWAITING_DISPATCH and not ticket.assignments.exists():
            services.dispatch_ticket(ticket_id=ticket.pk, lead_unit_id=district.pk, actor=dispatcher)
        lead = Assignment.objects.filter(ticket=ticket, unit=district, role="lead", ended_at__isnull=True).first()
        if lead is None:
            continue
        if lead.status == AssignmentStatus.DISPATCHED:
            services.sign(assignment_id=lead.pk, actor=center)
        if below is None or lead.sub_assignments.exists():
            continue
        unit_name, username, step = below
        unit = Unit.objects.get(name=unit_name, parent=district)
        sub = services.subdispatch(
            assignment_id=lead.pk, actor=center, lead_unit_id=unit.pk, note="请街道核实情况，按期反馈区分中心。"
        )[0]
        officer = User.objects.get(username=username)
        services.sign(assignment_id=sub.pk, actor=officer)
        services.record_first_contact(assignment_id=sub.pk, actor=officer, note="已电话联系诉求人，了解具体情况。")
        if step == "reply":
            services.reply(
                assignment_id=sub.pk,
                actor=officer,
                text="经社区协调，广场舞队已调低音量并于21时前结束活动。",
                outcome=ReplyOutcome.RESOLVED,
            )


def _ask_for_reviews() -> None:
    """The dispatcher's 审核 has work: 大红门街道 asks for more time on its signed demo ticket, and
    市水务局 asks to return the first of the tickets it has not signed yet."""
    dahongmen, water = User.objects.get(username="dahongmen"), User.objects.get(username="water")
    signed = Assignment.objects.filter(
        ticket__idempotency_key="demo-2", ended_at__isnull=True, status=AssignmentStatus.SIGNED
    ).first()
    if signed is not None and not ExtensionRequest.objects.filter(assignment=signed).exists():
        services.request_extension(
            assignment_id=signed.pk, actor=dahongmen, extra_days=3, reason="需协调自来水集团排查管网，预计3天内完成。"
        )
    if ReturnRequest.objects.filter(assignment__unit__memberships__user=water).exists():
        return
    to_sign = (
        Assignment.objects.filter(
            unit__memberships__user=water, role="lead", ended_at__isnull=True, status=AssignmentStatus.DISPATCHED
        )
        .exclude(ticket__idempotency_key__in=PLAN)
        .order_by("dispatched_at")
        .first()
    )
    if to_sign is not None:
        services.request_return(
            assignment_id=to_sign.pk,
            actor=water,
            reason=ReturnReason.NOT_RESPONSIBLE,
            legal_basis="依据《北京市水务局职能配置、内设机构和人员编制规定》，小区内部供水设施维修由产权单位负责。",
            note="建议派往属地街道协调物业处理。",
        )
