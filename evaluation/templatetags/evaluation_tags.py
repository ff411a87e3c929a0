"""Evaluation's part of other apps' pages. A template tag rather than context from their views:
dispatch comes before evaluation and does not import it."""

from django import template

from dispatch.models import Assignment
from evaluation import selectors
from intake.models import Ticket

register = template.Library()


@register.inclusion_tag("evaluation/_appeal_link.html", takes_context=True)
def appeal_link(context: template.Context, assignment: Assignment) -> dict:
    """The unit's "Appeal" link on its assignment page, only when an appeal is possible."""
    shown = selectors.may_appeal(user=context["request"].user, assignment=assignment)
    return {"shown": shown, "ticket": assignment.ticket}


@register.inclusion_tag("evaluation/_ticket_callbacks.html", takes_context=True)
def ticket_callbacks(context: template.Context, ticket: Ticket) -> dict:
    """The callback results of a ticket, for intake's ticket page (intake does not import
    evaluation); callback agents get a link to each callback's page."""
    user = context["request"].user
    return {
        "callbacks": selectors.ticket_callbacks(user=user, ticket_id=ticket.pk),
        "linked": selectors.can_call_back(user=user),
    }
