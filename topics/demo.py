"""Demo monthly topics (每月一题), after the real ones of 2021–2022 (seed 000): 房产证办证难 with
"无错优先", heating treated in summer (冬病夏治) in Haidian, the historic waterlogging points before
the flood season, and parking in two streets of Fengtai whose demo staff post progress.

Each is adopted some months into the demo's history, so its page has months before and after;
measures, some done, and progress updates by its units. Idempotent: a topic whose title exists is
left as it is (and relinked).
"""

from dataclasses import dataclass
from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from hotline.models import Category, Unit, UnitKind, User
from hotline.months import add_months
from intake.models import Ticket
from topics import selectors, services
from topics.models import Topic, TopicMeasure, TopicProgress, TopicSource, TopicStatus
from topics.services import TopicInput


@dataclass(frozen=True)
class DemoMeasure:
    text: str
    owner: str
    due_in_days: int
    done: bool


@dataclass(frozen=True)
class DemoTopic:
    title: str
    problem: str
    category: str  # a category code
    keywords: str
    places: tuple[tuple[str, str], ...]  # (district, street or "")
    lead: tuple[str, str]  # (parent name or "", unit name)
    co_units: tuple[tuple[str, str], ...]
    months_ago: int  # the topic's month, counted back from this month
    status: str
    measures: tuple[DemoMeasure, ...]
    progress: tuple[tuple[str, str], ...]  # (username, text)


TOPICS = (
    DemoTopic(
        title="房产证办证难",
        problem="部分商品房项目因开发企业违规，购房人长期无法办理不动产权证书，反复来电。",
        category="0404",
        keywords="房产证，不动产权证",
        places=(),
        lead=("北京市", "市规划自然资源委"),
        co_units=(("北京市", "市住房城乡建设委"),),
        months_ago=5,
        status=TopicStatus.CONTINUING,
        measures=(
            DemoMeasure(
                "“无错优先”：开发建设单位与购房人责任分开，优先为无过错购房人办证", "市规划自然资源委", -60, True
            ),
            DemoMeasure("对开发企业违法行为开展联合惩戒", "市住房城乡建设委", 30, False),
        ),
        progress=(("admin", "已梳理历史遗留项目清单，首批项目购房人开始办证。"),),
    ),
    DemoTopic(
        title="供暖不热（冬病夏治）",
        problem="老旧小区供热管网老化，供暖季室温不达标，投诉集中。",
        category="0101",
        keywords="暖气不热，室温",
        places=(("海淀区", ""),),
        lead=("北京市", "市城市管理委"),
        co_units=(("北京市", "北京热力集团"),),
        months_ago=3,
        status=TopicStatus.IN_PROGRESS,
        measures=(
            DemoMeasure("组织供热单位开展风险隐患排查和供热源头治理", "北京热力集团", -20, True),
            DemoMeasure("对80个小区开展“冬病夏治”管网改造", "北京热力集团", 40, False),
        ),
        progress=(("admin", "供热单位已完成隐患排查，确定改造小区名单。"),),
    ),
    DemoTopic(
        title="汛期道路积水",
        problem="汛期历史积水点、下凹式立交桥积水，影响通行安全。",
        category="1604",
        keywords="积水，内涝",
        places=(),
        lead=("北京市", "市水务局"),
        co_units=(("北京市", "北京排水集团"),),
        months_ago=4,
        status=TopicStatus.IN_PROGRESS,
        measures=(
            DemoMeasure("发布典型历史积水内涝点位图和下凹式立交桥分布图", "市水务局", -90, True),
            DemoMeasure("汛前疏通雨水口、清掏管道", "北京排水集团", -30, True),
        ),
        progress=(("water", "已发布139处典型历史积水内涝点位图。"),),
    ),
    DemoTopic(
        title="老旧小区停车难",
        problem="老旧小区车位不足，违章停车、私装地锁问题突出。",
        category="0701",
        keywords="停车，车位",
        places=(("丰台区", "新村街道"), ("丰台区", "大红门街道")),
        lead=("丰台区", "新村街道"),
        co_units=(("丰台区", "大红门街道"),),
        months_ago=2,
        status=TopicStatus.ADOPTED,
        measures=(
            DemoMeasure("挖潜周边单位错时共享车位", "新村街道", 20, False),
            DemoMeasure("清理僵尸车和私装地锁", "大红门街道", 10, False),
        ),
        progress=(("xincun", "已与周边两家单位签订错时停车协议，提供车位60个。"),),
    ),
)


def _unit(parent: str, name: str) -> Unit | None:
    return (
        Unit.objects.filter(parent__name=parent, name=name).first()
        if parent
        else Unit.objects.filter(name=name).first()
    )


def _place(district: str, street: str) -> Unit | None:
    if not street:
        return Unit.objects.filter(kind=UnitKind.DISTRICT, name=district).first()
    return Unit.objects.filter(parent__name=district, name=street).first()


@transaction.atomic
def load(*, password: str) -> list[str]:
    admin = User.objects.filter(username="admin").first()
    if admin is None or not Ticket.objects.exists():
        return []
    this_month = timezone.localdate().replace(day=1)
    created = 0
    for demo in TOPICS:
        category = Category.objects.filter(code=demo.category).first()
        lead = _unit(*demo.lead)
        if category is None or lead is None:
            continue
        existing = Topic.objects.filter(title=demo.title).first()
        if existing is not None:
            services.relink_topic(topic_id=existing.pk)
            continue
        month = add_months(this_month, -demo.months_ago)
        topic = services.adopt_topic(
            actor=admin,
            data=TopicInput(
                title=demo.title,
                problem=demo.problem,
                lead_unit=lead,
                month=month,
                tracked_from=add_months(month, -6),
                categories=[category],
                keywords=demo.keywords,
                places=[unit for unit in (_place(*place) for place in demo.places) if unit is not None],
                co_units=[unit for unit in (_unit(*co) for co in demo.co_units) if unit is not None],
                source=TopicSource.CANDIDATE,
            ),
        )
        for measure in demo.measures:
            owner = Unit.objects.filter(name=measure.owner).first() or lead
            due = timezone.localdate() + timedelta(days=measure.due_in_days)
            TopicMeasure.objects.create(
                topic=topic,
                text=measure.text,
                owner=owner,
                due_date=due,
                done_at=timezone.now() - timedelta(days=3) if measure.done else None,
            )
        for username, text in demo.progress:
            author = User.objects.filter(username=username).first() or admin
            TopicProgress.objects.create(
                topic=topic, author=author, text=text, unit=selectors.posting_unit(user=author, topic=topic)
            )
        Topic.objects.filter(pk=topic.pk).update(status=demo.status)
        created += 1
    return [f"Monthly topics: {created} adopted ({len(TOPICS)} in the demo)."]
