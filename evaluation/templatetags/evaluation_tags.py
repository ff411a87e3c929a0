"""Evaluation's part of other apps' pages. A template tag rather than context from their views:
dispatch comes before evaluation and does not import it."""

from django import template

from dispatch.models import Assignment
from evaluation import selectors

register = template.Library()


@register.inclusion_tag("evaluation/_appeal_link.html", takes_context=True)
def appeal_link(context: template.Context, assignment: Assignment) -> dict:
    """The unit's "Appeal" link on its assignment page, only when an appeal is possible."""
    shown = selectors.may_appeal(user=context["request"].user, assignment=assignment)
    return {"shown": shown, "ticket": assignment.ticket}
