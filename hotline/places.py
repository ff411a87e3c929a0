"""The address resolver: free text → district, street/township and community, with a confidence.

Callers name places loosely ("我住望京那边", "东城区多福巷社区3号楼"). Every district, street,
functional zone and active community is indexed under its official name and the short forms
people use (`unit_short_forms`, `community_short_forms`). A text is scanned for every indexed
name; overlapping finds keep the longest (新村街道 over 新村, 怡海花园社区 over 花园), so each
stretch of text is one mention. Every street a mention points at (directly or through one of its
communities) is a hypothesis, scored by the mentions that agree with it and lowered by those that
contradict it (a district or street named elsewhere). Streets that stay close to the best are the
candidates; a name found in several streets is never a confident single answer.

Evidence weights: an official name or a form with its suffix (…社区, …村, …街道, …区) counts 1,
a bare short form less the shorter it is (a 2-character one such as 望京 half), a district's
bare short form (丰台) 0.8. A mention in the address field counts fully, one in the fallback text
(the ticket's description) `TEXT_FACTOR`; the text only proposes places when the address names
none. Bare community forms that are everyday words (中心, 西里, 花园: part of many names) and
forms that another level already uses (海淀 is the district, not 海淀街道) are not indexed.

The index is built once per process from the database and rebuilt after any change to the org
data (hotline.reference). Matching is pure Python over a dict keyed by name.
"""

import re
import unicodedata
from collections import Counter, defaultdict
from dataclasses import dataclass

from hotline import reference
from hotline.models import Community, Unit, UnitKind, in_reader_language

TEXT_FACTOR = 0.6
# Candidates scoring this much below the best are dropped as contradicted or outweighed.
MARGIN = 0.75
# A bare community form found inside this many other names is an everyday word, not a place.
GENERIC_MIN_NAMES = 6
# Longer texts are cut: places are named early, and matching time grows with length.
MAX_TEXT_CHARS = 2000
# The shortest name indexed; the index looks names up by their first PREFIX characters.
PREFIX = 2

_DISTRICT, _STREET, _COMMUNITY = 0, 1, 2

_COMMUNITY_SUFFIXES = ("社区居民委员会", "社区居委会", "居民委员会", "居委会", "社区")
_VILLAGE_SUFFIXES = ("村民委员会", "村委会")
_STREET_SUFFIX = re.compile(r"(?:回族|满族|蒙古族)?(?:街道|地区|乡|镇)$")
_STREET_VARIANTS = ("街道", "地区", "镇", "乡")
_ZONE_PREFIXES = ("中关村国家自主创新示范区", "中关村科技园区", "北京")
# Names people use for functional zones that no rule derives.
_ZONE_ALIASES = {
    "北京经济技术开发区": ("经开区", "亦庄开发区", "亦庄经济技术开发区", "亦庄经济开发区"),
    "大兴国际机场": ("大兴机场",),
}
_SUFFIXED = re.compile(r"(?:社区|村|街道|地区|乡|镇|区)$")


def normalize(text: str) -> str:
    """Full-width letters, digits and brackets to their ASCII forms; no whitespace."""
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", text))


def community_short_forms(name: str) -> list[str]:
    """The names people use for a committee besides its official one, most specific first:
    多福巷社区居委会 → [多福巷社区, 多福巷]; 长辛店村委会 → [长辛店村]; 唐家岭村股份经济合作社生活区
    → [唐家岭村]. A village's bare name (长辛店) is left out: it is usually the town's."""
    name = normalize(name)
    forms: list[str] = []
    if "股份经济合作社" in name:
        before, _, after = re.sub(r"\(集团\)", "", name).partition("股份经济合作社")
        forms = [after.removesuffix("生活区") or before]
    elif village := next((name.removesuffix(s) for s in _VILLAGE_SUFFIXES if name.endswith(s)), None):
        forms = [village if village.endswith("村") else f"{village}村"]
    elif base := next((name.removesuffix(s) for s in _COMMUNITY_SUFFIXES if name.endswith(s)), None):
        forms = [f"{base}社区", base]
    return [form for form in dict.fromkeys(forms) if len(form) >= 2 and form != name]


