"""Tickets (工单), callers, the append-only event log, knowledge base and personal-data audit."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from hotline.models import Category, DeadlineTier, Unit, in_reader_language
from intake.lifecycle import Action, Status


class Channel(models.TextChoices):
    PHONE = "phone", _("Phone")
    ENTERPRISE_LINE = "enterprise_line", _("Enterprise line")
    WECHAT = "wechat", _("WeChat")
    WEIBO = "weibo", _("Weibo")
    APP = "app", _("App")
    WEB = "web", _("Website")
    # 人民网 领导留言板: the People's Daily Online board where citizens write to local leaders; its
    # messages are transferred to the hotline (an external platform, PLATFORM_CHANNELS).
    MESSAGE_BOARD = "message_board", _("People's Daily leaders' message board")
    OPEN311 = "open311", _("Open311 client")
    # Problems reported in the press or broadcast, taken in by the hotline like a request.
    MEDIA = "media", _("Media report")
    # Work the hotline starts itself before anyone calls (未诉先办): no caller, never in the citizen rates.
    PROACTIVE = "proactive", _("Proactive governance")
    # Other external platforms that transfer requests to the hotline through their API client
    # (ExternalPlatform): 国办互联网+督查平台 and 国家政务服务投诉与建议小程序.
    GOV_SUPERVISION = "gov_supervision", _("State Council Internet+ supervision platform")
    MINI_PROGRAM = "mini_program", _("National government-service mini program")


# The longest Idempotency-Key a client may send; the column also holds the key's namespace
# ("api:<user id>:", at most 24 characters).
IDEMPOTENCY_KEY_MAX_LENGTH = 64
# Requests other platforms transfer to the hotline (其他平台转办), each with the platform's own
# reference and the reply pushed back to it: a source of their own in the rankings and analytics.
PLATFORM_CHANNELS = frozenset({Channel.MESSAGE_BOARD, Channel.GOV_SUPERVISION, Channel.MINI_PROGRAM})
# The hotline's own online channels (WeChat, Weibo, app, website, Open311 clients).
ONLINE_CHANNELS = frozenset(
    set(Channel) - {Channel.PHONE, Channel.ENTERPRISE_LINE, Channel.MEDIA, Channel.PROACTIVE} - PLATFORM_CHANNELS
)
# The channels a citizen's request comes in by: every one but the hotline's own proactive work.
CITIZEN_CHANNELS = frozenset(set(Channel) - {Channel.PROACTIVE})
# The channels an external platform's API client may post for (ExternalPlatform.channel): not the
# phone lines, nor Open311, whose clients have their own keys (open311.Open311Client).
CLIENT_CHANNELS = frozenset(CITIZEN_CHANNELS - {Channel.PHONE, Channel.ENTERPRISE_LINE, Channel.OPEN311})
# The longest external id (the platform's own reference) a ticket keeps.
EXTERNAL_ID_MAX_LENGTH = 64


class Kind(models.TextChoices):
    CONSULTATION = "consultation", _("Consultation")
    HELP = "help", _("Request for help")
    COMPLAINT = "complaint", _("Complaint")
    REPORT = "report", _("Report")
    SUGGESTION = "suggestion", _("Suggestion")
    PRAISE = "praise", _("Praise")


class Urgency(models.TextChoices):
    NORMAL = "normal", _("Normal")
    URGENT = "urgent", _("Urgent")
    EMERGENCY = "emergency", _("Emergency")


class Disposition(models.TextChoices):
    ANSWERED_DIRECTLY = "answered_directly", _("Answered directly")
    # Chosen at intake, before any unit has it: "to be handled by dispatch", not "dispatched".
    DISPATCHED = "dispatched", pgettext_lazy("disposition", "Dispatched")
    TRANSFERRED_110 = "transferred_110", _("Transferred to 110")
    TRANSFERRED_119 = "transferred_119", _("Transferred to 119")
    TRANSFERRED_120 = "transferred_120", _("Transferred to 120")
    TRANSFERRED_122 = "transferred_122", _("Transferred to 122")
    LEGAL_ROUTE = "legal_route", _("Told the legal route")
    EXPLAINED = "explained", _("Explained")


# Dispositions that close a ticket at intake without a knowledge-base article.
CLOSING_DISPOSITIONS = frozenset(
    {
        Disposition.TRANSFERRED_110,
        Disposition.TRANSFERRED_119,
        Disposition.TRANSFERRED_120,
        Disposition.TRANSFERRED_122,
        Disposition.LEGAL_ROUTE,
        Disposition.EXPLAINED,
    }
)


class Caller(models.Model):
    """A citizen or enterprise, stored once per phone number. The phone is personal data."""

    phone = models.CharField(_("phone"), max_length=16)
    name = models.CharField(_("name"), max_length=64, blank=True)
    is_enterprise = models.BooleanField(_("enterprise"), default=False)
    enterprise_name = models.CharField(_("enterprise name"), max_length=128, blank=True)
    # Also a database default: callers are upserted in raw SQL (intake.services) and bulk-loaded
    # (hotline.generator) with explicit column lists.
    sms_opt_out = models.BooleanField(
        _("no SMS"),
        default=False,
        db_default=False,
        help_text=_("The caller asked not to be texted (reply results, callback surveys)."),
    )
    created_at = models.DateTimeField(_("first contact"), auto_now_add=True)

    class Meta:
        verbose_name = _("caller")
        verbose_name_plural = _("callers")
        # A constraint rather than unique=True: on PostgreSQL that also adds a pattern-ops index
        # for LIKE, which no query uses and every insert would keep up.
        constraints = [models.UniqueConstraint(fields=["phone"], name="caller_phone_unique")]

    def __str__(self) -> str:
        return self.name or _("Caller #%(id)s") % {"id": self.pk}


class TicketNumberCounter(models.Model):
    """Each day's last tracking number (YYYYMMDD + 6 digits). On SQLite the numbering itself; on
    PostgreSQL the record of past days, after which a day's sequence starts and into which it is
    folded (intake.numbers)."""

    day = models.DateField(primary_key=True)
    last = models.PositiveIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.day}: {self.last}"


class KnowledgeArticle(models.Model):
    title = models.CharField(_("title"), max_length=200)
    body = models.TextField(_("body"))
    # Optional translations for hotline staff reading the English UI; citizens are answered from
    # the Chinese text.
    title_en = models.CharField(_("English title"), max_length=200, blank=True)
    body_en = models.TextField(_("English body"), blank=True)
    categories = models.ManyToManyField(Category, verbose_name=_("categories"), blank=True, related_name="articles")
    valid_from = models.DateField(_("valid from"), null=True, blank=True)
    valid_until = models.DateField(_("valid until"), null=True, blank=True)
    is_public = models.BooleanField(_("public"), default=True, help_text=_("may be read out to citizens"))
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("updated by"), on_delete=models.SET_NULL, null=True, blank=True
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("knowledge-base article")
        verbose_name_plural = _("knowledge-base articles")
        ordering = ["-updated_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(valid_from__isnull=True)
                | Q(valid_until__isnull=True)
                | Q(valid_until__gte=models.F("valid_from")),
                name="article_validity_ordered",
            ),
        ]

    def __str__(self) -> str:
        return self.label

    @property
    def label(self) -> str:
        """The title in the reader's language."""
        return in_reader_language(name=self.title, name_en=self.title_en)

    @property
    def body_label(self) -> str:
        """The body in the reader's language."""
        return in_reader_language(name=self.body, name_en=self.body_en)


