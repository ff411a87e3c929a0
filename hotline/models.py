"""Shared core: users, the organisation tree and its communities, roles and the category tree."""

from django.contrib.auth.models import AbstractUser
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class User(AbstractUser):
    full_name = models.CharField(_("full name"), max_length=64, blank=True)
    # Optional: staff without one get in-app notifications only, never SMS.
    mobile = models.CharField(
        _("mobile phone"),
        max_length=11,
        blank=True,
        validators=[RegexValidator(r"^1[3-9][0-9]{9}$", _("Enter an 11-digit mobile number."))],
        help_text=_("for SMS notifications"),
    )

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")

    def __str__(self) -> str:
        return self.full_name or self.username


def in_reader_language(*, name: str, name_en: str) -> str:
    """The name in the reader's language: the English name in English where there is one."""
    if name_en and (translation.get_language() or "").startswith("en"):
        return name_en
    return name


class UnitKind(models.TextChoices):
    CITY = "city", _("City")
    HOTLINE_CENTER = "hotline_center", _("Hotline service center")
    DISTRICT = "district", _("District")
    STREET = "street", _("Street/township")
    FUNCTIONAL_ZONE = "functional_zone", _("Functional zone")
    CITY_DEPARTMENT = "city_department", _("City department")
    DISTRICT_DEPARTMENT = "district_department", _("District department")
    STATE_ENTERPRISE = "state_enterprise", _("State-owned enterprise")
    PLATFORM_COMPANY = "platform_company", _("Platform company")


class Zone(models.TextChoices):
    """The city's functional zones a district belongs to (北京城市总体规划; seed 002 reports the
    districts' volume by them)."""

    CENTRAL = "central", _("Central urban area")
    SUB_CENTRE = "sub_centre", _("City sub-centre")
    PLAIN = "plain", _("Plain new towns")
    ECOLOGICAL = "ecological", _("Ecological conservation area")


class DivisionType(models.TextChoices):
    """The official type of a street-level division (统计用区划代码 terms)."""

    SUBDISTRICT = "subdistrict", _("Subdistrict (街道)")
    TOWN = "town", _("Town (镇)")
    TOWNSHIP = "township", _("Township (乡)")
    AREA_OFFICE = "area_office", _("Area office (地区办事处)")


class Unit(models.Model):
    """A handling or administrative unit (承办单位): city, district, street, department …"""

    name = models.CharField(_("name"), max_length=64)
    name_en = models.CharField(_("English name"), max_length=128, blank=True)
    kind = models.CharField(_("kind"), max_length=32, choices=UnitKind.choices, db_index=True)
    division_type = models.CharField(_("division type"), max_length=16, choices=DivisionType.choices, blank=True)
    parent = models.ForeignKey(
        "self", verbose_name=_("parent unit"), on_delete=models.PROTECT, null=True, blank=True, related_name="children"
    )
    code = models.CharField(
        _("official code"), max_length=12, unique=True, null=True, blank=True, help_text=_("12-digit statistical code")
    )
    population = models.PositiveIntegerField(
        _("resident population"),
        null=True,
        blank=True,
        help_text=_("census population: districts, streets and townships (requests per 10,000 residents)"),
    )
    zone = models.CharField(
        _("zone"),
        max_length=16,
        choices=Zone.choices,
        blank=True,
        help_text=_("districts only: the city zone the analytics group the district in"),
    )
    is_active = models.BooleanField(pgettext_lazy("in service", "active"), default=True)

    class Meta:
        verbose_name = _("unit")
        verbose_name_plural = _("units")
        ordering = ["kind", "code", "name"]
        constraints = [
            models.UniqueConstraint(fields=["parent", "name"], name="unit_unique_name_per_parent"),
            models.CheckConstraint(
                condition=Q(code__isnull=True) | Q(code__regex=r"^[0-9]{12}$"), name="unit_code_12_digits"
            ),
            models.CheckConstraint(
                condition=Q(population__isnull=True) | Q(kind__in=["district", "street", "functional_zone"]),
                name="unit_population_only_places",
            ),
            models.CheckConstraint(
                condition=Q(division_type="") | Q(kind="street"), name="unit_division_type_only_street"
            ),
            models.CheckConstraint(condition=Q(parent__isnull=False) | Q(kind="city"), name="unit_only_city_is_root"),
            models.CheckConstraint(condition=Q(zone="") | Q(kind="district"), name="unit_zone_only_district"),
        ]

    def __str__(self) -> str:
        return self.label

    @property
    def label(self) -> str:
        return in_reader_language(name=self.name, name_en=self.name_en)


