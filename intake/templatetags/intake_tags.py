"""Template helpers of intake: what callers wrote, as the page's user may read it."""

from django import template

from intake import selectors
from intake.models import Ticket

register = template.Library()


@register.simple_tag(takes_context=True)
def for_reader(context: template.Context, text: str, ticket: Ticket) -> str:
    """`text` about `ticket` in full for the hotline, without the caller's identity for unit staff."""
    return selectors.text_for(user=context["request"].user, ticket=ticket, text=text or "")
