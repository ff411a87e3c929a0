"""In-app notifications: idempotent senders, the reads behind the badge and list, mark-read.

Senders are safe to call from retries and from sweeps that run twice: a notification is
unique per (recipient, key), so a second call with the same key adds nothing. New
notifications of a kind in settings.HOTLINE_SMS_KINDS also go out as SMS to recipients
with a mobile number, recorded in the same transaction and sent after commit.
"""

from collections import defaultdict
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from hotline import sms
from hotline.errors import DomainError
from hotline.models import Membership, Notification, Role, SmsMessage, Unit, User
from hotline.roles import UNIT_STAFF_ROLES

_TITLE_MAX = Notification._meta.get_field("title").max_length
_KEY_MAX = Notification._meta.get_field("key").max_length
_SMS_TEXT_MAX = 300
# Rows per INSERT: keeps the bound parameters under PostgreSQL's and SQLite's limits.
_INSERT_BATCH = 1000


def notify_users(*, users: Iterable[User], kind: str, title: str, body: str = "", link: str = "", key: str) -> int:
    """Notify each user once per `key`; returns how many notifications are new."""
    recipients = {user.pk: user for user in users}
    if not recipients:
        return 0
    if len(key) > _KEY_MAX:
        raise ValueError(f"notification key longer than {_KEY_MAX} characters")
    title = title[:_TITLE_MAX]
    with transaction.atomic():
        ids = sorted(recipients)
        rows = [(recipient_id, kind, title, body, link, key) for recipient_id in ids]
        new = [
            (pk, recipient_id)
            for start in range(0, len(rows), _INSERT_BATCH)
            for pk, recipient_id, _key in _insert_rows(rows[start : start + _INSERT_BATCH])
        ]
        if kind in settings.HOTLINE_SMS_KINDS:
            text = f"{title}：{body}" if body else title
            messages = [
                SmsMessage(phone=recipients[recipient_id].mobile, text=text[:_SMS_TEXT_MAX], key=f"notification:{pk}")
                for pk, recipient_id in new
                if recipients[recipient_id].mobile
            ]
            # Keys derive from fresh notification ids, so these rows cannot exist yet.
            created = SmsMessage.objects.bulk_create(messages)
            sms.enqueue_on_commit(sms_ids=[message.pk for message in created])
    return len(new)


def unit_members(*, unit: Unit, roles: Iterable[str]) -> QuerySet[User]:
    """Active users holding one of `roles` in `unit`."""
    return User.objects.filter(is_active=True, memberships__unit=unit, memberships__role__in=list(roles)).distinct()


def notify_unit(
    *,
    unit: Unit,
    kind: str,
    title: str,
    body: str = "",
    link: str = "",
    key: str,
    roles: Iterable[str] = UNIT_STAFF_ROLES,
) -> int:
    """Notify the unit's active members holding `roles` (officers and leaders by default)."""
    users = unit_members(unit=unit, roles=roles)
    return notify_users(users=users, kind=kind, title=title, body=body, link=link, key=key)


def notify_district_supervisors(
    *, district: Unit, kind: str, title: str, body: str = "", link: str = "", key: str
) -> int:
    """Notify the district supervisors of `district` (escalations of overdue tickets)."""
    users = unit_members(unit=district, roles=[Role.DISTRICT_SUPERVISOR])
    return notify_users(users=users, kind=kind, title=title, body=body, link=link, key=key)


def notify_roles(*, roles: Iterable[str], kind: str, title: str, body: str = "", link: str = "", key: str) -> int:
    """Notify every active holder of one of `roles`, whichever unit holds them (the hotline's own
    staff: dispatchers for the review queues, supervisors for escalations)."""
    users = User.objects.filter(is_active=True, memberships__role__in=list(roles)).distinct()
    return notify_users(users=users, kind=kind, title=title, body=body, link=link, key=key)


# Reads


def notifications_for(*, user: User, unread_only: bool = False) -> QuerySet[Notification]:
    """The user's notifications, newest first."""
    rows = Notification.objects.filter(recipient=user)
    if unread_only:
        rows = rows.filter(read_at__isnull=True)
    return rows.order_by("-id")


def unread_count(*, user: User) -> int:
    """One COUNT over the partial index of unread rows."""
    return Notification.objects.filter(recipient=user, read_at__isnull=True).count()


# Writes


def mark_read(*, user: User, notification_id: int) -> Notification:
    """Mark one of the user's notifications read (idempotent); another user's id is not found."""
    now = timezone.now()
    Notification.objects.filter(pk=notification_id, recipient=user, read_at__isnull=True).update(read_at=now)
    notification = Notification.objects.filter(pk=notification_id, recipient=user).first()
    if notification is None:
        raise DomainError("not_found", _("Notification not found."), status=404)
    return notification


