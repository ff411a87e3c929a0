"""Dispatch (派单): assignments of tickets to units, their handling records and the dispatch catalogue.

An assignment is one unit's part in one ticket, the lead (主办) or an assisting unit (协办), at
one of two levels: dispatched by the hotline, or passed down by a district's sub-centre (区分中心)
from the district's own assignment (`parent`) to a unit inside the district. It is *live* while
`ended_at` is empty; the deadline sweeps and the inboxes read only live rows,
through partial indexes whose predicates are constants.
"""

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from hotline.models import Category, Unit, UnitKind
from hotline.uploads import NAME_MAX_LENGTH, RandomName
from intake.models import Ticket

# Units that handle tickets; the city itself and the hotline centre do not.
HANDLING_KINDS = frozenset(set(UnitKind) - {UnitKind.CITY, UnitKind.HOTLINE_CENTER})
STREET_KINDS = frozenset({UnitKind.STREET, UnitKind.FUNCTIONAL_ZONE})
# Whom a street may summon with the whistle (吹哨报到): departments and enterprises, not streets.
WHISTLE_KINDS = HANDLING_KINDS - STREET_KINDS
# The reason a dispatcher gives to send a functional-department matter to a street/township.
OVERRIDE_REASON_MAX_LENGTH = 200


class AssignmentRole(models.TextChoices):
    LEAD = "lead", _("Lead unit")
    ASSIST = "assist", _("Assisting unit")


class Level(models.TextChoices):
    """Who dispatched the assignment: the hotline, or a district passing its ticket down."""

    HOTLINE = "hotline", _("Dispatched by the hotline")
    DISTRICT = "district", _("Passed down by the district")


class AssignmentStatus(models.TextChoices):
    DISPATCHED = "dispatched", _("Awaiting sign")
    SIGNED = "signed", _("Signed, in progress")
    REPLIED = "replied", _("Replied")
    RETURNED = "returned", _("Returned")
    ENDED = "ended", _("Ended without reply")


class ReminderStage(models.TextChoices):
    """The next deadline alert of an assignment (see dispatch/sweeps.py)."""

    NONE = "", _("None")
    SEVENTY_FIVE = "75", _("Three quarters of the time")
    ONE_HOUR = "1h", _("1 hour before the deadline")
    OVERDUE = "overdue", _("Deadline reached")
    DONE = "done", _("All alerts sent")


class ReplyOutcome(models.TextChoices):
    RESOLVED = "resolved", _("Resolved")
    PARTLY_RESOLVED = "partly_resolved", _("Partly resolved")
    UNRESOLVED = "unresolved", _("Cannot be resolved")


# Outcomes that need an explanation for the caller and the hotline.
EXPLAINED_OUTCOMES = frozenset({ReplyOutcome.PARTLY_RESOLVED, ReplyOutcome.UNRESOLVED})