def unit_short_forms(name: str, *, kind: str) -> list[str]:
    """The names people use for a district, street/township or functional zone besides its
    official one: 丰台区 → [丰台]; 东华门街道 → [东华门, 东华门地区, 东华门镇, 东华门乡];
    南磨房地区 → [南磨房, 南磨房街道, …] (area offices were townships: 十八里店乡 is 十八里店地区);
    北京经济技术开发区 → [经济技术开发区, 经开区, 亦庄开发区, …]."""
    name = normalize(name)
    forms: list[str] = []
    if kind == UnitKind.DISTRICT:
        forms = [name.removesuffix("区")]
    elif kind == UnitKind.STREET:
        base = _STREET_SUFFIX.sub("", name)
        forms = [base, *(base + suffix for suffix in _STREET_VARIANTS)]
    elif kind == UnitKind.FUNCTIONAL_ZONE:
        prefix = next((p for p in _ZONE_PREFIXES if name.startswith(p)), "")
        forms = [name.removeprefix(prefix), *_ZONE_ALIASES.get(name, ())]
    return [form for form in dict.fromkeys(forms) if len(form) >= 2 and form != name]


@dataclass(frozen=True)
class PlaceUnit:
    """A district, street/township or functional zone."""

    id: int
    name: str
    code: str
    name_en: str = ""

    @property
    def label(self) -> str:
        # The resolver's index is shared by readers of every language: the name is chosen per reader.
        return in_reader_language(name=self.name, name_en=self.name_en)


@dataclass(frozen=True)
class PlaceCommunity:
    code: str
    name: str


@dataclass(frozen=True)
class PlaceCandidate:
    """One street still possible for the text, with the community named in it if any."""

    district: PlaceUnit
    street: PlaceUnit
    community: PlaceCommunity | None
    confidence: float


@dataclass(frozen=True)
class PlaceMatch:
    """The best reading of a text, and every street still possible (best first, the best one
    included). `street` is None when only a district is named; `confidence` is 0..1."""

    district: PlaceUnit
    street: PlaceUnit | None
    community: PlaceCommunity | None
    confidence: float
    candidates: tuple[PlaceCandidate, ...]

    def community_in(self, street_id: int) -> PlaceCommunity | None:
        """The community this text names in that street, if any (for a street chosen by hand)."""
        return next((c.community for c in self.candidates if c.street.id == street_id and c.community), None)


@dataclass(frozen=True)
class _Entry:
    """What an indexed name may mean: a district, a street, or a community (with its street)."""

    level: int
    district: int
    street: int | None
    community: int | None
    weight: float


@dataclass(frozen=True)
class _Index:
    names: dict[str, tuple[_Entry, ...]]
    # For each first two characters, the lengths of the names starting with them, longest first:
    # a text is looked up once per position, and only where a name may start, at every length.
    lengths: dict[str, tuple[int, ...]]
    districts: dict[int, PlaceUnit]
    streets: dict[int, tuple[PlaceUnit, int]]  # street id → (street, its district id)
    communities: dict[int, PlaceCommunity]


def _weight(form: str) -> float:
    """A short form's evidence; official names count 1."""
    if len(form) == 2:
        return 0.5
    if _SUFFIXED.search(form):
        return 1.0
    return 0.75 if len(form) == 3 else 0.9


