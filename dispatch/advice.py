"""Smart dispatch (智能派单): from what a citizen said to a category, a place and the units to send it to.

One read behind the suggestion API, the agent desk and the dispatcher's pages: the category
classifier proposes categories from the text (分类派), the address resolver the district, street
and community (定位派), and the dispatch catalogue the units for the best of both. What the caller
already knows (a category, a district or street chosen by hand) is used as given.
"""

from collections.abc import Sequence
from dataclasses import dataclass

from dispatch.selectors import Suggestion, rank_suggestions, rule_index, suggest_units
from hotline import reference
from hotline.models import Category, Unit, UnitKind
from hotline.places import PlaceCandidate, PlaceMatch, PlaceUnit, resolve_place
from intake.classifier.suggestions import category_suggestions_of
from intake.models import Ticket

PATH_SEPARATOR = " › "


@dataclass(frozen=True)
class CategoryAdvice:
    category: Category
    path: str
    confidence: float


@dataclass(frozen=True)
class DispatchAdvice:
    categories: list[CategoryAdvice]
    place: PlaceMatch | None
    units: list[Suggestion]


def category_path(category: Category) -> str:
    """'市政 › 路灯照明 › 路灯不亮' (in the reader's language, as the desk's category options read),
    from the per-process reference rows."""
    return PATH_SEPARATOR.join(node.label for node in reversed(reference.category_chain(category)))


def _as_place_unit(unit: Unit) -> PlaceUnit:
    return PlaceUnit(id=unit.pk, name=unit.name, code=unit.code or "", name_en=unit.name_en)


def _given_place(*, district: Unit | None, street: Unit, resolved: PlaceMatch | None) -> PlaceMatch:
    """The street the caller chose, with the community the text names there, if any."""
    if street.parent is not None and street.parent.kind == UnitKind.DISTRICT:
        district = street.parent
    community = resolved.community_in(street.pk) if resolved is not None else None
    district_ref = _as_place_unit(district) if district is not None else None
    street_ref = _as_place_unit(street)
    candidate = PlaceCandidate(district=district_ref, street=street_ref, community=community, confidence=1.0)
    return PlaceMatch(
        district=district_ref, street=street_ref, community=community, confidence=1.0, candidates=(candidate,)
    )


def dispatch_advice(
    *,
    text: str,
    title: str = "",
    address: str = "",
    district: Unit | None = None,
    street: Unit | None = None,
    category: Category | None = None,
    limit: int = 5,
) -> DispatchAdvice:
    """Categories best first (the given one alone, or the classifier's top `limit`), the place
    (the given street, else what the address or, naming none, the text says, within the given
    district), and the catalogue's units for the first category in the best place."""
    if category is not None:
        categories = [_advice(category, 1.0)]
    else:
        categories = [_advice(c, confidence) for c, confidence in _readings([(title, text)], k=limit)[0]]
    resolved = resolve_place(
        address=address, text=f"{title} {text}".strip(), district=district.name if district is not None else ""
    )
    place = _given_place(district=district, street=street, resolved=resolved) if street is not None else resolved
    units: list[Suggestion] = []
    if categories:
        units = suggest_units(
            category_id=categories[0].category.pk,
            district_id=place.district.id if place is not None and place.district is not None else None,
            street_id=place.street.id if place is not None and place.street is not None else None,
        )
    return DispatchAdvice(categories=categories, place=place, units=units)


@dataclass(frozen=True)
class CategoryRoute:
    """A category the classifier reads in a ticket, and where the catalogue would send it."""

    advice: CategoryAdvice
    is_recorded: bool  # the ticket's category, or the category above it that the model knows
    units: list[Suggestion]


def _readings(texts: Sequence[tuple[str, str]], *, k: int) -> list[list[tuple[Category, float]]]:
    """For each (title, text), the classifier's active categories with their confidence, one batch."""
    return [
        [
            (category, suggestion.confidence)
            for suggestion in found
            if (category := reference.get(Category, pk=suggestion.category_id)) is not None and category.is_active
        ]
        for found in category_suggestions_of(texts=texts, k=k)
    ]


def _advice(category: Category, confidence: float) -> CategoryAdvice:
    return CategoryAdvice(category=category, path=category_path(category), confidence=confidence)


def _is_recorded(category: Category, ticket: Ticket) -> bool:
    return category.pk in {node.pk for node in reference.category_chain(ticket.category)}


def ticket_routes(*, ticket: Ticket, limit: int = 3) -> list[CategoryRoute]:
    """The classifier's reading of a ticket beside its recorded category, for the dispatcher:
    each suggested category with the catalogue's units for it in the ticket's place (one query
    for the rules of them all)."""
    (suggested,) = _readings([(ticket.title, ticket.description)], k=limit)
    chains = {category.pk: reference.category_chain(category) for category, _confidence in suggested}
    rules = rule_index(category_ids={c.pk for chain in chains.values() for c in chain})
    return [
        CategoryRoute(
            advice=_advice(category, confidence),
            is_recorded=_is_recorded(category, ticket),
            units=rank_suggestions(
                chain=chains[category.pk], district_id=ticket.district_id, street=ticket.street, rules=rules
            ),
        )
        for category, confidence in suggested
    ]


def top_categories(*, tickets: Sequence[Ticket]) -> dict[int, CategoryRoute | None]:
    """Per ticket, the classifier's first category (no units), for the dispatch queue's column:
    the whole page in one prediction batch."""
    readings = _readings([(ticket.title, ticket.description) for ticket in tickets], k=1)
    return {
        ticket.pk: CategoryRoute(advice=_advice(*found[0]), is_recorded=_is_recorded(found[0][0], ticket), units=[])
        if found
        else None
        for ticket, found in zip(tickets, readings, strict=True)
    }