class Assignment(models.Model):
    ticket = models.ForeignKey(Ticket, verbose_name=_("ticket"), on_delete=models.PROTECT, related_name="assignments")
    # Indexed by the composite indexes below, which all start with the unit.
    unit = models.ForeignKey(
        Unit, verbose_name=_("unit"), on_delete=models.PROTECT, related_name="assignments", db_index=False
    )
    role = models.CharField(_("role"), max_length=8, choices=AssignmentRole.choices)
    status = models.CharField(
        _("status"), max_length=16, choices=AssignmentStatus.choices, default=AssignmentStatus.DISPATCHED
    )
    whistled_by = models.ForeignKey(
        "self",
        verbose_name=_("summoned by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="summoned",
        help_text=_("the lead assignment whose street blew the whistle for this assisting unit"),
    )
    parent = models.ForeignKey(
        "self",
        verbose_name=_("passed down from"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="sub_assignments",
        help_text=_("the district's assignment that passed the ticket down to this unit; empty: the hotline's"),
    )
    dispatched_at = models.DateTimeField(_("dispatched at"), default=timezone.now)
    dispatched_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("dispatched by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    # The deadlines are always set by dispatch.services; the columns stay nullable so that rows
    # written by hand (fixtures, imports) without them are simply ignored by the sweeps.
    sign_due_at = models.DateTimeField(_("sign by"), null=True, blank=True)
    signed_at = models.DateTimeField(_("signed at"), null=True, blank=True)
    signed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("signed by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    first_contact_due_at = models.DateTimeField(_("contact the caller by"), null=True, blank=True)
    first_contacted_at = models.DateTimeField(_("caller first contacted at"), null=True, blank=True)
    due_at = models.DateTimeField(_("handling deadline"), null=True, blank=True)
    replied_at = models.DateTimeField(_("replied at"), null=True, blank=True)
    replied_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("replied by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    reply = models.TextField(_("reply"), blank=True, max_length=4000)
    outcome = models.CharField(_("outcome"), max_length=16, choices=ReplyOutcome.choices, blank=True)
    explanation = models.TextField(_("explanation"), blank=True, max_length=2000)
    returned = models.BooleanField(
        _("return requested"),
        default=False,
        help_text=_("the unit asked to return the ticket; counted by the evaluation whatever the decision"),
    )
    ended_at = models.DateTimeField(_("ended at"), null=True, blank=True)
    # Deadline enforcement (dispatch/sweeps.py): what the sweeps did, so they do it once.
    late_sign_marked_at = models.DateTimeField(_("marked not signed in time at"), null=True, blank=True)
    late_contact_marked_at = models.DateTimeField(_("marked caller not contacted in time at"), null=True, blank=True)
    next_alert_stage = models.CharField(
        _("next deadline alert"), max_length=8, choices=ReminderStage.choices, blank=True
    )
    next_alert_at = models.DateTimeField(_("next deadline alert at"), null=True, blank=True)
    overdue_at = models.DateTimeField(_("marked overdue at"), null=True, blank=True)

    class Meta:
        verbose_name = _("assignment")
        verbose_name_plural = _("assignments")
        constraints = [
            # One live lead per level: the hotline's, and under it the one its district passed down to.
            models.UniqueConstraint(
                fields=["ticket"],
                condition=Q(role=AssignmentRole.LEAD, ended_at__isnull=True, parent__isnull=True),
                name="assignment_one_live_lead",
            ),
            models.UniqueConstraint(
                fields=["parent"],
                condition=Q(role=AssignmentRole.LEAD, ended_at__isnull=True, parent__isnull=False),
                name="assignment_one_live_sub_lead",
            ),
            models.UniqueConstraint(
                fields=["ticket", "unit"], condition=Q(ended_at__isnull=True), name="assignment_one_live_per_unit"
            ),
            models.CheckConstraint(
                condition=~Q(status=AssignmentStatus.DISPATCHED) | Q(signed_at__isnull=True),
                name="assignment_dispatched_unsigned",
            ),
            models.CheckConstraint(
                condition=~Q(status__in=[AssignmentStatus.SIGNED, AssignmentStatus.REPLIED])
                | Q(signed_at__isnull=False),
                name="assignment_signed_has_time",
            ),
            # A reopened assignment keeps its last reply (the callback asked about it) until it replies again.
            models.CheckConstraint(
                condition=~Q(status=AssignmentStatus.REPLIED)
                | Q(replied_at__isnull=False) & ~Q(reply="") & ~Q(outcome=""),
                name="assignment_reply_complete",
            ),
            models.CheckConstraint(
                condition=~Q(outcome__in=EXPLAINED_OUTCOMES) | ~Q(explanation=""),
                name="assignment_outcome_explained",
            ),
            models.CheckConstraint(
                condition=~Q(status__in=[AssignmentStatus.RETURNED, AssignmentStatus.ENDED])
                | Q(ended_at__isnull=False),
                name="assignment_returned_or_ended_is_over",
            ),
            models.CheckConstraint(
                condition=Q(role=AssignmentRole.ASSIST) | Q(whistled_by__isnull=True),
                name="assignment_only_assists_are_summoned",
            ),
            models.CheckConstraint(
                condition=~Q(status=AssignmentStatus.RETURNED) | Q(role=AssignmentRole.LEAD, returned=True),
                name="assignment_returned_by_lead",
            ),
            models.CheckConstraint(
                condition=Q(sign_due_at__gte=F("dispatched_at")), name="assignment_sign_due_after_dispatch"
            ),
        ]
        indexes = [
            # The unit inbox: one unit's assignments by status, soonest deadline first.
            models.Index(fields=["unit", "status", "due_at"], name="assignment_inbox"),
            # The API's newest-first list of a unit's assignments: the keyset cursor walks it.
            models.Index(fields=["unit", "id"], name="assignment_unit_newest"),
            models.Index(fields=["unit", "due_at"], name="assignment_live_by_unit", condition=Q(ended_at__isnull=True)),
            # Deadline sweeps (late sign, reminders, overdue) scan only live rows.
            models.Index(
                fields=["sign_due_at"],
                name="assignment_live_sign_due",
                condition=Q(
                    ended_at__isnull=True, status=AssignmentStatus.DISPATCHED, late_sign_marked_at__isnull=True
                ),
            ),
            models.Index(
                fields=["first_contact_due_at"],
                name="assignment_live_contact_due",
                condition=Q(ended_at__isnull=True, first_contacted_at__isnull=True, late_contact_marked_at__isnull=True)
                & Q(first_contact_due_at__isnull=False),
            ),
            models.Index(
                fields=["next_alert_at"],
                name="assignment_live_next_alert",
                condition=Q(ended_at__isnull=True, next_alert_at__isnull=False),
            ),
            models.Index(
                fields=["due_at"],
                name="assignment_live_due",
                condition=Q(ended_at__isnull=True, status__in=[AssignmentStatus.DISPATCHED, AssignmentStatus.SIGNED]),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.ticket_id} → {self.unit_id} ({self.role})"

    @property
    def is_live(self) -> bool:
        return self.ended_at is None

    @property
    def is_lead(self) -> bool:
        return self.role == AssignmentRole.LEAD

    @property
    def level(self) -> Level:
        return Level.HOTLINE if self.parent_id is None else Level.DISTRICT


class ProgressNote(models.Model):
    """A handling note (办理过程) of a unit, with optional photos and files."""

    assignment = models.ForeignKey(
        Assignment, verbose_name=_("assignment"), on_delete=models.PROTECT, related_name="notes"
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("author"), on_delete=models.PROTECT, related_name="+"
    )
    text = models.TextField(_("progress"), max_length=4000)
    created_at = models.DateTimeField(_("at"), default=timezone.now)

    class Meta:
        verbose_name = _("progress note")
        verbose_name_plural = _("progress notes")
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["assignment", "created_at"], name="note_assignment_created")]

    def __str__(self) -> str:
        return f"{self.assignment_id} @ {self.created_at:%Y-%m-%d %H:%M}"


class Attachment(models.Model):
    note = models.ForeignKey(
        ProgressNote, verbose_name=_("progress note"), on_delete=models.PROTECT, related_name="attachments"
    )
    file = models.FileField(_("file"), upload_to=RandomName("dispatch"))
    # The name the file had on the uploader's computer: shown and sent on download, never a path.
    name = models.CharField(_("file name"), max_length=NAME_MAX_LENGTH)
    size = models.PositiveIntegerField(_("size in bytes"))
    content_type = models.CharField(pgettext_lazy("attachment", "content type"), max_length=100)

    class Meta:
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")

    def __str__(self) -> str:
        return self.name

    @property
    def is_image(self) -> bool:
        return self.content_type.startswith("image/")


class ReviewStatus(models.TextChoices):
    PENDING = "pending", _("Awaiting review")
    APPROVED = "approved", _("Approved")
    REJECTED = "rejected", _("Rejected")


class ReturnReason(models.TextChoices):
    NOT_RESPONSIBLE = "not_responsible", _("Not within our responsibilities")
    OUTSIDE_AREA = "outside_area", _("Outside our area")
    WRONG_CATEGORY = "wrong_category", _("Wrong category")
    INSUFFICIENT_INFORMATION = "insufficient_information", _("Not enough information to handle")
    OTHER = "other", _("Other")


class ReturnRequest(models.Model):
    """A unit's request to return a ticket (退单), reviewed by the hotline; for a unit the district
    passed the ticket down to, by the district, and the ticket goes back to the district's queue."""

    assignment = models.ForeignKey(
        Assignment, verbose_name=_("assignment"), on_delete=models.PROTECT, related_name="return_requests"
    )
    reason = models.CharField(_("reason"), max_length=32, choices=ReturnReason.choices)
    legal_basis = models.TextField(_("legal basis"), max_length=2000)
    note = models.TextField(_("explanation"), blank=True, max_length=2000)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("requested by"), on_delete=models.PROTECT, related_name="+"
    )
    requested_at = models.DateTimeField(_("requested at"), default=timezone.now)
    needs_supervisor = models.BooleanField(
        _("late: needs a hotline supervisor"),
        default=False,
        help_text=_("asked after the return window, so only a hotline supervisor may decide"),
    )
    status = models.CharField(_("status"), max_length=16, choices=ReviewStatus.choices, default=ReviewStatus.PENDING)
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
    redispatched_to = models.ForeignKey(
        Unit, verbose_name=_("re-dispatched to"), on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("return request")
        verbose_name_plural = _("return requests")
        constraints = [
            models.UniqueConstraint(
                fields=["assignment"], condition=Q(status=ReviewStatus.PENDING), name="return_one_pending"
            ),
            models.CheckConstraint(
                condition=Q(status=ReviewStatus.PENDING, decided_at__isnull=True)
                | ~Q(status=ReviewStatus.PENDING) & Q(decided_at__isnull=False),
                name="return_decided_iff_not_pending",
            ),
            models.CheckConstraint(
                condition=Q(redispatched_to__isnull=True) | Q(status=ReviewStatus.APPROVED),
                name="return_redispatch_only_when_approved",
            ),
        ]
        indexes = [
            models.Index(fields=["requested_at"], name="return_pending", condition=Q(status=ReviewStatus.PENDING))
        ]

    def __str__(self) -> str:
        return f"{self.assignment_id}: {self.get_reason_display()}"


class ExtensionRequest(models.Model):
    """A unit's request for more time (延期), asked before the deadline and reviewed by the hotline;
    for a unit the district passed the ticket down to, by the district, which may pass it up."""

    assignment = models.ForeignKey(
        Assignment, verbose_name=_("assignment"), on_delete=models.PROTECT, related_name="extension_requests"
    )
    extra_days = models.PositiveSmallIntegerField(_("extra days"))
    reason = models.TextField(_("reason"), max_length=2000)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("requested by"), on_delete=models.PROTECT, related_name="+"
    )
    requested_at = models.DateTimeField(_("requested at"), default=timezone.now)
    previous_due_at = models.DateTimeField(_("deadline when asked"))
    status = models.CharField(_("status"), max_length=16, choices=ReviewStatus.choices, default=ReviewStatus.PENDING)
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
    granted_due_at = models.DateTimeField(_("new deadline"), null=True, blank=True)
    passed_up_to = models.OneToOneField(
        "self",
        verbose_name=_("passed up to the hotline as"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="passed_up_from",
        help_text=_("the district's own request to the hotline, whose decision decides this one too"),
    )

    class Meta:
        verbose_name = _("extension request")
        verbose_name_plural = _("extension requests")
        constraints = [
            models.UniqueConstraint(
                fields=["assignment"], condition=Q(status=ReviewStatus.PENDING), name="extension_one_pending"
            ),
            models.CheckConstraint(condition=Q(extra_days__gte=1), name="extension_at_least_a_day"),
            models.CheckConstraint(
                condition=Q(status=ReviewStatus.PENDING, decided_at__isnull=True)
                | ~Q(status=ReviewStatus.PENDING) & Q(decided_at__isnull=False),
                name="extension_decided_iff_not_pending",
            ),
            models.CheckConstraint(
                condition=Q(status=ReviewStatus.APPROVED, granted_due_at__gt=F("previous_due_at"))
                | ~Q(status=ReviewStatus.APPROVED) & Q(granted_due_at__isnull=True),
                name="extension_granted_iff_approved",
            ),
        ]
        indexes = [
            models.Index(fields=["requested_at"], name="extension_pending", condition=Q(status=ReviewStatus.PENDING))
        ]

    def __str__(self) -> str:
        return f"{self.assignment_id}: +{self.extra_days}"


class RoutingRule(models.Model):
    """One line of the dispatch catalogue (派单目录): category × place → unit, valid for a period.

    The category may be any level (a rule for a level-1 or level-2 node covers its leaves); the
    place is a street, a district or nothing (city-wide). A rule already in effect is never
    edited in place: a change ends it and starts a new version (`replaces`), so the catalogue
    that applied on any past day can be read back.
    """

    category = models.ForeignKey(Category, verbose_name=_("category"), on_delete=models.PROTECT, related_name="+")
    district = models.ForeignKey(
        Unit, verbose_name=_("district"), on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    street = models.ForeignKey(
        Unit, verbose_name=_("street/township"), on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    unit = models.ForeignKey(
        Unit, verbose_name=_("handling unit"), on_delete=models.PROTECT, related_name="routing_rules"
    )
    valid_from = models.DateField(_("valid from"))
    valid_until = models.DateField(_("valid until"), null=True, blank=True, help_text=_("last day; empty: open-ended"))
    note = models.CharField(_("note"), max_length=200, blank=True)
    replaces = models.ForeignKey(
        "self",
        verbose_name=_("previous version"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("dispatch catalogue rule")
        verbose_name_plural = _("dispatch catalogue")
        constraints = [
            models.CheckConstraint(
                condition=Q(valid_until__isnull=True) | Q(valid_until__gte=F("valid_from")),
                name="rule_validity_ordered",
            ),
        ]
        indexes = [models.Index(fields=["category", "valid_from"], name="rule_category_from")]

    def __str__(self) -> str:
        return f"{self.category_id} → {self.unit_id}"


class FeedbackTemplate(models.Model):
    """The text of the SMS that tells the caller the lead unit's reply (双反馈), one per outcome.

    Placeholders: {number} (tracking number), {summary} (the reply, shortened to fit) and {link}
    (the public status page). Checked against the SMS length limit by dispatch.feedback.
    """

    outcome = models.CharField(_("outcome"), max_length=24, choices=ReplyOutcome.choices)
    text = models.TextField(
        _("text"), help_text=_("Placeholders: {number} tracking number, {summary} the reply, {link} the status page.")
    )
    is_active = models.BooleanField(
        pgettext_lazy("in service", "active"), default=True, help_text=_("Inactive: no SMS for this outcome.")
    )
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("updated by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,  # never looked up by the editor
    )
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("reply SMS template")
        verbose_name_plural = _("reply SMS templates")
        ordering = ["outcome"]
        constraints = [
            models.UniqueConstraint(fields=["outcome"], name="feedback_template_outcome_unique"),
            models.CheckConstraint(
                condition=Q(outcome__in=ReplyOutcome.values), name="feedback_template_outcome_valid"
            ),
            models.CheckConstraint(condition=~Q(text=""), name="feedback_template_text_not_empty"),
        ]

    def __str__(self) -> str:
        return str(self.get_outcome_display())
