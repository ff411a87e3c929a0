"""Shared core: users, the organisation tree, roles and the category tree."""

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class User(AbstractUser):
    full_name = models.CharField(_("full name"), max_length=64, blank=True)

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")

    def __str__(self) -> str:
        return self.full_name or self.username


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


class DivisionType(models.TextChoices):
    """The official type of a street-level division (统计用区划代码 terms)."""

    SUBDISTRICT = "subdistrict", _("Subdistrict (街道)")
    TOWN = "town", _("Town (镇)")
    TOWNSHIP = "township", _("Township (乡)")
    AREA_OFFICE = "area_office", _("Area office (地区办事处)")


class Unit(models.Model):
    """A handling or administrative unit (承办单位): city, district, street, department …"""

    name = models.CharField(_("name"), max_length=64)
    kind = models.CharField(_("kind"), max_length=32, choices=UnitKind.choices, db_index=True)
    division_type = models.CharField(_("division type"), max_length=16, choices=DivisionType.choices, blank=True)
    parent = models.ForeignKey(
        "self", verbose_name=_("parent unit"), on_delete=models.PROTECT, null=True, blank=True, related_name="children"
    )
    code = models.CharField(
        _("official code"), max_length=12, unique=True, null=True, blank=True, help_text=_("12-digit statistical code")
    )
    population = models.PositiveIntegerField(
        _("resident population"), null=True, blank=True, help_text=_("census population, districts only")
    )
    is_active = models.BooleanField(_("active"), default=True)

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
                condition=Q(population__isnull=True) | Q(kind="district"), name="unit_population_only_district"
            ),
            models.CheckConstraint(
                condition=Q(division_type="") | Q(kind="street"), name="unit_division_type_only_street"
            ),
            models.CheckConstraint(condition=Q(parent__isnull=False) | Q(kind="city"), name="unit_only_city_is_root"),
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
    is_active = models.BooleanField(_("active"), default=True)

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
        return self.name

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
