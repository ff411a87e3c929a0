"""Rollup tables behind every analytics page (DESIGN.md §11): dashboards never scan the ticket table.

A rollup row counts the tickets *received* on one day (Asia/Shanghai) or in one month that share
one key: handling unit (the ticket's current lead unit, empty when not dispatched), leaf category,
kind, channel, district and street of the place. Every count describes those tickets as they are
now (a cohort by day of receipt): a ticket received on 3 October and closed on 9 October moves
the `closed` count of 3 October. Callbacks count for the day their ticket was received.

Counts (per key):
- received: tickets; answered_directly: disposition "answered directly";
- dispatched: tickets with a lead assignment that was not returned (the handling unit);
- closed: status closed (merged tickets are not closed, they follow their parent);
- overdue: the lead assignment replied after its deadline, ended unreplied after it, or is still
  open past it;
- response_required / signed_in_time: dispatched tickets not excluded from the rates (approved
  exclusion for the lead unit), and of those the ones signed by the sign deadline;
- callbacks_*: primary callbacks answered (done), without an approved exclusion or appeal, and
  how they answered;
- repeat_contacts: tickets merged into an open matter (并单: a repeat contact, DESIGN.md §4; they
  stay in `received`, so repeat_contacts / received is the share of contacts that were repeats);
- suggestion_*: tickets taken in while a category model was active (scored), and of those the
  ones whose recorded category was the model's first suggestion (top1) or among its five (top5).

The monthly rollup has the same key without the day: it is summed from the daily rows, so the
month pages (the period selector is a year or a month) read a table about 30 times smaller, and
any scope (a district, a unit) filters it like the daily one.

The monthly district rollup is the monthly one summed over handling unit, category and street
(key: month, district, kind, channel): a few hundred rows a month where the monthly rollup has
tens of thousands at ten million tickets. The big screen and the overview read it whenever the
scope is districts (or everything); a unit leader's scope needs the handling unit, so theirs
still sums the monthly rollup.
"""

from django.db import models
from django.db.models import F, Q, Value
from django.db.models.functions import Coalesce
from django.utils.translation import gettext_lazy as _

from hotline.models import Category, Unit
from intake.models import Channel, Kind

COUNT_FIELDS = (
    "received",
    "answered_directly",
    "dispatched",
    "closed",
    "overdue",
    "response_required",
    "signed_in_time",
    "callbacks_answered",
    "callbacks_resolved",
    "callbacks_partly_resolved",
    "callbacks_satisfied",
    "callbacks_basically_satisfied",
    "suggestion_scored",
    "suggestion_top1",
    "suggestion_top5",
    "repeat_contacts",
)
KEY_FIELDS = ("unit", "category", "kind", "channel", "district", "street")
DISTRICT_KEY_FIELDS = ("district", "kind", "channel")


def _count(verbose_name: str) -> models.PositiveIntegerField:
    return models.PositiveIntegerField(verbose_name, default=0)


def _key_expressions() -> list:
    """The rollup key for the unique index; empty units and places compare equal (as 0)."""
    nullable = {"unit", "district", "street"}
    return [Coalesce(F(name), Value(0)) if name in nullable else F(name) for name in KEY_FIELDS]


def _consistency(prefix: str) -> list[models.CheckConstraint]:
    return [
        models.CheckConstraint(
            condition=Q(answered_directly__lte=F("received"), dispatched__lte=F("received")),
            name=f"{prefix}_dispositions_within_received",
        ),
        models.CheckConstraint(
            condition=Q(
                closed__lte=F("received"),
                overdue__lte=F("dispatched"),
                response_required__lte=F("dispatched"),
                signed_in_time__lte=F("response_required"),
            ),
            name=f"{prefix}_handling_within_dispatched",
        ),
        models.CheckConstraint(
            condition=Q(
                callbacks_resolved__lte=F("callbacks_answered") - F("callbacks_partly_resolved"),
                callbacks_satisfied__lte=F("callbacks_answered") - F("callbacks_basically_satisfied"),
            ),
            name=f"{prefix}_callback_answers_within_answered",
        ),
        models.CheckConstraint(
            condition=Q(
                suggestion_top1__lte=F("suggestion_top5"),
                suggestion_top5__lte=F("suggestion_scored"),
                suggestion_scored__lte=F("received"),
            ),
            name=f"{prefix}_suggestions_within_received",
        ),
        models.CheckConstraint(
            condition=Q(repeat_contacts__lte=F("received")), name=f"{prefix}_repeat_contacts_within_received"
        ),
    ]


