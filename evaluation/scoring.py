"""The formulas of DESIGN.md §6, as pure functions over counts (no database here).

Response rate    = responded in time / tickets that required a response
Resolution rate  = (resolved + p · partly resolved) / callbacks answered
Satisfaction rate = (satisfied + k · basically satisfied) / callbacks answered
Composite score  = 100 · Σ weightᵢ · rateᵢ + bonus/penalty points

A rate whose denominator is empty counts as 1 (nothing went wrong); units with no ticket and
no answered callback in the month are not ranked at all.
"""

from dataclasses import dataclass, fields
from decimal import ROUND_HALF_UP, Decimal

RATE_PLACES = Decimal("0.0001")
SCORE_PLACES = Decimal("0.01")


@dataclass(frozen=True)
class Parameters:
    response_weight: Decimal
    resolution_weight: Decimal
    satisfaction_weight: Decimal
    basically_satisfied_factor: Decimal
    partly_resolved_factor: Decimal
    advanced_count: int
    improved_count: int
    rectify_count: int

    def as_json(self) -> dict:
        return {name: str(value) if isinstance(value, Decimal) else value for name, value in self.__dict__.items()}


@dataclass(frozen=True)
class Counts:
    required_response: int = 0
    responded_in_time: int = 0
    callbacks_answered: int = 0
    resolved: int = 0
    partly_resolved: int = 0
    satisfied: int = 0
    basically_satisfied: int = 0
    excluded: int = 0

    @property
    def has_volume(self) -> bool:
        return self.required_response > 0 or self.callbacks_answered > 0

    def __add__(self, other: "Counts") -> "Counts":
        return Counts(**{f.name: getattr(self, f.name) + getattr(other, f.name) for f in fields(self)})


@dataclass(frozen=True)
class Rates:
    response: Decimal
    resolution: Decimal
    satisfaction: Decimal
    composite: Decimal


def _ratio(numerator: Decimal, denominator: int) -> Decimal:
    if denominator == 0:
        return Decimal(1)
    return (numerator / denominator).quantize(RATE_PLACES, rounding=ROUND_HALF_UP)


def rates(*, counts: Counts, parameters: Parameters, adjustment: Decimal = Decimal(0)) -> Rates:
    response = _ratio(Decimal(counts.responded_in_time), counts.required_response)
    resolution = _ratio(
        counts.resolved + parameters.partly_resolved_factor * counts.partly_resolved, counts.callbacks_answered
    )
    satisfaction = _ratio(
        counts.satisfied + parameters.basically_satisfied_factor * counts.basically_satisfied,
        counts.callbacks_answered,
    )
    weighted = (
        parameters.response_weight * response
        + parameters.resolution_weight * resolution
        + parameters.satisfaction_weight * satisfaction
    )
    composite = (weighted * 100 + adjustment).quantize(SCORE_PLACES, rounding=ROUND_HALF_UP)
    return Rates(response, resolution, satisfaction, composite)


def competition_ranks(scores: list[Decimal]) -> list[int]:
    """Standard competition ranking (1, 2, 2, 4) of scores sorted from best to worst."""
    ranks: list[int] = []
    for position, score in enumerate(scores, start=1):
        ranks.append(ranks[-1] if ranks and score == scores[position - 2] else position)
    return ranks
