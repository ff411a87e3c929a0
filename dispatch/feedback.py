"""Writes for the caller's side of the reply (双反馈): the SMS that tells the caller the lead unit's
reply, and the templates it is written from.

When the hotline-level lead's reply becomes final (`dispatch.services.reply` with the REPLY step:
the lead's own reply, or a district confirming its unit's reply), `queue_reply_feedback` records
one SMS in the outbox (hotline.sms) in the reply's transaction, keyed by the assignment and the
round (1, and one more for each reopening), so a retried or repeated submission texts once. It is
not sent to a confidential caller, a ticket without a caller, a number that is not a mobile, a
caller who asked for no SMS, for an inactive template, or without PUBLIC_BASE_URL (no absolute
link to send).

The text comes from the outcome's `FeedbackTemplate` with {number}, {summary} and {link}; the
reply (the summary) is shortened with "…" so that the message, with the provider's signature, fits
in FEEDBACK_SMS_MAX_SEGMENTS segments. A template whose fixed part leaves less than
MIN_SUMMARY_CHARS for the summary is refused.
"""

import logging
import re
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils.translation import gettext as _

from dispatch.models import Assignment, FeedbackTemplate, ReplyOutcome
from hotline.errors import DomainError
from hotline.models import User
from hotline.sms import queue_sms
from intake.lifecycle import Action
from intake.models import Ticket, TicketEvent
from intake.selectors import sms_phone

logger = logging.getLogger(__name__)

PLACEHOLDERS = ("number", "summary", "link")
REQUIRED = ("summary", "link")
# One SMS holds 70 Chinese characters; a longer one is split into segments of 67 (the rest of each
# carries the header that joins them).
SINGLE_SEGMENT_CHARS = 70
SEGMENT_CHARS = 67
# The least room a template must leave for the reply.
MIN_SUMMARY_CHARS = 10
# Tracking numbers are at most this long (Ticket.number); templates are checked with the longest.
NUMBER_MAX_CHARS = Ticket._meta.get_field("number").max_length
# The link a template is checked with while PUBLIC_BASE_URL is not set.
EXAMPLE_ORIGIN = "https://12345.example.gov.cn"
ELLIPSIS = "…"

_PLACEHOLDER = re.compile(r"\{([^{}]*)\}")


def max_chars() -> int:
    """The most characters a reply SMS may have, the provider's signature included."""
    segments = settings.FEEDBACK_SMS_MAX_SEGMENTS
    return SINGLE_SEGMENT_CHARS if segments == 1 else SEGMENT_CHARS * segments


def status_link() -> str:
    """The public status page (tracking number and the phone's last four digits), absolute; ""
    without PUBLIC_BASE_URL."""
    if not settings.PUBLIC_BASE_URL:
        return ""
    return settings.PUBLIC_BASE_URL + reverse("intake:public_status")


def _fill(text: str, values: dict[str, str]) -> str:
    return _PLACEHOLDER.sub(lambda match: values.get(match.group(1), match.group(0)), text)


def _room(text: str, *, number: str, link: str) -> int:
    """Characters left for the summary by the template's fixed part (placeholders filled in)."""
    fixed = _fill(text, {"number": number, "summary": "", "link": link})
    return max_chars() - len(settings.SMS_SIGNATURE) - len(fixed)


