"""The formulas of DESIGN.md §6, as pure functions over counts (no database here; which rows
count is evaluation.rates).

Response rate    = responded in time / tickets that required a response
Resolution rate  = (resolved + p · partly resolved) / callbacks answered
Satisfaction rate = (satisfied + k · basically satisfied) / callbacks answered
Composite score  = 100 · Σ weightᵢ · rateᵢ + bonus/penalty points

A rate with an empty denominator is empty, not 100 %. A unit below the minimum sample (fewer
tickets requiring a response, or fewer answered callbacks, than the scheme's minimums) gets no
composite score: it is listed as 样本不足, without a rank or a class.
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
    rectify_count: int
    improved_margin: Decimal
    improved_rank_rise: int
    minimum_responses: int
    minimum_callbacks: int
    governance_share: Decimal
    governance_months: int
    governance_minimum: int

    def as_json(self) -> dict[str, str | int]:
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
    response: Decimal | None
    resolution: Decimal | None
    satisfaction: Decimal | None
    composite: Decimal | None


def ratio(numerator: Decimal, denominator: int) -> Decimal | None:
    if denominator == 0:
        return None
    return (numerator / denominator).quantize(RATE_PLACES, rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class RateSums:
    """Numerators and denominators of the three rates. They add up across units and months,
    each month's partial answers weighted with that month's factors."""

    responded: Decimal = Decimal(0)
    required: int = 0
    resolved: Decimal = Decimal(0)
    satisfied: Decimal = Decimal(0)
    answered: int = 0

    @classmethod
    def of(cls, *, counts: Counts, partly_resolved_factor: Decimal, basically_satisfied_factor: Decimal) -> "RateSums":
        return cls(
            responded=Decimal(counts.responded_in_time),
            required=counts.required_response,
            resolved=counts.resolved + partly_resolved_factor * counts.partly_resolved,
            satisfied=counts.satisfied + basically_satisfied_factor * counts.basically_satisfied,
            answered=counts.callbacks_answered,
        )

    def __add__(self, other: "RateSums") -> "RateSums":
        return RateSums(**{f.name: getattr(self, f.name) + getattr(other, f.name) for f in fields(self)})

    @property
    def response(self) -> Decimal | None:
        return ratio(self.responded, self.required)

    @property
    def resolution(self) -> Decimal | None:
        return ratio(self.resolved, self.answered)

    @property
    def satisfaction(self) -> Decimal | None:
        return ratio(self.satisfied, self.answered)


def sample_sufficient(*, counts: Counts, parameters: Parameters) -> bool:
    """Enough tickets and answered callbacks for the rates to rank a unit (never an empty one)."""
    return counts.required_response >= max(parameters.minimum_responses, 1) and counts.callbacks_answered >= max(
        parameters.minimum_callbacks, 1
    )


def rates(*, counts: Counts, parameters: Parameters, adjustment: Decimal = Decimal(0)) -> Rates:
    sums = RateSums.of(
        counts=counts,
        partly_resolved_factor=parameters.partly_resolved_factor,
        basically_satisfied_factor=parameters.basically_satisfied_factor,
    )
    response, resolution, satisfaction = sums.response, sums.resolution, sums.satisfaction
    composite = None
    # A sufficient sample has every denominator above zero, so all three rates exist.
    if (
        sample_sufficient(counts=counts, parameters=parameters)
        and response is not None
        and resolution is not None
        and satisfaction is not None
    ):
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
