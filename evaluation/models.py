"""Evaluation (考评): callbacks, exclusions and appeals, schemes, monthly ranking snapshots."""

from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from dispatch.models import ReviewStatus
from hotline.models import Unit, UnitKind
from hotline.uploads import NAME_MAX_LENGTH, RandomName
from intake.models import Caller, Ticket


class CallbackStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    DONE = "done", _("Done")
    NOT_REACHED = "not_reached", _("Not reached")


class Resolution(models.TextChoices):
    RESOLVED = "resolved", _("Resolved")
    PARTLY = "partly", _("Partly resolved")
    UNRESOLVED = "unresolved", _("Unresolved")


class Satisfaction(models.TextChoices):
    SATISFIED = "satisfied", _("Satisfied")
    BASICALLY = "basically", _("Basically satisfied")
    UNSATISFIED = "unsatisfied", _("Unsatisfied")


class Callback(models.Model):
    """The survey of one caller about one ticket (回访); merged repeat callers get their own.

    Only the primary callback (the ticket's own caller) counts in the rates: merged children
    leave the denominators (DESIGN.md §6).
    """

    # Ticket and unit are indexed by the unique (ticket, caller, round) key and callback_unit_completed.
    ticket = models.ForeignKey(
        Ticket, verbose_name=_("ticket"), on_delete=models.PROTECT, related_name="callbacks", db_index=False
    )
    caller = models.ForeignKey(
        Caller, verbose_name=_("caller"), on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    unit = models.ForeignKey(
        Unit,
        verbose_name=_("evaluated unit"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="callbacks",
        db_index=False,
        help_text=_("the lead unit the result counts for"),
    )
    passed_down_to = models.ForeignKey(
        Unit,
        verbose_name=_("passed down to"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text=_("the unit the district passed the ticket down to: the result counts for it too"),
    )
    is_primary = models.BooleanField(_("counts in the rates"), default=True)
    round = models.PositiveSmallIntegerField(
        _("round"), default=1, help_text=_("1 for the first reply, one more for each reopening")
    )
    due_at = models.DateTimeField(_("call back by"))
    status = models.CharField(
        _("status"), max_length=16, choices=CallbackStatus.choices, default=CallbackStatus.PENDING
    )
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    resolution = models.CharField(_("resolved?"), max_length=16, choices=Resolution.choices, blank=True)
    satisfaction = models.CharField(_("satisfied?"), max_length=16, choices=Satisfaction.choices, blank=True)
    unit_at_fault = models.BooleanField(_("unit at fault"), default=False)
    comment = models.TextField(_("comment"), blank=True, max_length=2000)
    answered_online = models.BooleanField(_("answered online"), default=False)
    completed_at = models.DateTimeField(_("completed at"), null=True, blank=True)
    completed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("completed by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("callback")
        verbose_name_plural = _("callbacks")
        constraints = [
            models.UniqueConstraint(fields=["ticket", "caller", "round"], name="callback_one_per_ticket_caller_round"),
            models.CheckConstraint(
                condition=Q(status=CallbackStatus.PENDING, completed_at__isnull=True)
                | (~Q(status=CallbackStatus.PENDING) & Q(completed_at__isnull=False)),
                name="callback_completed_iff_not_pending",
            ),
            models.CheckConstraint(
                condition=~Q(status=CallbackStatus.DONE) | (~Q(resolution="") & ~Q(satisfaction="")),
                name="callback_done_has_answers",
            ),
        ]
        indexes = [
            models.Index(fields=["due_at"], name="callback_pending_due", condition=Q(status="pending")),
            models.Index(fields=["unit", "completed_at"], name="callback_unit_completed"),
            models.Index(
                fields=["passed_down_to", "completed_at"],
                name="callback_passed_down_completed",
                condition=Q(passed_down_to__isnull=False),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.ticket_id} / {self.caller_id}"


class CallbackAttempt(models.Model):
    callback = models.ForeignKey(
        Callback, verbose_name=_("callback"), on_delete=models.PROTECT, related_name="attempt_log"
    )
    reached = models.BooleanField(_("reached"))
    note = models.CharField(_("note"), max_length=500, blank=True)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    at = models.DateTimeField(_("at"), auto_now_add=True)

    class Meta:
        verbose_name = _("callback attempt")
        verbose_name_plural = _("callback attempts")
        ordering = ["at"]

    def __str__(self) -> str:
        return f"{self.callback_id} @ {self.at:%Y-%m-%d %H:%M}"


class AppealKind(models.TextChoices):
    EXCLUDE_TICKET = "exclude_ticket", _("Take the ticket out of the rates")
    CALLBACK_RESULT = "callback_result", _("Appeal the callback result")


class Appeal(models.Model):
    """A unit's request to exclude a ticket from its rates, or to set aside a callback result."""

    ticket = models.ForeignKey(Ticket, verbose_name=_("ticket"), on_delete=models.PROTECT, related_name="appeals")
    unit = models.ForeignKey(Unit, verbose_name=_("unit"), on_delete=models.PROTECT, related_name="appeals")
    kind = models.CharField(_("kind"), max_length=16, choices=AppealKind.choices)
    callback = models.ForeignKey(
        Callback, verbose_name=_("callback"), on_delete=models.PROTECT, null=True, blank=True, related_name="appeals"
    )
    reason = models.TextField(_("reason"), max_length=2000)
    attachment = models.FileField(_("attachment"), upload_to=RandomName("appeals"), blank=True)
    # The name the file had on the uploader's computer: sent on download, never a path.
    attachment_name = models.CharField(_("attachment file name"), max_length=NAME_MAX_LENGTH, blank=True)
    status = models.CharField(_("status"), max_length=16, choices=ReviewStatus.choices, default=ReviewStatus.PENDING)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("requested by"), on_delete=models.PROTECT, related_name="+"
    )
    requested_at = models.DateTimeField(_("requested at"), auto_now_add=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("decided by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    decision_note = models.TextField(_("decision note"), blank=True, max_length=2000)

    class Meta:
        verbose_name = _("exclusion or appeal")
        verbose_name_plural = _("exclusions and appeals")
        constraints = [
            models.UniqueConstraint(
                fields=["ticket", "unit", "kind"],
                condition=Q(status__in=["pending", "approved"]),
                name="appeal_one_open_per_ticket_unit_kind",
            ),
            models.CheckConstraint(
                condition=~Q(kind=AppealKind.CALLBACK_RESULT) | Q(callback__isnull=False),
                name="appeal_callback_result_names_callback",
            ),
            models.CheckConstraint(
                condition=Q(status=ReviewStatus.PENDING, decided_at__isnull=True)
                | (~Q(status=ReviewStatus.PENDING) & Q(decided_at__isnull=False)),
                name="appeal_decided_iff_not_pending",
            ),
        ]
        indexes = [models.Index(fields=["requested_at"], name="appeal_pending", condition=Q(status="pending"))]

    def __str__(self) -> str:
        return f"{self.ticket_id} {self.kind} ({self.status})"


def _rate_field(verbose_name: str, *, null: bool = False, default: Decimal | None = None) -> models.DecimalField:
    return models.DecimalField(
        verbose_name,
        max_digits=5,
        decimal_places=4,
        null=null,
        blank=null,
        default=default if default is not None else models.NOT_PROVIDED,
        validators=[MinValueValidator(Decimal(0)), MaxValueValidator(Decimal(1))],
    )


class EvaluationScheme(models.Model):
    """Weights and parameters of the rates for one unit kind over a period (presets 10/45/45, 30/35/35)."""

    name = models.CharField(_("name"), max_length=64)
    unit_kind = models.CharField(_("unit kind"), max_length=32, choices=UnitKind.choices)
    valid_from = models.DateField(_("valid from (month)"))
    valid_until = models.DateField(_("valid until (month)"), null=True, blank=True)
    # Whole percentage points, so that the sum-to-100 check is exact on every database.
    response_weight = models.PositiveSmallIntegerField(_("response rate weight (%)"))
    resolution_weight = models.PositiveSmallIntegerField(_("resolution rate weight (%)"))
    satisfaction_weight = models.PositiveSmallIntegerField(_("satisfaction rate weight (%)"))
    basically_satisfied_factor = _rate_field(_("weight of “basically satisfied”"))
    partly_resolved_factor = _rate_field(_("weight of “partly resolved”"))
    advanced_count = models.PositiveSmallIntegerField(_("advanced: top N"), default=10)
    rectify_count = models.PositiveSmallIntegerField(_("rectify: bottom N"), default=10)
    improved_margin = models.DecimalField(
        _("improved: composite score up by at least (points)"), max_digits=5, decimal_places=2, default=Decimal(5)
    )
    improved_rank_rise = models.PositiveSmallIntegerField(_("improved: or rank up by at least (places)"), default=20)
    minimum_responses = models.PositiveSmallIntegerField(
        _("minimum sample: tickets requiring a response"),
        default=5,
        help_text=_("fewer, and the unit is listed as “sample too small”, without a rank or class"),
    )
    minimum_callbacks = models.PositiveSmallIntegerField(_("minimum sample: callbacks answered"), default=5)
    governance_share = _rate_field(
        _("governance: share of streets/townships with the most requests"), default=Decimal("0.10")
    )
    governance_months = models.PositiveSmallIntegerField(_("governance: months of requests counted"), default=3)
    governance_minimum = models.PositiveIntegerField(_("governance: minimum requests in those months"), default=30)

    class Meta:
        verbose_name = _("evaluation scheme")
        verbose_name_plural = _("evaluation schemes")
        ordering = ["unit_kind", "-valid_from"]
        constraints = [
            models.CheckConstraint(
                condition=Q(response_weight=100 - F("resolution_weight") - F("satisfaction_weight")),
                name="scheme_weights_sum_to_one",
            ),
            models.CheckConstraint(
                condition=Q(valid_until__isnull=True) | Q(valid_until__gte=F("valid_from")),
                name="scheme_period_ordered",
            ),
            models.UniqueConstraint(fields=["unit_kind", "valid_from"], name="scheme_one_per_kind_start"),
        ]

    def __str__(self) -> str:
        return self.name


class ScoreAdjustment(models.Model):
    """Bonus (+) or penalty (−) points added to a unit's composite score for a month."""

    unit = models.ForeignKey(Unit, verbose_name=_("unit"), on_delete=models.PROTECT, related_name="+")
    month = models.DateField(_("month"), help_text=_("first day of the month"))
    points = models.DecimalField(_("points"), max_digits=5, decimal_places=2)
    reason = models.CharField(_("reason"), max_length=200)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("created by"), on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("bonus or penalty")
        verbose_name_plural = _("bonuses and penalties")
        constraints = [models.CheckConstraint(condition=Q(month__day=1), name="adjustment_month_first_day")]

    def __str__(self) -> str:
        return f"{self.unit_id} {self.month:%Y-%m} {self.points:+}"


class MonthlyRanking(models.Model):
    """One month's ranking of one unit kind. Computed as a draft, which evaluation admins review
    and may compute again; publishing freezes it and makes it the current version. Changing a
    published month takes a reason and a new version."""

    month = models.DateField(_("month"))
    unit_kind = models.CharField(_("unit kind"), max_length=32, choices=UnitKind.choices)
    version = models.PositiveSmallIntegerField(_("version"), default=1)
    is_current = models.BooleanField(_("current version"), default=True)
    scheme = models.JSONField(_("parameters used"))
    computed_at = models.DateTimeField(_("computed at"), auto_now_add=True)
    computed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("computed by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text=_("empty for the monthly task"),
    )
    reason = models.CharField(_("reason for recomputing"), max_length=200, blank=True)
    published_at = models.DateTimeField(_("published at"), null=True, blank=True, help_text=_("empty for a draft"))
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("published by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        verbose_name = _("monthly ranking")
        verbose_name_plural = _("monthly rankings")
        ordering = ["-month", "unit_kind", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["month", "unit_kind", "version"], name="ranking_unique_version"),
            models.UniqueConstraint(
                fields=["month", "unit_kind"], condition=Q(is_current=True), name="ranking_one_current"
            ),
            models.CheckConstraint(condition=Q(month__day=1), name="ranking_month_first_day"),
            models.CheckConstraint(condition=Q(version=1) | ~Q(reason=""), name="ranking_recompute_has_reason"),
            models.UniqueConstraint(
                fields=["month", "unit_kind"], condition=Q(published_at__isnull=True), name="ranking_one_draft"
            ),
            models.CheckConstraint(
                condition=Q(is_current=False) | Q(published_at__isnull=False), name="ranking_current_is_published"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.month:%Y-%m} {self.unit_kind} v{self.version}"

    @property
    def is_draft(self) -> bool:
        return self.published_at is None


class UnitResult(models.Model):
    """One unit's line in a monthly ranking: the counts behind each rate, the rates and the class."""

    ranking = models.ForeignKey(
        MonthlyRanking, verbose_name=_("ranking"), on_delete=models.CASCADE, related_name="results"
    )
    unit = models.ForeignKey(Unit, verbose_name=_("unit"), on_delete=models.PROTECT, related_name="+")
    required_response = models.PositiveIntegerField(_("tickets requiring a response"))
    responded_in_time = models.PositiveIntegerField(_("responded in time"))
    callbacks_answered = models.PositiveIntegerField(_("callbacks answered"))
    resolved = models.PositiveIntegerField(_("resolved"))
    partly_resolved = models.PositiveIntegerField(_("partly resolved"))
    satisfied = models.PositiveIntegerField(_("satisfied"))
    basically_satisfied = models.PositiveIntegerField(_("basically satisfied"))
    excluded = models.PositiveIntegerField(_("excluded tickets"))
    # A rate is empty when nothing counts towards it; a unit below the minimum sample has no
    # composite score, rank or class.
    response_rate = _rate_field(_("response rate"), null=True)
    resolution_rate = _rate_field(_("resolution rate"), null=True)
    satisfaction_rate = _rate_field(_("satisfaction rate"), null=True)
    adjustment = models.DecimalField(_("bonus/penalty"), max_digits=6, decimal_places=2)
    composite = models.DecimalField(_("composite score"), max_digits=6, decimal_places=2, null=True, blank=True)
    rank = models.PositiveIntegerField(_("rank"), null=True, blank=True)
    sample_sufficient = models.BooleanField(_("sample large enough"), default=True)
    previous_rank = models.PositiveIntegerField(_("previous rank"), null=True, blank=True)
    previous_composite = models.DecimalField(
        _("previous composite score"), max_digits=6, decimal_places=2, null=True, blank=True
    )
    is_advanced = models.BooleanField(_("advanced"), default=False)
    is_improved = models.BooleanField(_("improved"), default=False)
    is_rectify = models.BooleanField(_("must rectify"), default=False)
    is_governance_focus = models.BooleanField(_("governance focus"), default=False)
    governance_met = models.BooleanField(
        _("governance: reached the city average"),
        null=True,
        blank=True,
        help_text=_("for governance-focus units: all three rates at least the city's that month"),
    )
    demand = models.PositiveIntegerField(
        _("requests in the governance window"), null=True, blank=True, help_text=_("streets and townships only")
    )

    class Meta:
        verbose_name = _("unit result")
        verbose_name_plural = _("unit results")
        ordering = [F("rank").asc(nulls_last=True)]
        constraints = [
            models.UniqueConstraint(fields=["ranking", "unit"], name="result_one_per_unit"),
            models.CheckConstraint(
                condition=Q(responded_in_time__lte=F("required_response")), name="result_counts_sane"
            ),
            models.CheckConstraint(
                condition=Q(sample_sufficient=True, rank__isnull=False, composite__isnull=False)
                | Q(
                    sample_sufficient=False,
                    rank__isnull=True,
                    composite__isnull=True,
                    is_advanced=False,
                    is_improved=False,
                    is_rectify=False,
                ),
                name="result_ranked_iff_sample_sufficient",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.ranking} #{self.rank} {self.unit_id}"

    @property
    def rank_change(self) -> int | None:
        """Places gained since last month (positive = moved up)."""
        if self.previous_rank is None or self.rank is None:
            return None
        return self.previous_rank - self.rank

    @property
    def composite_change(self) -> Decimal | None:
        if self.previous_composite is None or self.composite is None:
            return None
        return self.composite - self.previous_composite


class RankingAudit(models.Model):
    """Who computed or recomputed which ranking version, when and why."""

    ranking = models.ForeignKey(
        MonthlyRanking, verbose_name=_("ranking"), on_delete=models.PROTECT, related_name="audit"
    )
    action = models.CharField(_("action"), max_length=16)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("actor"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    reason = models.CharField(_("reason"), max_length=200, blank=True)
    at = models.DateTimeField(_("at"), auto_now_add=True)

    class Meta:
        verbose_name = _("ranking audit event")
        verbose_name_plural = _("ranking audit trail")

    def __str__(self) -> str:
        return f"{self.ranking} {self.action}"
