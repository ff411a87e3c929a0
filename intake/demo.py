"""Demo knowledge base and tickets: a morning at the hotline, in every intake outcome."""

from django.db import transaction
from rest_framework.authtoken.models import Token

from hotline.models import Category, Unit, User
from intake import services
from intake.classifier.training import train_from_tickets
from intake.models import (
    CategoryModel,
    Channel,
    Disposition,
    ExternalPlatform,
    Kind,
    KnowledgeArticle,
    Ticket,
    Urgency,
)
from intake.services import NewTicket, Outcome

ARTICLES = [
    (
        "北京市供暖期时间",
        "Beijing's heating season",
        "本市法定供暖期为每年11月15日至次年3月15日，可根据天气提前或延长。供暖期内卧室、起居室温度不应低于18℃。",
        "The heating season runs from 15 November to 15 March and may start earlier or end later with the "
        "weather. During it, bedrooms and living rooms must be at least 18 °C.",
        ["010101", "010102"],
    ),
    (
        "停水停电信息查询",
        "Planned water and power cuts",
        "计划停水可拨打自来水集团96116查询，计划停电可拨打国网北京市电力公司95598查询。",
        "Planned water cuts: Beijing Waterworks Group, 96116. Planned power cuts: State Grid Beijing Electric "
        "Power Company, 95598.",
        ["010301", "010501"],
    ),
    (
        "养犬登记办理流程",
        "Registering a dog",
        "在本市重点管理区内养犬须办理养犬登记，携带犬只免疫证明到居住地派出所办理，每年年检。",
        "In the city's key management areas every dog must be registered: bring its vaccination certificate to "
        "the police station where you live. The registration is renewed every year.",
        ["080503"],
    ),
    (
        "预付卡消费退费维权",
        "Refunds of prepaid cards",
        "经营者停业或闭店的，消费者可保留合同、收据等凭证，向所在区市场监管部门投诉或依法提起民事诉讼。",
        "When a business closes, keep the contract and receipts and complain to the district's market "
        "regulation authority, or sue in a civil court.",
        ["030401", "030402"],
    ),
]

# Requests other platforms transferred: (channel, external id, phone, name, category, street, text).
PLATFORM_TICKETS = [
    (
        Channel.GOV_SUPERVISION,
        "DC-2026-000187",
        "13810002001",
        "何先生",
        "060101",
        "新村街道",
        "（国办互联网+督查平台转办）反映小区旁工地长期夜间施工，多次投诉未解决。",
    ),
    (
        Channel.MESSAGE_BOARD,
        "LY-8805123",
        "13810002002",
        "马女士",
        "010101",
        "大红门街道",
        "（人民网领导留言板）小区今冬供暖温度一直不达标，希望领导关注。",
    ),
    (
        Channel.MINI_PROGRAM,
        "XCX-20261205-0042",
        "13810002003",
        "",
        "040501",
        "新村街道",
        "（国家政务服务投诉与建议小程序）楼内群租房隔断过多，存在消防隐患。",
    ),
]

# (phone, name, category code, kind, street, description, outcome, extra)
TICKETS = [
    (
        "13810001001",
        "刘女士",
        "010101",
        Kind.COMPLAINT,
        "新村街道",
        "新村街道某小区5号楼暖气不热，室温只有15度。",
        Outcome.DISPATCH,
        {},
    ),
    (
        "13810001002",
        "陈先生",
        "060101",
        Kind.COMPLAINT,
        "新村街道",
        "小区旁工地夜间施工到凌晨两点，噪音扰民。",
        Outcome.DISPATCH,
        {},
    ),
    (
        "13810001003",
        "周女士",
        "040501",
        Kind.REPORT,
        "大红门街道",
        "楼下一套两居室隔成十几间出租，存在消防隐患。",
        Outcome.DISPATCH,
        {},
    ),
    (
        "13810001004",
        "吴先生",
        "010301",
        Kind.HELP,
        "大红门街道",
        "整栋楼从早上开始停水，没有接到任何通知。",
        Outcome.DISPATCH,
        {},
    ),
    (
        "13810001005",
        "郑女士",
        "080501",
        Kind.COMPLAINT,
        "新村街道",
        "小区内多人遛狗不拴绳，孩子被吓到。",
        Outcome.DISPATCH,
        {},
    ),
    (
        "13810001006",
        "王先生",
        "010102",
        Kind.CONSULTATION,
        "",
        "想问今年什么时候开始供暖。",
        Outcome.ANSWER,
        {"article": "北京市供暖期时间"},
    ),
    (
        "13810001007",
        "李女士",
        "080503",
        Kind.CONSULTATION,
        "",
        "咨询养犬登记需要带什么材料。",
        Outcome.ANSWER,
        {"article": "养犬登记办理流程"},
    ),
    (
        "13810001008",
        "赵先生",
        "010601",
        Kind.HELP,
        "",
        "楼道里有很浓的燃气味。",
        Outcome.CLOSE,
        {"disposition": Disposition.TRANSFERRED_119},
    ),
    (
        "13810001009",
        "孙女士",
        "030402",
        Kind.COMPLAINT,
        "",
        "健身房突然闭店，会员卡还剩两万元。",
        Outcome.CLOSE,
        {"disposition": Disposition.LEGAL_ROUTE},
    ),
]