def check_template(*, text: str) -> str:
    """The template text, stripped, if it can make an SMS; DomainError "invalid" (400, field
    `text`) if it names an unknown placeholder, lacks {summary} or {link}, has {summary} more
    than once, or leaves too little room for the summary."""
    text = text.strip()
    names = _PLACEHOLDER.findall(text)
    errors: list[str] = []
    unknown = sorted({name for name in names if name not in PLACEHOLDERS})
    if unknown:
        errors.append(
            _("Unknown placeholder: %(names)s. Use {number}, {summary} and {link}.")
            % {"names": ", ".join(f"{{{name}}}" for name in unknown)}
        )
    elif any(brace in _PLACEHOLDER.sub("", text) for brace in "{}"):
        errors.append(_("A brace is not closed: placeholders are written {number}, {summary}, {link}."))
    missing = [name for name in REQUIRED if name not in names]
    if missing:
        errors.append(_("The text must contain %(names)s.") % {"names": ", ".join(f"{{{name}}}" for name in missing)})
    if names.count("summary") > 1:
        errors.append(_("Use {summary} only once."))
    if not errors:
        room = _room(text, number="0" * NUMBER_MAX_CHARS, link=status_link() or EXAMPLE_ORIGIN + "/public/status/")
        if room < MIN_SUMMARY_CHARS:
            errors.append(
                _(
                    "Too long for an SMS: with the tracking number, the link and the signature it leaves "
                    "%(room)d characters for the reply; at least %(min)d are needed (the limit is %(max)d "
                    "characters)."
                )
                % {"room": max(room, 0), "min": MIN_SUMMARY_CHARS, "max": max_chars()}
            )
    if errors:
        raise DomainError("invalid", _("The input is not valid."), status=400, fields={"text": errors})
    return text


def render(*, template: str, number: str, reply: str, link: str) -> str:
    """The SMS text: the template filled in, the reply on one line and shortened with "…" to fit."""
    summary = " ".join(reply.split())
    room = max(_room(template, number=number, link=link), 1)
    if len(summary) > room:
        summary = summary[: room - 1] + ELLIPSIS
    return _fill(template, {"number": number, "summary": summary, "link": link})


@dataclass(frozen=True)
class Preview:
    text: str
    chars: int  # signature included
    max_chars: int


def preview(*, text: str) -> Preview:
    """The SMS a template makes for a long reply (checked first: DomainError as `check_template`)."""
    text = check_template(text=text)
    sample = _("The construction site was inspected and night work has stopped; the builder was warned.") * 4
    sms = render(
        template=text,
        number="2026010100001",
        reply=sample,
        link=status_link() or EXAMPLE_ORIGIN + reverse("intake:public_status"),
    )
    return Preview(text=sms, chars=len(sms) + len(settings.SMS_SIGNATURE), max_chars=max_chars())


def update_template(*, outcome: str, text: str, is_active: bool, actor: User) -> FeedbackTemplate:
    """Save the outcome's template (created if missing) after checking it."""
    if outcome not in ReplyOutcome.values:
        raise DomainError("not_found", _("Not found."), status=404)
    text = check_template(text=text)
    with transaction.atomic():
        template, _created = FeedbackTemplate.objects.select_for_update().get_or_create(
            outcome=outcome, defaults={"text": text, "is_active": is_active, "updated_by": actor}
        )
        template.text, template.is_active, template.updated_by = text, is_active, actor
        template.save(update_fields=["text", "is_active", "updated_by", "updated_at"])
    return template


def reply_round(*, ticket_id: int) -> int:
    """1 for the first reply, one more for each reopening (重办) of the ticket."""
    return TicketEvent.objects.filter(ticket_id=ticket_id, action=Action.REOPEN).count() + 1


def queue_reply_feedback(*, assignment: Assignment, ticket: Ticket) -> None:
    """Record the caller's SMS for the hotline-level lead's final reply, in the caller's
    transaction (the reply's): once per assignment and round. See the module's docstring for who
    is not texted."""
    if ticket.caller_id is None or ticket.confidential or not settings.PUBLIC_BASE_URL:
        return
    phone = sms_phone(caller=ticket.caller)
    if not phone:
        return
    template = FeedbackTemplate.objects.filter(outcome=assignment.outcome, is_active=True).first()
    if template is None:
        logger.info("No active reply SMS template for %s: ticket %s not texted", assignment.outcome, ticket.pk)
        return
    reply = f"{assignment.reply} {assignment.explanation}"  # as the status page shows it (public_reply)
    text = render(template=template.text, number=ticket.number, reply=reply, link=status_link())
    round_ = reply_round(ticket_id=ticket.pk)
    queue_sms(phone=phone, text=text, key=f"reply-feedback:{assignment.pk}:{round_}")
