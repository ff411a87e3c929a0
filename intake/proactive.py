"""Proactive governance (主动治理, 未诉先办) as data: the seasonal templates and the import file's shape.

A proactive ticket is work the hotline starts before anyone calls (e.g. the historic waterlogging
points before the rainy season, seeds 000/002): no caller, the proactive channel, dispatched like
any ticket, closed after the unit's reply without a callback and never counted in the citizen rates.
"""

from dataclasses import dataclass

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from intake.models import Kind


@dataclass(frozen=True)
class Template:
    """A seasonal check that prefills a proactive ticket's category and note."""

    code: str
    name: str | Promise
    category_code: str  # a third-level category (hotline/data/categories.json)
    note: str | Promise


TEMPLATES = (
    Template(
        "heating_check",
        _("Heating-season home check"),
        "010101",
        _("Heating season: check the heating in the homes of this place before residents call."),
    ),
    Template(
        "waterlogging_check",
        _("Pre-flood-season waterlogging check"),
        "160401",
        _("Before the flood season: inspect this historic waterlogging point and clear the drains."),
    ),
)
TEMPLATES_BY_CODE = {template.code: template for template in TEMPLATES}

# Proactive work is an action to take, not a citizen's complaint or question.
PROACTIVE_KIND = Kind.HELP
# The import file: a header row with these columns (UTF-8, with or without a BOM), one risk point a row.
IMPORT_COLUMNS = ("place", "category", "note")
IMPORT_MAX_ROWS = 2000
IMPORT_MAX_BYTES = 1024 * 1024
