"""Unit search for the pickers: by name, short name, full pinyin and pinyin initials.

About 600 active units: each process keeps an index of them (hotline.reference, rebuilt after
any change to the org tree) and scans it in memory, so a search costs no query.
"""

from collections.abc import Collection, Iterable
from dataclasses import dataclass

from pypinyin import Style, lazy_pinyin

from hotline import reference
from hotline.models import Unit, UnitKind, in_reader_language

# Suffixes a street's name is known without ("新村街道" is "新村"), longest first.
STREET_SUFFIXES = ("街道", "地区", "乡", "镇")
KIND_ORDER = {kind: position for position, kind in enumerate(UnitKind.values)}


class Rank:
    """How well a query matches a unit, best first."""

    EXACT = 0
    PREFIX = 1
    INITIALS_PREFIX = 2
    SUBSTRING = 3
    PINYIN_PREFIX = 4
    # The query's characters in order with gaps: "丰台城管" in 丰台区城市管理委, "cgw" in its initials.
    IN_ORDER = 5


@dataclass(frozen=True)
class UnitMatch:
    id: int
    name: str
    name_en: str
    kind: str
    code: str | None
    district_id: int | None
    district_name: str | None
    district_name_en: str | None

    @property
    def kind_label(self) -> str:
        return UnitKind(self.kind).label

    @property
    def label(self) -> str:
        # The index is shared by readers of every language: the name is chosen per reader.
        return in_reader_language(name=self.name, name_en=self.name_en)

    @property
    def district_label(self) -> str | None:
        if self.district_name is None:
            return None
        return in_reader_language(name=self.district_name, name_en=self.district_name_en or "")


@dataclass(frozen=True)
class _Entry:
    unit: UnitMatch
    names: tuple[str, ...]  # the name, then its short names
    initials: tuple[str, ...]
    pinyin: tuple[str, ...]
    order: tuple[int, str, str, str]


def short_names(*, name: str, kind: str, parent_name: str | None, parent_kind: str | None) -> list[str]:
    """Names a unit is also known by: without its district or city prefix, a street without
    its suffix (丰台区城市管理委 → 城市管理委; 新村街道 → 新村)."""
    stems = [name]
    if parent_name and parent_kind in (UnitKind.DISTRICT, UnitKind.CITY):
        prefixes = [parent_name] if parent_kind == UnitKind.DISTRICT else [parent_name, "市"]
        stems += [name[len(prefix) :] for prefix in prefixes if len(name) > len(prefix) and name.startswith(prefix)]
    if kind == UnitKind.STREET:
        stems += [
            stem[: -len(suffix)]
            for stem in list(stems)
            for suffix in STREET_SUFFIXES
            if len(stem) > len(suffix) and stem.endswith(suffix)
        ]
    return list(dict.fromkeys(stem for stem in stems[1:] if stem != name))


def _entry(unit: Unit) -> _Entry:
    parent = unit.parent
    if unit.kind == UnitKind.DISTRICT:
        district = unit
    elif parent is not None and parent.kind == UnitKind.DISTRICT:
        district = parent
    else:
        district = None
    names = (
        unit.name,
        *short_names(
            name=unit.name,
            kind=unit.kind,
            parent_name=parent.name if parent else None,
            parent_kind=parent.kind if parent else None,
        ),
    )
    return _Entry(
        unit=UnitMatch(
            id=unit.pk,
            name=unit.name,
            name_en=unit.name_en,
            kind=unit.kind,
            code=unit.code,
            district_id=district.pk if district else None,
            district_name=district.name if district else None,
            district_name_en=district.name_en if district else None,
        ),
        names=names,
        initials=tuple("".join(lazy_pinyin(name, style=Style.FIRST_LETTER)).lower() for name in names),
        pinyin=tuple("".join(lazy_pinyin(name)).lower() for name in names),
        # Departments have no code: their district's code, then the name, order them.
        order=(KIND_ORDER.get(unit.kind, len(KIND_ORDER)), unit.code or "", (parent and parent.code) or "", unit.name),
    )


def _build() -> list[_Entry]:
    return [_entry(unit) for unit in Unit.objects.filter(is_active=True).select_related("parent")]


def _index() -> list[_Entry]:
    return reference.derived("unit-search", _build)


def _gaps(query: str, text: str) -> int | None:
    """Characters skipped to find the query's characters in order in the text; None if they are not."""
    position = start = -1
    for char in query:
        position = text.find(char, position + 1)
        if position < 0:
            return None
        if start < 0:
            start = position
    return position - start + 1 - len(query)


def _rank(query: str, entry: _Entry) -> tuple[int, int] | None:
    """The match's rank and, within the in-order rank, the gaps; None when it does not match."""
    if query in entry.names:
        return Rank.EXACT, 0
    if any(name.startswith(query) for name in entry.names):
        return Rank.PREFIX, 0
    if any(initials.startswith(query) for initials in entry.initials):
        return Rank.INITIALS_PREFIX, 0
    if query in entry.names[0]:
        return Rank.SUBSTRING, 0
    if any(pinyin.startswith(query) for pinyin in entry.pinyin):
        return Rank.PINYIN_PREFIX, 0
    if len(query) < 2:
        return None
    gaps = [gap for text in (entry.names[0], *entry.initials) if (gap := _gaps(query, text)) is not None]
    return (Rank.IN_ORDER, min(gaps)) if gaps else None


def search(*, query: str, kinds: Collection[str], within: int | None, limit: int) -> list[UnitMatch]:
    query = "".join(query.split()).lower()
    if not query:
        return []
    entries: Iterable[_Entry] = _index()
    if kinds:
        entries = (entry for entry in entries if entry.unit.kind in kinds)
    if within is not None:
        entries = (entry for entry in entries if entry.unit.district_id == within)
    ranked = []
    for entry in entries:
        rank = _rank(query, entry)
        if rank is not None:
            ranked.append((rank, entry.order, entry.unit))
    ranked.sort(key=lambda item: (item[0], item[1]))
    return [unit for _, _, unit in ranked[:limit]]
