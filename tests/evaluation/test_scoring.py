"""The rate formulas on counts, by hand."""

from decimal import Decimal

from evaluation.scoring import Counts, Parameters, competition_ranks, rates

TEN_45_45 = Parameters(
    response_weight=Decimal("0.10"),
    resolution_weight=Decimal("0.45"),
    satisfaction_weight=Decimal("0.45"),
    basically_satisfied_factor=Decimal("0.8"),
    partly_resolved_factor=Decimal("0"),
    advanced_count=10,
    improved_count=5,
    rectify_count=10,
)


def test_rates_by_hand():
    counts = Counts(
        required_response=5,
        responded_in_time=2,
        callbacks_answered=4,
        resolved=2,
        partly_resolved=1,
        satisfied=1,
        basically_satisfied=2,
    )
    result = rates(counts=counts, parameters=TEN_45_45)
    assert result.response == Decimal("0.4000")
    assert result.resolution == Decimal("0.5000")
    assert result.satisfaction == Decimal("0.6500")  # (1 + 0.8 · 2) / 4
    assert result.composite == Decimal("55.75")  # 100 · (0.1·0.4 + 0.45·0.5 + 0.45·0.65)


def test_partly_resolved_factor_and_adjustment():
    half = Parameters(**{**TEN_45_45.__dict__, "partly_resolved_factor": Decimal("0.5")})
    counts = Counts(callbacks_answered=4, resolved=2, partly_resolved=1, satisfied=4)
    result = rates(counts=counts, parameters=half, adjustment=Decimal("-1.5"))
    assert result.resolution == Decimal("0.6250")  # (2 + 0.5) / 4
    assert result.response == Decimal(1)  # nothing required a response
    assert result.composite == Decimal("81.63")  # 100·(0.1 + 0.28125 + 0.45) − 1.5 = 81.625 → 81.63


def test_competition_ranks_share_ties():
    assert competition_ranks([Decimal(90), Decimal(80), Decimal(80), Decimal(70)]) == [1, 2, 2, 4]
    assert competition_ranks([]) == []
