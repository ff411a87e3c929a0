"""Deadline countdowns for the dispatch pages; static/js/dispatch.js keeps them ticking."""

from datetime import datetime

from django import template
from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _

from dispatch import selectors
from intake.models import Ticket

register = template.Library()


def span(seconds: float) -> str:
    """A duration as the largest two units: "2d 3h", "3h 12min", "12min"."""
    minutes = int(abs(seconds)) // 60
    days, rest = divmod(minutes, 24 * 60)
    hours, minutes = divmod(rest, 60)
    if days:
        return _("%(days)sd %(hours)sh") % {"days": days, "hours": hours}
    if hours:
        return _("%(hours)sh %(minutes)smin") % {"hours": hours, "minutes": minutes}
    return _("%(minutes)smin") % {"minutes": minutes}


@register.inclusion_tag("dispatch/_countdown.html")
def countdown(due: datetime | None, now: datetime | None = None, paused: bool = False) -> dict:
    """The time left until `due` (or how late it is), coloured by urgency; `paused` while the
    clock is stopped (a return under review), when the deadline is still to be moved."""
    if paused:
        return {"paused": True, "due": due}
    if due is None:
        return {"due": None}
    left = (due - (now or timezone.now())).total_seconds()
    if left < 0:
        state, text = "bad", _("%(time)s overdue") % {"time": span(left)}
    else:
        state = "warn" if left < settings.HOTLINE_DUE_SOON.total_seconds() else "ok"
        text = _("%(time)s left") % {"time": span(left)}
    return {"due": due, "state": state, "text": text, "warn_seconds": int(settings.HOTLINE_DUE_SOON.total_seconds())}


@register.inclusion_tag("dispatch/_countdown_i18n.html")
def countdown_i18n() -> dict:
    """The countdown phrases for the script, in the page's language."""
    return {
        "phrases": {
            "left": _("%(time)s left"),
            "overdue": _("%(time)s overdue"),
            "dh": _("%(days)sd %(hours)sh"),
            "hm": _("%(hours)sh %(minutes)smin"),
            "m": _("%(minutes)smin"),
        }
    }


@register.inclusion_tag("dispatch/_ticket_handling.html", takes_context=True)
def ticket_handling(context: template.Context, ticket: Ticket) -> dict:
    """The units handling a ticket, for intake's ticket page (intake does not import dispatch):
    the assignments the user may see, with their deadlines and a link to each one's page."""
    assignments = selectors.ticket_handling(user=context["request"].user, ticket_id=ticket.pk)
    return {"assignments": assignments, "ticket": ticket, "now": timezone.now()}
