"""The rate formulas on counts, by hand."""

from decimal import Decimal

from evaluation.scoring import Counts, Parameters, RateSums, competition_ranks, rates, sample_sufficient

TEN_45_45 = Parameters(
    response_weight=Decimal("0.10"),
    resolution_weight=Decimal("0.45"),
    satisfaction_weight=Decimal("0.45"),
    basically_satisfied_factor=Decimal("0.8"),
    partly_resolved_factor=Decimal("0"),
    advanced_count=10,
    rectify_count=10,
    improved_margin=Decimal(5),
    improved_rank_rise=20,
    minimum_responses=1,
    minimum_callbacks=1,
    governance_share=Decimal("0.10"),
    governance_months=3,
    governance_minimum=30,
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
    counts = Counts(
        required_response=5, responded_in_time=5, callbacks_answered=4, resolved=2, partly_resolved=1, satisfied=4
    )
    result = rates(counts=counts, parameters=half, adjustment=Decimal("-1.5"))
    assert result.resolution == Decimal("0.6250")  # (2 + 0.5) / 4
    assert result.composite == Decimal("81.63")  # 100·(0.1 + 0.28125 + 0.45) − 1.5 = 81.625 → 81.63


def test_an_empty_denominator_is_an_empty_rate_and_no_score():
    # Given callbacks but nothing that required a response
    result = rates(counts=Counts(callbacks_answered=4, resolved=4, satisfied=4), parameters=TEN_45_45)
    # Then the response rate is empty (not 100 %) and there is no composite score to rank by
    assert (result.response, result.resolution, result.composite) == (None, Decimal(1), None)


def test_the_minimum_sample_needs_both_denominators():
    five = Parameters(**{**TEN_45_45.__dict__, "minimum_responses": 5, "minimum_callbacks": 5})
    assert sample_sufficient(counts=Counts(required_response=5, callbacks_answered=5), parameters=five)
    assert not sample_sufficient(counts=Counts(required_response=4, callbacks_answered=50), parameters=five)
    assert not sample_sufficient(counts=Counts(required_response=50, callbacks_answered=4), parameters=five)
    # A minimum of 0 still needs something to count
    zero = Parameters(**{**TEN_45_45.__dict__, "minimum_responses": 0, "minimum_callbacks": 0})
    assert not sample_sufficient(counts=Counts(required_response=3), parameters=zero)
    assert (
        rates(
            counts=Counts(required_response=4, responded_in_time=4, callbacks_answered=4, resolved=4, satisfied=4),
            parameters=five,
        ).composite
        is None
    )


def test_sums_add_months_with_their_own_factors():
    # Given two months whose schemes weigh "basically satisfied" differently
    october = RateSums.of(
        counts=Counts(callbacks_answered=2, satisfied=1, basically_satisfied=1),
        partly_resolved_factor=Decimal(0),
        basically_satisfied_factor=Decimal("0.8"),
    )
    november = RateSums.of(
        counts=Counts(callbacks_answered=2, basically_satisfied=2),
        partly_resolved_factor=Decimal(0),
        basically_satisfied_factor=Decimal("0.5"),
    )
    # Then together: (1 + 0.8 + 2 · 0.5) / 4
    assert (october + november).satisfaction == Decimal("0.7000")
    assert (october + november).response is None


def test_competition_ranks_share_ties():
    assert competition_ranks([Decimal(90), Decimal(80), Decimal(80), Decimal(70)]) == [1, 2, 2, 4]
    assert competition_ranks([]) == []
