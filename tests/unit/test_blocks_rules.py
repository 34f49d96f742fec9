"""The pure cores of blocks, pay and releases, by property (hypothesis) and on DST days."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from hypothesis import given
from hypothesis import strategies as st

from flexfleet.blocks import config
from flexfleet.blocks.model import Block
from flexfleet.blocks.pay import base_rate, hours, is_premium, pay, surge
from flexfleet.blocks.releases import may_see, release_times, reserved_order, reserved_places
from flexfleet.blocks.service import block_view
from flexfleet.tiers import Tier

WORST_TO_BEST = sorted(Tier)
SHIFT_TYPES = st.sampled_from(sorted(config.SHIFT_TYPES))
MOMENTS = st.datetimes(
    min_value=datetime(2026, 1, 1), max_value=datetime(2030, 1, 1), timezones=st.just(UTC)
)
# Any lead the API accepts, to the second: MIN_LEAD_TIME to MAX_LEAD_TIME.
LEADS = st.integers(
    int(config.MIN_LEAD_TIME.total_seconds()), int(config.MAX_LEAD_TIME.total_seconds())
).map(lambda s: timedelta(seconds=s))
# Any moment from well before publication to well after the start.
OFFSETS = st.integers(-3 * 86400, 16 * 86400).map(lambda s: timedelta(seconds=s))
VEGAS = ZoneInfo("America/Los_Angeles")
PHOENIX = ZoneInfo("America/Phoenix")


# ------------------------------------------------------------------ pay


def test_the_shift_types_pay_what_the_readme_says_and_all_but_standard_are_premium() -> None:
    rates = {name: base_rate(name) for name in config.SHIFT_TYPES}
    assert rates == {
        "standard": Decimal("18.00"),
        "retail": Decimal("19.50"),
        "evening": Decimal("21.00"),
        "weekend": Decimal("22.50"),
        "holiday": Decimal("25.00"),
    }
    assert [name for name in rates if is_premium(name)] == [
        "retail",
        "evening",
        "weekend",
        "holiday",
    ]


@given(shift_type=SHIFT_TYPES, start=MOMENTS, since_start=OFFSETS)
def test_pay_per_hour_with_surge_is_always_between_18_and_25_dollars(
    shift_type: str, start: datetime, since_start: timedelta
) -> None:
    base = base_rate(shift_type)
    now = start - config.MAX_LEAD_TIME + since_start
    rate = base + surge(base, start, now)
    assert config.MIN_HOURLY_RATE <= rate <= config.MAX_HOURLY_RATE
    assert (config.MIN_HOURLY_RATE, config.MAX_HOURLY_RATE) == (Decimal(18), Decimal(25))


@given(shift_type=SHIFT_TYPES, start=MOMENTS, earlier=OFFSETS, later=OFFSETS)
def test_surge_never_falls_as_the_start_nears_and_is_never_negative(
    shift_type: str, start: datetime, earlier: timedelta, later: timedelta
) -> None:
    base = base_rate(shift_type)
    first, second = sorted((earlier, later))
    before = surge(base, start, start - config.MAX_LEAD_TIME + first)
    after = surge(base, start, start - config.MAX_LEAD_TIME + second)
    assert Decimal(0) <= before <= after


def test_surge_steps_are_1_then_2_then_3_50_dollars_at_3_2_and_1_hours_before_the_start() -> None:
    start = datetime(2026, 12, 1, 18, tzinfo=UTC)
    retail = base_rate("retail")
    steps = [surge(retail, start, start - timedelta(hours=h)) for h in (4, 3, 2.5, 2, 1, 0)]
    assert steps == [Decimal(s) for s in ("0.00", "1.00", "1.00", "2.00", "3.50", "3.50")]
    # Holiday pay is at the ceiling already: nothing to add.
    assert surge(base_rate("holiday"), start, start) == Decimal(0)


@given(
    shift_type=SHIFT_TYPES,
    start=MOMENTS,
    minutes=st.integers(60, 8 * 60),
)
def test_pay_is_the_rate_times_the_hours_to_the_cent(
    shift_type: str, start: datetime, minutes: int
) -> None:
    end = start + timedelta(minutes=minutes)
    rate = base_rate(shift_type)
    assert hours(start, end) == Decimal(minutes) / 60
    assert abs(pay(rate, start, end) - rate * Decimal(minutes) / 60) <= Decimal("0.005")


# ------------------------------------------------------------------ releases


@given(published=MOMENTS, lead=LEADS, since=OFFSETS, premium=st.booleans())
def test_a_lower_tier_never_sees_a_block_before_a_higher_one(
    published: datetime, lead: timedelta, since: timedelta, premium: bool
) -> None:
    releases = release_times(published, published + lead)
    now = published + since
    for worse, better in zip(WORST_TO_BEST, WORST_TO_BEST[1:], strict=False):
        assert releases[better] <= releases[worse]
        if may_see(worse, premium, releases, now):
            assert may_see(better, premium, releases, now)


@given(published=MOMENTS, lead=LEADS, since=OFFSETS)
def test_at_risk_never_sees_a_premium_block_at_any_moment(
    published: datetime, lead: timedelta, since: timedelta
) -> None:
    releases = release_times(published, published + lead)
    assert not may_see(Tier.AT_RISK, True, releases, published + since)
    assert may_see(Tier.AT_RISK, False, releases, releases[Tier.AT_RISK])


@given(published=MOMENTS, lead=LEADS)
def test_every_release_is_2_hours_before_the_start_and_under_24_hours_after_publication(
    published: datetime, lead: timedelta
) -> None:
    start = published + lead
    releases = release_times(published, start)
    assert releases[Tier.FANTASTIC] == published
    for moment in releases.values():
        assert published <= moment < published + timedelta(hours=24)
        assert moment <= start - config.MIN_LEAD_TIME


@given(published=MOMENTS, lead=LEADS)
def test_with_time_to_spare_each_tier_waits_exactly_its_configured_delay(
    published: datetime, lead: timedelta
) -> None:
    releases = release_times(published, published + lead)
    for tier, delay in config.RELEASE_DELAYS.items():
        if published + delay <= published + lead - config.MIN_LEAD_TIME:
            assert releases[tier] == published + delay


def test_the_configured_delays_are_ordered_best_first_and_all_under_24_hours() -> None:
    delays = [config.RELEASE_DELAYS[tier] for tier in reversed(WORST_TO_BEST)]
    assert delays == sorted(delays) and delays[0] == timedelta(0)
    assert delays[-1] < timedelta(hours=24)


# ------------------------------------------------------------------ reserved offers


@given(capacity=st.integers(1, config.MAX_CAPACITY))
def test_a_fifth_of_the_capacity_rounded_down_is_reserved(capacity: int) -> None:
    assert reserved_places(capacity) == capacity * 2 // 10
    assert 0 <= reserved_places(capacity) < capacity


@given(
    block_id=st.text("abc-0123456789", min_size=1, max_size=12),
    drivers=st.lists(st.text("dxyz0123456789", min_size=1, max_size=8), unique=True),
)
def test_reserved_offers_go_in_an_order_fixed_by_the_block_and_the_drivers_not_the_input(
    block_id: str, drivers: list[str]
) -> None:
    order = reserved_order(block_id, drivers)
    assert sorted(order) == sorted(drivers)
    assert reserved_order(block_id, list(reversed(drivers))) == order


# ------------------------------------------------------------------ DST days


def block_at(mall_zone: ZoneInfo, start: datetime, end: datetime, shift_type: str) -> Block:
    published = start - timedelta(days=3)
    return Block(
        block_id="b-dst",
        mall_id="some-mall",
        shift_type=shift_type,
        start=start,
        end=end,
        capacity=1,
        time_zone=str(mall_zone),
        base_rate=base_rate(shift_type),
        surge=Decimal("0.00"),
        premium=is_premium(shift_type),
        releases={t.label: m for t, m in release_times(published, start).items()},
        published_at=published,
        published_by="ops-1",
    )


def test_a_las_vegas_block_across_the_spring_forward_is_three_real_hours() -> None:
    # 2027-03-14: 02:00 PST becomes 03:00 PDT. 01:00 to 05:00 on the wall clock is 3 hours.
    start = datetime(2027, 3, 14, 1, tzinfo=VEGAS)
    end = datetime(2027, 3, 14, 5, tzinfo=VEGAS)
    view = block_view(block_at(VEGAS, start, end, "weekend"))

    assert (view.start, view.end) == (
        datetime(2027, 3, 14, 9, tzinfo=UTC),
        datetime(2027, 3, 14, 12, tzinfo=UTC),
    )
    assert (view.local_start, view.local_end) == (
        "2027-03-14T01:00:00-08:00",
        "2027-03-14T05:00:00-07:00",
    )
    assert (view.hours, view.pay) == (Decimal(3), Decimal("67.50"))


def test_the_same_wall_clock_block_in_chandler_is_four_hours_as_arizona_keeps_standard_time() -> (
    None
):
    start = datetime(2027, 3, 14, 1, tzinfo=PHOENIX)
    end = datetime(2027, 3, 14, 5, tzinfo=PHOENIX)
    view = block_view(block_at(PHOENIX, start, end, "weekend"))

    assert (view.local_start, view.local_end) == (
        "2027-03-14T01:00:00-07:00",
        "2027-03-14T05:00:00-07:00",
    )
    assert (view.hours, view.pay) == (Decimal(4), Decimal("90.00"))


def test_a_las_vegas_block_across_the_fall_back_is_five_real_hours() -> None:
    # 2027-11-07: 02:00 PDT becomes 01:00 PST. 01:00 PDT to 05:00 PST is 5 hours.
    start = datetime(2027, 11, 7, 1, tzinfo=VEGAS, fold=0)
    end = datetime(2027, 11, 7, 5, tzinfo=VEGAS)
    view = block_view(block_at(VEGAS, start, end, "standard"))

    assert (view.local_start, view.local_end) == (
        "2027-11-07T01:00:00-07:00",
        "2027-11-07T05:00:00-08:00",
    )
    assert (view.hours, view.pay) == (Decimal(5), Decimal("90.00"))


@given(
    day=st.dates(min_value=date(2026, 1, 1), max_value=date(2030, 12, 31)),
    hour=st.integers(0, 18),
    length=st.integers(1, 8),
)
def test_in_any_zone_the_hours_paid_are_the_utc_instants_apart(
    day: date, hour: int, length: int
) -> None:
    for zone in (VEGAS, PHOENIX, ZoneInfo("America/New_York"), ZoneInfo("America/Chicago")):
        start = datetime.combine(day, datetime.min.time(), zone).replace(hour=hour)
        end = start.astimezone(UTC) + timedelta(hours=length)
        assert hours(start, end) == length
        view = block_view(block_at(zone, start, end, "standard"))
        assert datetime.fromisoformat(view.local_start) == start
        assert datetime.fromisoformat(view.local_end) == end