def _build_index() -> _Index:
    units = list(
        Unit.objects.filter(
            kind__in=[UnitKind.DISTRICT, UnitKind.STREET, UnitKind.FUNCTIONAL_ZONE], is_active=True
        ).exclude(code=None)
    )
    districts = {u.pk: PlaceUnit(u.pk, u.name, u.code, u.name_en) for u in units if u.kind == UnitKind.DISTRICT}
    # Functional zones stand beside the streets: communities of 亦庄 or 密云园 point at them.
    street_units = [u for u in units if u.kind != UnitKind.DISTRICT and u.parent_id in districts]
    streets = {u.pk: (PlaceUnit(u.pk, u.name, u.code, u.name_en), u.parent_id) for u in street_units}
    rows = list(
        Community.objects.filter(is_active=True, street_id__in=streets).values_list("pk", "code", "name", "street_id")
    )
    communities = {pk: PlaceCommunity(code, name) for pk, code, name, _ in rows}

    names: dict[str, list[_Entry]] = defaultdict(list)
    district_forms: set[str] = set()
    for district in districts.values():
        names[normalize(district.name)].append(_Entry(_DISTRICT, district.id, None, None, 1.0))
        for form in unit_short_forms(district.name, kind=UnitKind.DISTRICT):
            district_forms.add(form)
            names[form].append(_Entry(_DISTRICT, district.id, None, None, 0.8))
    unit_forms = set(district_forms)
    for unit in street_units:
        names[normalize(unit.name)].append(_Entry(_STREET, unit.parent_id, unit.pk, None, 1.0))
        for form in unit_short_forms(unit.name, kind=unit.kind):
            if form in district_forms:  # 海淀, 怀柔: the district, not the street of that name
                continue
            unit_forms.add(form)
            names[form].append(_Entry(_STREET, unit.parent_id, unit.pk, None, _weight(form)))

    occurrences = _occurrences([normalize(name) for _, _, name, _ in rows])
    for pk, _, name, street_id in rows:
        district_id = streets[street_id][1]
        names[normalize(name)].append(_Entry(_COMMUNITY, district_id, street_id, pk, 1.0))
        for form in community_short_forms(name):
            # A street's name is read as the street (新村); an everyday word as nothing (中心, 花园).
            if form in unit_forms or occurrences[form] >= GENERIC_MIN_NAMES:
                continue
            names[form].append(_Entry(_COMMUNITY, district_id, street_id, pk, _weight(form)))

    # A single character names no place (and would be found everywhere).
    names = {key: entries for key, entries in names.items() if len(key) >= PREFIX}
    lengths: dict[str, set[int]] = defaultdict(set)
    for key in names:
        lengths[key[:PREFIX]].add(len(key))
    return _Index(
        names={key: tuple(entries) for key, entries in names.items()},
        lengths={char: tuple(sorted(ns, reverse=True)) for char, ns in lengths.items()},
        districts=districts,
        streets=streets,
        communities=communities,
    )


def _occurrences(official: list[str]) -> Counter[str]:
    """For each short community form (2 or 3 characters, other than its …社区 form), how many
    official names contain it besides those of the committees it names."""
    short = {
        form
        for name in official
        for form in community_short_forms(name)
        if len(form) <= 3 and not form.endswith("社区")
    }
    counts: Counter[str] = Counter()
    for name in official:
        grams = {name[i : i + n] for n in (2, 3) for i in range(len(name) - n + 1)}
        counts.update(grams & short)
        counts.subtract(set(community_short_forms(name)) & short)
    return counts


@dataclass(frozen=True)
class _Score:
    net: float
    support: float
    conflict: float
    community: int | None


def _index() -> _Index:
    return reference.derived("places.index", _build_index)


def _mentions(index: _Index, text: str) -> list[tuple[_Entry, ...]]:
    """The indexed names in `text`, longest first where finds overlap."""
    text = normalize(text)[:MAX_TEXT_CHARS]
    found: list[tuple[int, int, tuple[_Entry, ...]]] = []
    for start in range(len(text) - PREFIX + 1):
        room = len(text) - start
        for length in index.lengths.get(text[start : start + PREFIX], ()):
            if length <= room and (entries := index.names.get(text[start : start + length])):
                found.append((length, start, entries))
    found.sort(key=lambda f: (-f[0], f[1]))
    taken = bytearray(len(text))
    mentions = []
    for length, start, entries in found:
        if not any(taken[start : start + length]):
            taken[start : start + length] = b"\x01" * length
            mentions.append(entries)
    return mentions


