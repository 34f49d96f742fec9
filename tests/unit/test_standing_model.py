"""The standing model, by example and by property (hypothesis)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from flexfleet.standing import config
from flexfleet.standing.model import (
    DeliveryComponent,
    DeliveryFact,
    RatingComponent,
    RatingFact,
    bayesian_rating,
    component_tier,
    delivery_component,
    delivery_evidence,
    delivery_tiers,
    overall_tier,
    rating_component,
    rating_evidence,
    rating_tiers,
)
from flexfleet.standing.view import component_view
from flexfleet.tiers import Tier

NOW = datetime(2026, 11, 21, 12, tzinfo=UTC)


def rating(n: int, stars: int, days_ago: float = 1, **extra: object) -> RatingFact:
    return RatingFact(
        rating_id=f"r{n}", stars=stars, rated_at=NOW - timedelta(days=days_ago), **extra
    )


def delivery(
    n: int,
    *,
    days_ago: float = 1,
    late: bool = False,
    outcome: str = "delivered",
    cause: str | None = None,
) -> DeliveryFact:
    start = NOW - timedelta(days=days_ago)
    delivered = start + timedelta(hours=3 if late else 1) if outcome == "delivered" else None
    return DeliveryFact(
        delivery_id=f"d{n}",
        promised_start=start,
        promised_end=start + timedelta(hours=2),
        delivered_at=delivered,
        outcome=outcome,
        cause=cause,
    )


stars_lists = st.lists(st.integers(min_value=1, max_value=5), max_size=150)


def test_a_new_driver_starts_at_the_prior_mean() -> None:
    assert rating_component([], NOW).score == config.PRIOR_MEAN_C


def test_three_five_star_ratings_move_a_new_driver_only_a_little() -> None:
    assert bayesian_rating([5, 5, 5]) == Decimal(111) / 23  # (20 * 4.8 + 15) / 23


def test_only_the_newest_100_eligible_ratings_of_the_last_180_days_count() -> None:
    old_ones = [rating(n, 1, days_ago=200) for n in range(10)]
    newest = [rating(100 + n, 5, days_ago=1 + n / 100) for n in range(100)]
    older_within_window = [rating(300 + n, 1, days_ago=50) for n in range(30)]

    component = rating_component(old_ones + newest + older_within_window, NOW)

    assert component.counted == 100
    assert component.sum_stars == 500
    assert component.in_window == 130


def test_an_excluded_rating_and_an_excused_low_rating_do_not_count() -> None:
    ratings = [
        rating(1, 1, excluded=True),
        rating(2, 2, tags=frozenset({"weather", "store_delay"})),
        rating(3, 2, tags=frozenset({"weather", "rude"})),  # one tag is the driver's: counts
        rating(4, 4, tags=frozenset({"weather"})),  # four stars is never excused: counts
    ]

    component = rating_component(ratings, NOW)

    assert (component.counted, component.excluded, component.excused) == (2, 1, 1)
    assert component.sum_stars == 6


def test_coaching_figures_cover_the_counted_ratings() -> None:
    ratings = [
        rating(1, 5, days_ago=2, factors={"timeliness": 5, "packageCare": 4}),
        rating(2, 3, days_ago=40, factors={"timeliness": 3}),
    ]

    component = rating_component(ratings, NOW)

    assert component.histogram == {"1": 0, "2": 0, "3": 1, "4": 0, "5": 1}
    assert component.factor_averages == {
        "timeliness": Decimal("4.0000"),
        "packageCare": Decimal("4.0000"),
    }
    assert (component.trend_recent, component.trend_before) == (
        Decimal("5.0000"),
        Decimal("3.0000"),
    )


def test_on_time_counts_deliveries_inside_their_promised_window() -> None:
    deliveries = [delivery(n) for n in range(8)] + [delivery(8, late=True), delivery(9, late=True)]

    component = delivery_component(deliveries, NOW)

    assert (component.on_time, component.delivered) == (8, 10)
    assert component.on_time_rate == Decimal("0.9000")  # (8 + 20*0.95) / (10 + 20)


def test_completion_leaves_out_failures_with_an_outside_cause() -> None:
    deliveries = [
        delivery(1),
        delivery(2, outcome="undeliverable", cause="external"),
        delivery(3, outcome="returned", cause="driver"),
        delivery(4, days_ago=91, outcome="cancelled", cause="driver"),  # out of the window
    ]

    component = delivery_component(deliveries, NOW)

    assert (component.delivered, component.completable, component.total) == (1, 2, 3)
    assert component.completion_rate == Decimal("20.6") / 22  # (1 + 20*0.98) / (2 + 20)


def test_the_weakest_component_decides_the_tier() -> None:
    ratings = rating_component([rating(n, 5) for n in range(100)], NOW)
    late = delivery_component([delivery(n, late=n % 2 == 0) for n in range(100)], NOW)

    assert component_tier("customerRating", ratings.score) is Tier.FANTASTIC
    assert overall_tier({**rating_tiers(ratings), **delivery_tiers(late)}) is Tier.AT_RISK


def test_the_view_gives_the_next_threshold_and_the_gap() -> None:
    view = component_view("customerRating", Decimal("4.75"))

    assert (view.tier, view.next_tier, view.next_threshold, view.gap) == (
        "Great",
        "Fantastic",
        Decimal("4.85"),
        Decimal("0.1000"),
    )
    assert component_view("onTimeRate", Decimal("0.99")).next_tier is None


def test_review_needs_enough_ratings_with_a_bad_upper_bound() -> None:
    deliveries = delivery_component([], NOW)
    few_bad = rating_component([rating(n, 1) for n in range(49)], NOW)
    many_bad = rating_component([rating(n, 3 + n % 2) for n in range(60)], NOW)
    many_fine = rating_component([rating(n, 4 + n % 2) for n in range(60)], NOW)

    assert not rating_evidence(few_bad)
    assert rating_evidence(many_bad)
    assert not rating_evidence(many_fine)
    assert not delivery_evidence(deliveries)


@given(stars_lists)
def test_one_more_five_star_rating_never_lowers_the_customer_rating(stars: list[int]) -> None:
    ratings = [rating(n, s, days_ago=2 + n / 1000) for n, s in enumerate(stars)]
    before = rating_component(ratings, NOW).score

    after = rating_component([*ratings, rating(10_000, 5, days_ago=1)], NOW).score

    assert after >= before


@given(stars_lists)
def test_the_customer_rating_stays_between_the_prior_and_the_stars(stars: list[int]) -> None:
    score = rating_component(
        [rating(n, s, days_ago=1 + n / 1000) for n, s in enumerate(stars)], NOW
    ).score

    counted = stars[: config.RATING_WINDOW_COUNT]
    low = min([config.PRIOR_MEAN_C, *map(Decimal, counted)])
    high = max([config.PRIOR_MEAN_C, *map(Decimal, counted)])
    assert Decimal(1) <= low <= score <= high <= Decimal(5)


@given(
    st.integers(min_value=0, max_value=300),
    st.integers(min_value=0, max_value=300),
    st.integers(min_value=0, max_value=300),
    st.integers(min_value=0, max_value=300),
)
def test_rates_stay_between_zero_and_one(
    on_time: int, late: int, failed: int, excused: int
) -> None:
    deliveries = (
        [delivery(n) for n in range(on_time)]
        + [delivery(1000 + n, late=True) for n in range(late)]
        + [delivery(2000 + n, outcome="returned", cause="driver") for n in range(failed)]
        + [delivery(3000 + n, outcome="undeliverable", cause="external") for n in range(excused)]
    )

    component = delivery_component(deliveries, NOW)

    assert Decimal(0) <= component.on_time_rate <= Decimal(1)
    assert Decimal(0) <= component.completion_rate <= Decimal(1)


@pytest.mark.parametrize("component", sorted(config.TIER_THRESHOLDS))
@given(st.sampled_from([Tier.FANTASTIC, Tier.GREAT, Tier.FAIR]))
def test_a_threshold_reaches_its_tier_and_a_hair_below_does_not(component: str, tier: Tier) -> None:
    threshold = config.TIER_THRESHOLDS[component][tier]

    assert component_tier(component, threshold) is tier
    assert component_tier(component, threshold - Decimal("0.0001")) is Tier(tier - 1)


@given(
    st.decimals(min_value=1, max_value=5, places=4),
    st.decimals(min_value=0, max_value=1, places=4),
    st.decimals(min_value=0, max_value=1, places=4),
)
def test_the_overall_tier_is_never_above_any_components_tier(
    score: Decimal, on_time: Decimal, completion: Decimal
) -> None:
    ratings = RatingComponent(
        score=score,
        counted=0,
        sum_stars=0,
        in_window=0,
        excluded=0,
        excused=0,
        histogram={},
        factor_averages={},
        trend_recent=None,
        trend_before=None,
        upper_bound=None,
    )
    deliveries = DeliveryComponent(
        on_time_rate=on_time,
        on_time=0,
        delivered=0,
        completion_rate=completion,
        completable=0,
        total=0,
    )

    tier = overall_tier({**rating_tiers(ratings), **delivery_tiers(deliveries)})

    assert tier <= component_tier("customerRating", score)
    assert tier <= component_tier("onTimeRate", on_time)
    assert tier <= component_tier("completionRate", completion)
    assert tier in (
        component_tier("customerRating", score),
        component_tier("onTimeRate", on_time),
        component_tier("completionRate", completion),
    )


def test_a_rate_a_hair_below_a_threshold_keeps_the_lower_tier_and_shows_so() -> None:
    on_time = delivery_component(
        [delivery(n) for n in range(949)] + [delivery(1000 + n, late=True) for n in range(50)], NOW
    )

    view = component_view("onTimeRate", on_time.on_time_rate)

    assert on_time.on_time_rate < Decimal("0.95")  # 968 / 1019 = 0.94995...
    assert (view.tier, view.value, view.gap) == ("Great", Decimal("0.9499"), Decimal("0.0001"))


def test_review_counts_deliveries_whatever_their_outcome() -> None:
    late = [delivery(n, late=True) for n in range(45)]
    failed = [delivery(100 + n, outcome="returned", cause="driver") for n in range(15)]

    component = delivery_component(late + failed, NOW)

    assert (component.total, component.delivered) == (60, 45)
    assert delivery_evidence(component)