class Ticket(models.Model):
    number = models.CharField(_("tracking number"), max_length=16)
    channel = models.CharField(_("channel"), max_length=16, choices=Channel.choices)
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    category = models.ForeignKey(Category, verbose_name=_("category"), on_delete=models.PROTECT, related_name="+")
    caller = models.ForeignKey(
        Caller, verbose_name=_("caller"), on_delete=models.PROTECT, null=True, blank=True, related_name="tickets"
    )
    confidential = models.BooleanField(_("confidentiality requested"), default=False)
    district = models.ForeignKey(
        Unit, verbose_name=_("district"), on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    street = models.ForeignKey(
        Unit, verbose_name=_("street/township"), on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    address = models.CharField(_("community / address"), max_length=200, blank=True)
    latitude = models.DecimalField(_("latitude"), max_digits=9, decimal_places=6, null=True, blank=True)
    longitude = models.DecimalField(_("longitude"), max_digits=9, decimal_places=6, null=True, blank=True)
    community = models.ForeignKey(
        "hotline.Community",
        to_field="code",  # the resolver names communities by code: no lookup at intake
        db_column="community_code",
        verbose_name=_("community"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,  # ticket_community: only the tickets whose community is known
    )
    title = models.CharField(_("summary"), max_length=100, blank=True)
    description = models.TextField(_("description"), max_length=4000)
    urgency = models.CharField(_("urgency"), max_length=16, choices=Urgency.choices, default=Urgency.NORMAL)
    deadline_tier = models.CharField(_("deadline tier"), max_length=16, choices=DeadlineTier.choices)
    tier_override_reason = models.CharField(_("reason for changing the tier"), max_length=200, blank=True)
    disposition = models.CharField(_("disposition"), max_length=24, choices=Disposition.choices, blank=True)
    status = models.CharField(_("status"), max_length=24, choices=Status.choices, default=Status.RECEIVED)
    article = models.ForeignKey(
        KnowledgeArticle,
        verbose_name=_("knowledge-base article used"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,  # ticket_article_used: only the tickets that name one
    )
    answer = models.TextField(_("answer given at intake"), blank=True)
    public_reply = models.TextField(_("public reply"), blank=True)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("merged into"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="merged",
        db_index=False,  # ticket_merged_into: only the merged ones
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("taken in by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    # How the category classifier did on this ticket's text at intake (smart dispatch's acceptance rate).
    suggestion_rank = models.PositiveSmallIntegerField(
        _("rank of the category among the suggestions"),
        null=True,
        blank=True,
        help_text=_("1–5: the recorded category was the n-th suggestion; 0: not among them; empty: no model"),
    )
    suggestion_model_version = models.PositiveIntegerField(_("category model version"), null=True, blank=True)
    # The platform's own reference of a request an external platform transferred (ExternalPlatform):
    # unique per channel, so a re-post finds the ticket of the first one.
    # Defaults in the database too: bulk writers (the history generator's COPY) name no such column.
    external_id = models.CharField(
        _("external reference"), max_length=EXTERNAL_ID_MAX_LENGTH, blank=True, default="", db_default=""
    )
    external_url = models.URLField(_("external link"), max_length=500, blank=True, default="", db_default="")
    # NULL, not "", for tickets without a key: NULLs never collide in the unique constraint.
    idempotency_key = models.CharField(  # noqa: DJ001
        _("idempotency key"), max_length=IDEMPOTENCY_KEY_MAX_LENGTH + 24, null=True, blank=True
    )
    created_at = models.DateTimeField(_("received at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)

    class Meta:
        verbose_name = _("ticket")
        verbose_name_plural = _("tickets")
        constraints = [
            # Constraints rather than unique=True, which on PostgreSQL adds an unused LIKE index.
            models.UniqueConstraint(fields=["number"], name="ticket_number_unique"),
            models.UniqueConstraint(fields=["idempotency_key"], name="ticket_idempotency_key_unique"),
            # Partial: the tickets of the hotline's own channels have no external id.
            models.UniqueConstraint(
                fields=["channel", "external_id"],
                condition=~Q(external_id=""),
                name="ticket_channel_external_id_unique",
            ),
            models.CheckConstraint(
                condition=Q(status__in=[Status.CLOSED, Status.MERGED], closed_at__isnull=False)
                | (~Q(status__in=[Status.CLOSED, Status.MERGED]) & Q(closed_at__isnull=True)),
                name="ticket_closed_at_iff_closed",
            ),
            models.CheckConstraint(
                condition=Q(status=Status.MERGED, parent__isnull=False)
                | (~Q(status=Status.MERGED) & Q(parent__isnull=True)),
                name="ticket_parent_iff_merged",
            ),
            models.CheckConstraint(
                condition=~Q(disposition=Disposition.ANSWERED_DIRECTLY) | Q(article__isnull=False) | ~Q(answer=""),
                name="ticket_direct_answer_has_content",
            ),
            models.CheckConstraint(
                condition=Q(suggestion_rank__isnull=True, suggestion_model_version__isnull=True)
                | Q(suggestion_rank__lte=5, suggestion_model_version__isnull=False),
                name="ticket_suggestion_rank_of_a_model",
            ),
            models.CheckConstraint(
                condition=Q(latitude__isnull=True, longitude__isnull=True)
                | Q(latitude__isnull=False, longitude__isnull=False),
                name="ticket_coordinates_paired",
            ),
        ]
        # PostgreSQL-only indexes (BRIN on created_at, trigram on open descriptions) are
        # created in migrations with RunSQL so that the SQLite demo still migrates.
        indexes = [
            models.Index(fields=["status", "-created_at"], name="ticket_status_created"),
            # Open tickets are < 1 % of the table: partial indexes keep repeat detection small.
            models.Index(
                fields=["caller", "-created_at"], name="ticket_open_by_caller", condition=Q(closed_at__isnull=True)
            ),
            models.Index(
                fields=["street", "category", "-created_at"],
                name="ticket_open_by_place",
                condition=Q(closed_at__isnull=True),
            ),
            # Few tickets are merged or name an article: an insert of any other ticket skips these.
            models.Index(fields=["parent"], name="ticket_merged_into", condition=Q(parent__isnull=False)),
            models.Index(fields=["article"], name="ticket_article_used", condition=Q(article__isnull=False)),
            models.Index(fields=["community"], name="ticket_community", condition=Q(community__isnull=False)),
            # The proactive page's list, newest first: a sliver of the table.
            models.Index(fields=["id"], name="ticket_proactive", condition=Q(channel="proactive")),
        ]

    def __str__(self) -> str:
        return self.number

    @property
    def is_open(self) -> bool:
        return self.closed_at is None

    @property
    def clock_stopped(self) -> bool:
        """The unit's deadlines stand still while a return is under review (lifecycle.CLOCK_RUNNING)."""
        return self.status == Status.RETURN_REQUESTED


class TicketEvent(models.Model):
    """Append-only audit trail of a ticket (PostgreSQL refuses UPDATE and DELETE on it)."""

    # Indexed by event_ticket_created, which starts with the ticket.
    ticket = models.ForeignKey(
        Ticket, verbose_name=_("ticket"), on_delete=models.PROTECT, related_name="events", db_index=False
    )
    action = models.CharField(_("action"), max_length=24, choices=Action.choices)
    from_status = models.CharField(_("from"), max_length=24, choices=Status.choices, blank=True)
    to_status = models.CharField(_("to"), max_length=24, choices=Status.choices)
    # No index on actor or unit: the log is read by ticket only. Such an index would serve only the
    # PROTECT check when a user or unit is deleted (they are deactivated instead; deleting one scans
    # the log), and would cost two entries per event on the largest table.
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("actor"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,
        help_text=_("empty for the system (deadline sweeps)"),
    )
    unit = models.ForeignKey(
        Unit,
        verbose_name=_("acting unit"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,
    )
    note = models.TextField(_("note"), blank=True)
    payload = models.JSONField(_("details"), default=dict, blank=True)
    created_at = models.DateTimeField(_("at"), auto_now_add=True)

    class Meta:
        verbose_name = _("ticket event")
        verbose_name_plural = _("ticket events")
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["ticket", "created_at"], name="event_ticket_created")]

    def __str__(self) -> str:
        return f"{self.ticket_id} {self.action}"


class PersonalDataAccess(models.Model):
    """Every read of a caller's unmasked phone number or name (DESIGN.md §7)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("user"), on_delete=models.PROTECT, related_name="+"
    )
    caller = models.ForeignKey(Caller, verbose_name=_("caller"), on_delete=models.PROTECT, related_name="+")
    ticket = models.ForeignKey(
        Ticket, verbose_name=_("ticket"), on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    purpose = models.CharField(_("purpose"), max_length=32)
    created_at = models.DateTimeField(_("at"), auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = _("personal-data access")
        verbose_name_plural = _("personal-data accesses")

    def __str__(self) -> str:
        return f"{self.user_id} → {self.caller_id} ({self.purpose})"


class SmsPreferenceChange(models.Model):
    """Hotline staff switching a caller's SMS off or on, as the caller asked them (the ticket
    page): who, when, on which ticket's page, and to what. Append-only, like the timeline; a
    request made at intake is the ticket's own record."""

    caller = models.ForeignKey(
        Caller, verbose_name=_("caller"), on_delete=models.PROTECT, related_name="sms_preference_changes"
    )
    ticket = models.ForeignKey(Ticket, verbose_name=_("ticket"), on_delete=models.PROTECT, related_name="+")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("user"), on_delete=models.PROTECT, related_name="+"
    )
    sms_opt_out = models.BooleanField(_("no SMS"))
    created_at = models.DateTimeField(_("at"), auto_now_add=True)

    class Meta:
        verbose_name = _("SMS preference change")
        verbose_name_plural = _("SMS preference changes")
        indexes = [models.Index(fields=["caller", "-created_at"], name="sms_change_by_caller")]

    def __str__(self) -> str:
        return f"{self.caller_id}: {'off' if self.sms_opt_out else 'on'} ({self.user_id})"


class CategoryModel(models.Model):
    """One trained version of the category classifier (intake.classifier), stored in the database
    so every web and worker host reads the same artefact. At most one version is active."""

    version = models.BigAutoField(_("version"), primary_key=True)
    trained_at = models.DateTimeField(_("trained at"), auto_now_add=True)
    trained_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("trained by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        help_text=_("empty: the weekly scheduled training"),
    )
    ticket_count = models.PositiveIntegerField(_("tickets"))
    label_count = models.PositiveIntegerField(_("categories"))
    cv_macro_f1 = models.FloatField(
        _("cross-validated macro-F1"), null=True, blank=True, help_text=_("empty: too few tickets to cross-validate")
    )
    artefact = models.BinaryField(_("artefact"))
    is_active = models.BooleanField(pgettext_lazy("in service", "active"), default=False)

    class Meta:
        verbose_name = _("category model")
        verbose_name_plural = _("category models")
        constraints = [
            models.UniqueConstraint(
                fields=["is_active"], condition=Q(is_active=True), name="category_model_one_active"
            ),
            models.CheckConstraint(
                condition=Q(cv_macro_f1__gte=0, cv_macro_f1__lte=1), name="category_model_cv_macro_f1_0_to_1"
            ),
            models.CheckConstraint(condition=Q(label_count__gte=2), name="category_model_two_labels_or_more"),
        ]

    def __str__(self) -> str:
        return f"v{self.version}"


class ProactiveImport(models.Model):
    """One imported list of risk points (未诉先办): a file is imported once, its tickets with it.

    The content hash is unique: re-uploading the same file, also twice at once, creates nothing."""

    content_hash = models.CharField(_("content hash"), max_length=64)
    file_name = models.CharField(_("file name"), max_length=200, blank=True)
    ticket_count = models.PositiveIntegerField(_("tickets"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("imported by"), on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("imported at"), auto_now_add=True)

    class Meta:
        verbose_name = _("proactive import")
        verbose_name_plural = _("proactive imports")
        constraints = [models.UniqueConstraint(fields=["content_hash"], name="proactive_import_hash_unique")]

    def __str__(self) -> str:
        return self.file_name or self.content_hash[:12]


class ExternalPlatform(models.Model):
    """An inbound channel from another platform (人民网领导留言板, 国办互联网+督查平台, a media monitor,
    a mini program …): its API client posts the platform's requests as tickets of its channel.

    The client is a user of its own (an API client of the hotline centre) whose REST token is the
    platform's credential (manage.py create_channel_client): a post with it is a ticket of this
    platform's channel, whatever the body says, and carries the platform's external id, unique per
    channel. Replies go back through a webhook subscription of the client filtered to the channel.
    """

    # Indexed by its unique constraint alone.
    code = models.SlugField(
        _("code"), max_length=32, db_index=False, help_text=_("stable identifier, e.g. gov_supervision")
    )
    name = models.CharField(_("name"), max_length=100)
    channel = models.CharField(
        _("channel"), max_length=16, choices=[(c.value, c.label) for c in Channel if c in CLIENT_CHANNELS]
    )
    client = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("API client user"),
        on_delete=models.PROTECT,
        related_name="external_platform",
        editable=False,
    )
    is_active = models.BooleanField(pgettext_lazy("in service", "active"), default=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("external platform")
        verbose_name_plural = _("external platforms")
        ordering = ["code"]
        constraints = [
            models.UniqueConstraint(fields=["code"], name="external_platform_code_unique"),
            # One platform per channel: the channel and the external id name one request.
            models.UniqueConstraint(fields=["channel"], name="external_platform_channel_unique"),
            models.CheckConstraint(
                condition=Q(channel__in=sorted(CLIENT_CHANNELS)), name="external_platform_client_channel"
            ),
        ]

    def __str__(self) -> str:
        return self.name