def _agrees(entry: _Entry, *, district: int, street: int, community: int | None) -> bool:
    if entry.level == _DISTRICT:
        return entry.district == district
    if entry.level == _STREET:
        return entry.street == street
    return entry.community is not None and entry.community == community


def _strength(support: float) -> float:
    """Evidence to belief: one full name (support 1) gives 0.9, two 0.99, a 2-character form 0.68."""
    return 1 - 0.1**support


def resolve_place(*, address: str = "", text: str = "", district: str = "") -> PlaceMatch | None:
    """The place `address` names, or failing that the fallback `text` (e.g. the ticket's
    description); None when neither names a known district, street or community. A `district`
    chosen by hand (its name) is one more place the address names: it picks among streets that
    share a name, and contradicts those elsewhere.

    A single full name with nothing contradicting it gives a confidence of at least 0.9; a name
    several streets share gives each its share; a district or street named beside a community
    picks among them, and one that contradicts it lowers the confidence. The text proposes
    places only when the address proposes none, and counts `TEXT_FACTOR` of the address."""
    index = _index()
    from_address = _mentions(index, f"{district} {address}".strip())
    from_text = _mentions(index, text)
    weighed = [(1.0, m) for m in from_address] + [(TEXT_FACTOR, m) for m in from_text]
    if not weighed:
        return None
    hypotheses = _hypotheses(from_address) or _hypotheses(from_text)
    if not hypotheses:
        return _district_only(index, weighed)

    # Per street its best reading: support from agreeing mentions less contradicting ones.
    scored: dict[int, _Score] = {}
    for street, community in hypotheses:
        district = index.streets[street][1]
        support = conflict = 0.0
        for factor, entries in weighed:
            agreeing = [e.weight for e in entries if _agrees(e, district=district, street=street, community=community)]
            if agreeing:
                support += factor * max(agreeing)
            else:
                conflict += factor * max(e.weight for e in entries)
        score = _Score(support - conflict, support, conflict, community)
        best = scored.get(street)
        # On a tie, the reading that claims no community: the evidence is the street's.
        if best is None or (score.net, score.support, community is None) > (
            best.net,
            best.support,
            best.community is None,
        ):
            scored[street] = score

    top = max(score.net for score in scored.values())
    belief = {
        street: _strength(score.support) * score.support / (score.support + score.conflict)
        for street, score in scored.items()
        if score.net >= top - MARGIN
    }
    total = sum(belief.values())
    candidates = sorted(
        (
            PlaceCandidate(
                district=index.districts[index.streets[street][1]],
                street=index.streets[street][0],
                community=_community(index, scored[street].community),
                confidence=round(value * value / total, 3),
            )
            for street, value in belief.items()
        ),
        key=lambda c: (-c.confidence, c.street.code),
    )
    best = candidates[0]
    return PlaceMatch(best.district, best.street, best.community, best.confidence, tuple(candidates))


def _community(index: _Index, pk: int | None) -> PlaceCommunity | None:
    return index.communities[pk] if pk is not None else None


def _hypotheses(mentions: list[tuple[_Entry, ...]]) -> set[tuple[int, int | None]]:
    """The (street, community) readings of the mentions."""
    return {(e.street, e.community) for entries in mentions for e in entries if e.street is not None}


def _district_only(index: _Index, weighed: list[tuple[float, tuple[_Entry, ...]]]) -> PlaceMatch:
    """Only districts are named: the best supported one, less sure when others are named too."""
    support: Counter[int] = Counter()
    for factor, entries in weighed:
        for district in {e.district for e in entries}:
            support[district] += factor * max(e.weight for e in entries if e.district == district)
    (district, best), total = support.most_common(1)[0], sum(support.values())
    confidence = round(_strength(best) * best / total, 3)
    return PlaceMatch(index.districts[district], None, None, confidence, ())