@transaction.atomic
def load(*, password: str) -> list[str]:
    """Idempotent: articles by title, tickets by an idempotency key per demo row."""
    categories = {c.code: c for c in Category.objects.filter(level=3)}
    admin = User.objects.get(username="admin")
    agent = User.objects.get(username="agent")
    articles = {}
    for title, title_en, body, body_en, codes in ARTICLES:
        article, _created = KnowledgeArticle.objects.get_or_create(
            title=title, defaults={"body": body, "title_en": title_en, "body_en": body_en, "updated_by": admin}
        )
        if not article.title_en:  # a demo loaded before articles had English names
            article.title_en, article.body_en = title_en, body_en
            article.save(update_fields=["title_en", "body_en"])
        article.categories.set([categories[code] for code in codes])
        articles[title] = article
    # A first category model from the tree's own words, so smart dispatch suggests from the start;
    # the weekly training then learns from the tickets.
    lines = []
    if not CategoryModel.objects.filter(is_active=True).exists():
        version = train_from_tickets().version
        lines.append(f"category model v{version} trained from the category tree")
    streets = {u.name: u for u in Unit.objects.filter(name__in=["新村街道", "大红门街道"], parent__name="丰台区")}
    for index, (phone, name, code, kind, street, description, outcome, extra) in enumerate(TICKETS):
        services.submit_intake(
            data=NewTicket(
                channel=Channel.PHONE,
                kind=kind,
                category=categories[code],
                description=description,
                phone=phone,
                caller_name=name,
                street=streets.get(street),
                urgency=Urgency.EMERGENCY if code == "010601" else Urgency.NORMAL,
            ),
            actor=agent,
            outcome=outcome,
            idempotency_key=f"demo-{index}",
            article=articles.get(extra.get("article", "")),
            disposition=extra.get("disposition", ""),
        )
    # A repeat caller about the heating in the same building, merged into the first ticket.
    first = Ticket.objects.get(idempotency_key="demo-0")
    services.submit_intake(
        data=NewTicket(
            channel=Channel.WECHAT,
            kind=Kind.COMPLAINT,
            category=categories["010101"],
            description="同一小区5号楼，暖气一直不热。",
            phone="13810001010",
            caller_name="钱先生",
            street=streets["新村街道"],
        ),
        actor=agent,
        outcome=Outcome.MERGE,
        merge_into_id=first.pk,
        idempotency_key="demo-merge",
    )
    lines.extend(_load_platforms(categories=categories, streets=streets))
    return lines


def _load_platforms(*, categories: dict[str, Category], streets: dict[str, Unit]) -> list[str]:
    """The external platforms' channel clients (their tokens printed beside the demo logins) and a
    request from each, posted as its client would: idempotent by the platform's external id."""
    lines = []
    clients = {}
    for channel in (Channel.GOV_SUPERVISION, Channel.MESSAGE_BOARD, Channel.MINI_PROGRAM):
        platform = ExternalPlatform.objects.filter(channel=channel).first()
        if platform is None:
            platform = services.create_channel_client(channel=channel).platform
        token, _created = Token.objects.get_or_create(user=platform.client)
        clients[channel] = platform.client
        lines.append(f"{platform.code:<14} channel client token: {token.key}  ({platform.name})")
    for channel, external_id, phone, name, code, street, description in PLATFORM_TICKETS:
        services.submit_intake(
            data=NewTicket(
                channel=channel,
                kind=Kind.COMPLAINT,
                category=categories[code],
                description=description,
                phone=phone,
                caller_name=name,
                street=streets.get(street),
                external_id=external_id,
                external_url=f"https://example.org/{channel}/{external_id}",
            ),
            actor=clients[channel],
        )
    return lines
