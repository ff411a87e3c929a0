"""The monthly-topic register (每月一题): a high-frequency problem the city adopts and tackles at the
root, the rule that links its tickets, its reform measures and the units' progress updates.

A topic's tickets are linked by its rule (topics.rules): its categories or keywords, within its
places, received since it is tracked. The link table is recomputed in SQL (topics.services.relink_topic),
never by a loop over tickets; proactive tickets created from the topic are linked as such and stay
out of its volume, which counts what citizens asked.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from hotline.models import Category, Community, Unit
from hotline.uploads import NAME_MAX_LENGTH, RandomName
from intake.models import Ticket


class TopicStatus(models.TextChoices):
    ADOPTED = "adopted", _("Adopted")
    IN_PROGRESS = "in_progress", pgettext_lazy("topic status", "In progress")
    RESOLVED = "resolved", _("Resolved")
    CONTINUING = "continuing", _("Continuing")


# The moves between statuses: adopted → in progress → resolved or continuing (a continuing topic
# may still be resolved later, and work may resume on it).
STATUS_MOVES = {
    TopicStatus.ADOPTED: frozenset({TopicStatus.IN_PROGRESS}),
    TopicStatus.IN_PROGRESS: frozenset({TopicStatus.RESOLVED, TopicStatus.CONTINUING}),
    TopicStatus.CONTINUING: frozenset({TopicStatus.IN_PROGRESS, TopicStatus.RESOLVED}),
    TopicStatus.RESOLVED: frozenset({TopicStatus.CONTINUING}),
}


class TopicSource(models.TextChoices):
    MANUAL = "manual", _("Entered by hand")
    CANDIDATE = "candidate", _("Monthly-topic candidate")
    HOT_SPOT = "hot_spot", _("Hot spot")


class Topic(models.Model):
    title = models.CharField(_("title"), max_length=100)
    problem = models.TextField(_("problem statement"), max_length=4000)
    status = models.CharField(_("status"), max_length=16, choices=TopicStatus.choices, default=TopicStatus.ADOPTED)
    source = models.CharField(_("adopted from"), max_length=16, choices=TopicSource.choices, default=TopicSource.MANUAL)
    categories = models.ManyToManyField(
        Category,
        verbose_name=_("categories"),
        blank=True,
        related_name="+",
        help_text=_("a ticket of one of these categories, or of a category below one, belongs to the topic"),
    )
    keywords = models.TextField(
        _("keywords"),
        blank=True,
        max_length=1000,
        help_text=_("one per line or separated by commas: a ticket whose summary or description names one belongs"),
    )
    places = models.ManyToManyField(
        Unit,
        verbose_name=_("districts and streets"),
        blank=True,
        related_name="+",
        help_text=_("only tickets located in these places count; none: the whole city"),
    )
    communities = models.ManyToManyField(
        Community,
        verbose_name=_("communities"),
        blank=True,
        related_name="+",
        help_text=_("only tickets located in these communities count, beside the districts and streets"),
    )
    lead_unit = models.ForeignKey(Unit, verbose_name=_("lead unit"), on_delete=models.PROTECT, related_name="+")
    co_units = models.ManyToManyField(Unit, verbose_name=_("co-units"), blank=True, related_name="+")
    month = models.DateField(_("topic month"), help_text=_("first day of the month the city adopted it in"))
    tracked_from = models.DateField(
        _("tracked from"), help_text=_("first day of the first month whose tickets are linked (the volume before)")
    )
    adopted_at = models.DateTimeField(_("adopted at"), auto_now_add=True)
    adopted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("adopted by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    linked_at = models.DateTimeField(_("tickets linked at"), null=True, blank=True)

    class Meta:
        verbose_name = _("monthly topic")
        verbose_name_plural = _("monthly topics")
        ordering = ["-month", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(month__day=1), name="topic_month_first_day"),
            models.CheckConstraint(condition=Q(tracked_from__day=1), name="topic_tracked_from_first_day"),
            models.CheckConstraint(condition=Q(tracked_from__lte=models.F("month")), name="topic_tracked_before_month"),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def keyword_list(self) -> list[str]:
        return split_keywords(self.keywords)


def split_keywords(text: str) -> list[str]:
    """The keywords of a topic's text: one per line or separated by (Chinese or Latin) commas."""
    words = []
    for part in text.replace("，", ",").replace("、", ",").replace("\n", ",").split(","):
        word = part.strip()
        if word and word not in words:
            words.append(word)
    return words