class Counts(models.Model):
    received = _count(_("received"))
    answered_directly = _count(_("answered directly"))
    dispatched = _count(_("dispatched"))
    closed = _count(_("closed"))
    overdue = _count(_("overdue"))
    response_required = _count(_("requiring a response"))
    signed_in_time = _count(_("signed in time"))
    callbacks_answered = _count(_("callbacks answered"))
    callbacks_resolved = _count(_("resolved"))
    callbacks_partly_resolved = _count(_("partly resolved"))
    callbacks_satisfied = _count(_("satisfied"))
    callbacks_basically_satisfied = _count(_("basically satisfied"))
    suggestion_scored = _count(_("category suggested at intake"))
    suggestion_top1 = _count(_("suggested category taken (first)"))
    suggestion_top5 = _count(_("suggested category taken (top 5)"))
    repeat_contacts = _count(_("repeat contacts merged"))

    class Meta:
        abstract = True


class RollupCounts(Counts):
    unit = models.ForeignKey(
        Unit, verbose_name=_("handling unit"), on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    category = models.ForeignKey(Category, verbose_name=_("category"), on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    channel = models.CharField(_("channel"), max_length=16, choices=Channel.choices)
    district = models.ForeignKey(
        Unit, verbose_name=_("district"), on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    street = models.ForeignKey(
        Unit, verbose_name=_("street/township"), on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        abstract = True


class DailyRollup(RollupCounts):
    day = models.DateField(_("day"))

    class Meta:
        verbose_name = _("daily rollup")
        verbose_name_plural = _("daily rollups")
        constraints = [
            models.UniqueConstraint(F("day"), *_key_expressions(), name="daily_rollup_unique_key"),
            *_consistency("daily_rollup"),
        ]

    def __str__(self) -> str:
        return f"{self.day} {self.category_id} {self.received}"


class MonthlyRollup(RollupCounts):
    month = models.DateField(_("month"), help_text=_("first day of the month"))

    class Meta:
        verbose_name = _("monthly rollup")
        verbose_name_plural = _("monthly rollups")
        constraints = [
            models.UniqueConstraint(F("month"), *_key_expressions(), name="monthly_rollup_unique_key"),
            models.CheckConstraint(condition=Q(month__day=1), name="monthly_rollup_month_first_day"),
            *_consistency("monthly_rollup"),
        ]
        indexes = [
            # Scoped pages: a district supervisor's district, a unit leader's units, month ranges.
            models.Index(fields=["district", "month"], name="monthly_rollup_district"),
            models.Index(fields=["unit", "month"], name="monthly_rollup_unit"),
        ]

    def __str__(self) -> str:
        return f"{self.month:%Y-%m} {self.category_id} {self.received}"


class MonthlyDistrictRollup(Counts):
    month = models.DateField(_("month"), help_text=_("first day of the month"))
    district = models.ForeignKey(
        Unit, verbose_name=_("district"), on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    channel = models.CharField(_("channel"), max_length=16, choices=Channel.choices)

    class Meta:
        verbose_name = _("monthly district rollup")
        verbose_name_plural = _("monthly district rollups")
        constraints = [
            models.UniqueConstraint(
                F("month"),
                Coalesce(F("district"), Value(0)),
                F("kind"),
                F("channel"),
                name="monthly_district_rollup_unique_key",
            ),
            models.CheckConstraint(condition=Q(month__day=1), name="monthly_district_rollup_month_first_day"),
            *_consistency("monthly_district_rollup"),
        ]

    def __str__(self) -> str:
        return f"{self.month:%Y-%m} {self.district_id} {self.received}"


class RollupState(models.Model):
    """The one row that serializes rollup refreshes (locked FOR UPDATE) and keeps the watermark."""

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    watermark = models.DateTimeField(
        _("changes counted up to"),
        null=True,
        blank=True,
        help_text=_("the time of the last refresh; changes from before it are in the rollups"),
    )
    refreshed_at = models.DateTimeField(_("last refreshed at"), null=True, blank=True)

    class Meta:
        verbose_name = _("rollup state")
        verbose_name_plural = _("rollup state")
        constraints = [models.CheckConstraint(condition=Q(id=1), name="rollup_state_singleton")]

    def __str__(self) -> str:
        return f"{self.watermark}"


class DirtyDay(models.Model):
    """A day whose rollup rows must be recomputed; the refresh works them off in bounded batches."""

    day = models.DateField(_("day"), primary_key=True)

    class Meta:
        verbose_name = _("day to recompute")
        verbose_name_plural = _("days to recompute")

    def __str__(self) -> str:
        return f"{self.day}"