class Community(models.Model):
    """A residents' or villagers' committee (社区居委会/村委会) under a street, township or
    functional zone: the finest level of the gazetteer the address resolver reads."""

    code = models.CharField(_("official code"), max_length=12, unique=True, help_text=_("12-digit statistical code"))
    name = models.CharField(_("name"), max_length=64, help_text=_("official name, e.g. 多福巷社区居委会"))
    street = models.ForeignKey(
        Unit, verbose_name=_("street/township"), on_delete=models.PROTECT, related_name="communities"
    )
    is_active = models.BooleanField(pgettext_lazy("in service", "active"), default=True)

    class Meta:
        verbose_name = _("community")
        verbose_name_plural = _("communities")
        ordering = ["code"]
        constraints = [
            models.CheckConstraint(condition=Q(code__regex=r"^[0-9]{12}$"), name="community_code_12_digits"),
        ]

    def __str__(self) -> str:
        return self.name


class Role(models.TextChoices):
    AGENT = "agent", _("Hotline agent")
    DISPATCHER = "dispatcher", _("Dispatcher")
    CALLBACK_AGENT = "callback_agent", _("Callback agent")
    HOTLINE_SUPERVISOR = "hotline_supervisor", _("Hotline supervisor")
    UNIT_OFFICER = "unit_officer", _("Unit officer")
    UNIT_LEADER = "unit_leader", _("Unit leader")
    DISTRICT_DISPATCHER = "district_dispatcher", _("District sub-centre dispatcher")
    DISTRICT_SUPERVISOR = "district_supervisor", _("District supervisor")
    CITY_ADMIN = "city_admin", _("City admin")
    API_CLIENT = "api_client", _("API client")


class Membership(models.Model):
    """A role a user holds in a unit; a user may hold several."""

    user = models.ForeignKey(User, verbose_name=_("user"), on_delete=models.CASCADE, related_name="memberships")
    unit = models.ForeignKey(Unit, verbose_name=_("unit"), on_delete=models.PROTECT, related_name="memberships")
    role = models.CharField(_("role"), max_length=32, choices=Role.choices)

    class Meta:
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")
        constraints = [
            models.UniqueConstraint(fields=["user", "unit", "role"], name="membership_unique_user_unit_role"),
        ]
        indexes = [models.Index(fields=["unit", "role"])]

    def __str__(self) -> str:
        return f"{self.user} · {self.unit} · {self.get_role_display()}"


class DeadlineTier(models.TextChoices):
    """Handling deadline tiers (DESIGN.md §5); durations live in settings.HOTLINE_DEADLINES."""

    EMERGENCY = "emergency", _("Emergency (2 h)")
    UTILITY = "utility", _("Basic utilities (24 h)")
    GENERAL = "general", _("General (7 days)")
    COMPLEX = "complex", _("Complex (15 days)")


class Category(models.Model):
    """One node of the three-level category tree (问题分类)."""

    code = models.CharField(_("code"), max_length=12, unique=True, help_text=_("stable code, e.g. 010101"))
    name = models.CharField(_("name"), max_length=32)
    name_en = models.CharField(_("English name"), max_length=64, blank=True)
    parent = models.ForeignKey(
        "self", verbose_name=_("parent"), on_delete=models.PROTECT, null=True, blank=True, related_name="children"
    )
    level = models.PositiveSmallIntegerField(_("level"))
    default_tier = models.CharField(
        _("default deadline tier"), max_length=16, choices=DeadlineTier.choices, default=DeadlineTier.GENERAL
    )
    is_functional = models.BooleanField(
        _("functional-department matter"),
        default=False,
        help_text=_("handled by functional departments or enterprises, never dispatched to streets"),
    )
    is_active = models.BooleanField(pgettext_lazy("in service", "active"), default=True)

    class Meta:
        verbose_name = _("category")
        verbose_name_plural = _("categories")
        ordering = ["code"]
        constraints = [
            models.UniqueConstraint(fields=["parent", "name"], name="category_unique_name_per_parent"),
            models.CheckConstraint(condition=Q(level__gte=1, level__lte=3), name="category_level_1_to_3"),
            models.CheckConstraint(
                condition=Q(level=1, parent__isnull=True) | Q(level__gt=1, parent__isnull=False),
                name="category_root_iff_level_1",
            ),
        ]

    def __str__(self) -> str:
        return self.label

    @property
    def label(self) -> str:
        return in_reader_language(name=self.name, name_en=self.name_en)

    @property
    def is_leaf(self) -> bool:
        return self.level == 3


class Heartbeat(models.Model):
    """Written by a beat-scheduled task, so health checks can tell that worker and beat run."""

    created_at = models.DateTimeField(_("created at"), auto_now_add=True, db_index=True)
    worker = models.CharField(_("worker"), max_length=255)

    class Meta:
        verbose_name = _("worker heartbeat")
        verbose_name_plural = _("worker heartbeats")
        get_latest_by = "created_at"

    def __str__(self) -> str:
        return f"{self.worker} @ {self.created_at:%Y-%m-%d %H:%M:%S}"