class LinkVia(models.TextChoices):
    RULE = "rule", _("Matched by the topic's rule")
    PROACTIVE = "proactive", _("Proactive ticket created from the topic")


class TopicTicket(models.Model):
    """A ticket of a topic: matched by its rule (recomputed), or created from it (kept)."""

    topic = models.ForeignKey(Topic, verbose_name=_("topic"), on_delete=models.CASCADE, related_name="links")
    ticket = models.ForeignKey(Ticket, verbose_name=_("ticket"), on_delete=models.CASCADE, related_name="topic_links")
    via = models.CharField(_("linked by"), max_length=16, choices=LinkVia.choices, default=LinkVia.RULE)
    linked_at = models.DateTimeField(_("linked at"), auto_now_add=True)

    class Meta:
        verbose_name = _("ticket of a topic")
        verbose_name_plural = _("tickets of topics")
        constraints = [models.UniqueConstraint(fields=["topic", "ticket"], name="topic_ticket_unique")]
        indexes = [models.Index(fields=["ticket"], name="topic_ticket_by_ticket")]

    def __str__(self) -> str:
        return f"{self.topic_id} · {self.ticket_id}"


class TopicMeasure(models.Model):
    """A reform measure (改革措施) with the unit that owns it and its due date."""

    topic = models.ForeignKey(Topic, verbose_name=_("topic"), on_delete=models.CASCADE, related_name="measures")
    text = models.CharField(_("measure"), max_length=500)
    owner = models.ForeignKey(Unit, verbose_name=_("owner unit"), on_delete=models.PROTECT, related_name="+")
    due_date = models.DateField(_("due date"))
    done_at = models.DateTimeField(_("done at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("reform measure")
        verbose_name_plural = _("reform measures")
        ordering = ["due_date", "id"]

    def __str__(self) -> str:
        return self.text

    @property
    def is_done(self) -> bool:
        return self.done_at is not None


class TopicProgress(models.Model):
    """A progress update posted by the lead unit, a co-unit or the city admin."""

    topic = models.ForeignKey(Topic, verbose_name=_("topic"), on_delete=models.CASCADE, related_name="progress")
    measure = models.ForeignKey(
        TopicMeasure,
        verbose_name=_("measure"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="progress",
    )
    measure_done = models.BooleanField(_("measure completed"), default=False)
    unit = models.ForeignKey(
        Unit, verbose_name=_("unit"), on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("author"), on_delete=models.PROTECT, related_name="+"
    )
    text = models.TextField(_("progress"), max_length=4000)
    created_at = models.DateTimeField(_("posted at"), auto_now_add=True)

    class Meta:
        verbose_name = _("topic progress update")
        verbose_name_plural = _("topic progress updates")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(measure_done=False) | Q(measure__isnull=False), name="topic_progress_done_names_measure"
            ),
        ]

    def __str__(self) -> str:
        return self.text[:50]


class TopicAttachment(models.Model):
    progress = models.ForeignKey(
        TopicProgress, verbose_name=_("progress update"), on_delete=models.CASCADE, related_name="attachments"
    )
    file = models.FileField(_("file"), upload_to=RandomName("topics"))
    name = models.CharField(_("file name"), max_length=NAME_MAX_LENGTH)
    size = models.PositiveIntegerField(_("size in bytes"))
    content_type = models.CharField(pgettext_lazy("attachment", "content type"), max_length=100)

    class Meta:
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")

    def __str__(self) -> str:
        return self.name