def mark_all_read(*, user: User) -> int:
    """Mark every unread notification of the user read; returns how many changed."""
    return Notification.objects.filter(recipient=user, read_at__isnull=True).update(read_at=timezone.now())


@dataclass(frozen=True)
class Notice:
    """One notification to the members of a unit holding `roles` (for `notify_units_bulk`); with no
    unit, to every holder of `roles` wherever they hold it (the hotline's own staff)."""

    unit_id: int | None
    roles: Collection[str]
    kind: str
    title: str
    link: str
    key: str
    body: str = ""


def notify_units_bulk(*, notices: Sequence[Notice]) -> int:
    """Many unit notifications at once, for the deadline sweeps: one members query and one INSERT
    per 1,000 rows instead of two queries per notice. Same guarantees as `notify_users`: unique per
    (recipient, key), SMS only for new rows of an SMS kind. Returns how many are new."""
    if not notices:
        return 0
    members: dict[tuple[int | None, str], list[tuple[int, str]]] = defaultdict(list)
    anywhere = {role for notice in notices if notice.unit_id is None for role in notice.roles}
    in_units = Q(
        unit_id__in={notice.unit_id for notice in notices if notice.unit_id is not None},
        role__in={role for notice in notices if notice.unit_id is not None for role in notice.roles},
    )
    rows = Membership.objects.filter(in_units | Q(role__in=anywhere), user__is_active=True).values_list(
        "unit_id", "role", "user_id", "user__mobile"
    )
    for unit_id, role, user_id, mobile in rows:
        members[(unit_id, role)].append((user_id, mobile))
        if role in anywhere:
            members[(None, role)].append((user_id, mobile))
    wanted: dict[tuple[int, str], tuple[int, str, Notice]] = {}
    for notice in notices:
        for role in notice.roles:
            for user_id, mobile in members[(notice.unit_id, role)]:
                wanted.setdefault((user_id, notice.key[:_KEY_MAX]), (user_id, mobile, notice))
    values = list(wanted.values())
    rows = [
        (user_id, notice.kind, notice.title[:_TITLE_MAX], notice.body, notice.link, notice.key[:_KEY_MAX])
        for user_id, _mobile, notice in values
    ]
    with transaction.atomic():
        new = [
            row
            for start in range(0, len(rows), _INSERT_BATCH)
            for row in _insert_rows(rows[start : start + _INSERT_BATCH])
        ]
        by_key = {(user_id, notice.key[:_KEY_MAX]): (mobile, notice) for user_id, mobile, notice in values}
        messages = []
        for pk, recipient_id, key in new:
            mobile, notice = by_key[(recipient_id, key)]
            if mobile and notice.kind in settings.HOTLINE_SMS_KINDS:
                text = f"{notice.title}：{notice.body}" if notice.body else notice.title
                messages.append(SmsMessage(phone=mobile, text=text[:_SMS_TEXT_MAX], key=f"notification:{pk}"))
        created = SmsMessage.objects.bulk_create(messages)
        sms.enqueue_on_commit(sms_ids=[message.pk for message in created])
    return len(new)


def _insert_rows(rows: list[tuple[int, str, str, str, str, str]]) -> list[tuple[int, int, str]]:
    """One INSERT … ON CONFLICT DO NOTHING RETURNING for (recipient_id, kind, title, body, link, key)
    rows: (id, recipient_id, key) of the rows really added.

    The ORM's bulk_create(ignore_conflicts=True) cannot tell new rows from skipped ones, and
    SMS must go out only for new ones. PostgreSQL and SQLite ≥ 3.35 both speak this SQL.
    """
    meta = Notification._meta
    now = meta.get_field("created_at").get_db_prep_save(timezone.now(), connection)
    columns = ["recipient_id", "kind", "title", "body", "link", "key", "created_at"]
    placeholders = ", ".join(["(" + ", ".join(["%s"] * len(columns)) + ")"] * len(rows))
    params = [value for row in rows for value in (*row, now)]
    quote = connection.ops.quote_name
    sql = (
        f"INSERT INTO {quote(meta.db_table)} ({', '.join(quote(c) for c in columns)}) VALUES {placeholders} "
        f"ON CONFLICT ({quote('recipient_id')}, {quote('key')}) DO NOTHING "
        f"RETURNING {quote('id')}, {quote('recipient_id')}, {quote('key')}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return [(row[0], row[1], row[2]) for row in cursor.fetchall()]