class NotificationKind(models.TextChoices):
    """Known notification kinds; other apps may pass their own (the column is free text)."""

    DISPATCHED = "dispatched", _("New ticket dispatched")
    RETURN_REQUESTED = "return_requested", _("Return requested")
    RETURN_DECIDED = "return_decided", _("Return decided")
    EXTENSION_REQUESTED = "extension_requested", _("Extension requested")
    EXTENSION_DECIDED = "extension_decided", _("Extension decided")
    APPEAL_REQUESTED = "appeal_requested", _("Appeal requested")
    APPEAL_DECIDED = "appeal_decided", _("Appeal decided")
    WHISTLE = "whistle", _("Whistle: summoned to co-handle")
    SUB_REPLIED = "sub_replied", _("Reply to confirm")
    URGED = "urged", _("Urged")
    SUPERVISED = "supervised", _("Supervised")
    REMINDER = "reminder", _("Deadline reminder")
    OVERDUE = "overdue", _("Overdue")
    ESCALATED = "escalated", _("Escalated to a supervisor")
    REOPENED = "reopened", _("Reopened")
    CALLBACKS_OVERDUE = "callbacks_overdue", _("Callbacks past their window")
    RANKING_DRAFT = "ranking_draft", _("Ranking ready for review")
    SYSTEM = "system", _("System message")


class Notification(models.Model):
    """One in-app message to one user. `key` makes every sender idempotent per recipient."""

    recipient = models.ForeignKey(
        User, verbose_name=_("recipient"), on_delete=models.CASCADE, related_name="notifications"
    )
    kind = models.CharField(_("kind"), max_length=32, choices=NotificationKind.choices)
    title = models.CharField(_("title"), max_length=200)
    body = models.TextField(_("body"), blank=True)
    link = models.CharField(_("link"), max_length=300, blank=True, help_text=_("URL path inside this site"))
    key = models.CharField(_("deduplication key"), max_length=200)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        constraints = [
            models.UniqueConstraint(fields=["recipient", "key"], name="notification_unique_recipient_key"),
            models.CheckConstraint(
                condition=Q(link="") | (Q(link__startswith="/") & ~Q(link__startswith="//")),
                name="notification_link_is_local_path",
            ),
        ]
        indexes = [
            # The list page, newest first (keyset on id).
            models.Index(fields=["recipient", "-id"], name="notification_recipient_id_idx"),
            # The header badge counts a user's unread rows on every page: a small partial index.
            models.Index(fields=["recipient"], condition=Q(read_at__isnull=True), name="notification_unread_idx"),
        ]

    def __str__(self) -> str:
        return self.title


class SmsStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    # Claimed by one attempt that is calling the provider.
    SENDING = "sending", _("Sending")
    SENT = "sent", _("Sent")
    FAILED = "failed", _("Failed")
    # The attempt was interrupted after the provider may have accepted it: not resent.
    UNKNOWN = "unknown", _("Outcome unknown (check with the provider)")


class SmsMessage(models.Model):
    """An SMS, recorded with its unique key before it is sent (DESIGN.md §11).

    The key is also the Idempotency-Key sent to the provider with every attempt (hotline/sms.py).
    """

    phone = models.CharField(_("phone"), max_length=20)
    text = models.TextField(_("text"))
    key = models.CharField(_("idempotency key"), max_length=200, unique=True)
    status = models.CharField(_("status"), max_length=16, choices=SmsStatus.choices, default=SmsStatus.PENDING)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    provider_id = models.CharField(_("provider message id"), max_length=200, blank=True)
    last_error = models.CharField(_("last error"), max_length=500, blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    next_attempt_at = models.DateTimeField(_("next attempt at"), default=timezone.now)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)

    class Meta:
        verbose_name = _("SMS message")
        verbose_name_plural = _("SMS messages")
        constraints = [
            models.CheckConstraint(
                condition=Q(status="sent", sent_at__isnull=False) | (~Q(status="sent") & Q(sent_at__isnull=True)),
                name="sms_sent_iff_sent_at",
            ),
        ]
        indexes = [
            # The catch-up sweep scans only the few pending rows.
            models.Index(fields=["next_attempt_at"], condition=Q(status="pending"), name="sms_pending_idx"),
            # And the few interrupted while sending.
            models.Index(fields=["updated_at"], condition=Q(status="sending"), name="sms_sending_idx"),
        ]

    def __str__(self) -> str:
        return self.key


class HolidayKind(models.TextChoices):
    HOLIDAY = "holiday", _("Public holiday (节假日)")
    WORKDAY = "workday", _("Make-up workday (调休上班)")


class Holiday(models.Model):
    """A day that differs from the Monday–Friday week, for working-day deadlines."""

    date = models.DateField(_("date"), unique=True)
    kind = models.CharField(_("kind"), max_length=16, choices=HolidayKind.choices)
    name = models.CharField(_("name"), max_length=64, blank=True, help_text=_("e.g. National Day"))

    class Meta:
        verbose_name = _("holiday calendar day")
        verbose_name_plural = _("holiday calendar")
        ordering = ["date"]

    def __str__(self) -> str:
        return f"{self.date:%Y-%m-%d} {self.get_kind_display()}"
