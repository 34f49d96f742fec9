"""Capacity by property: any sequence of accepts, forfeits and expiring offers, on moto.

Each example gets drivers and a block of its own, at one mall of the test's; its drivers stop
preferring the mall when it ends, so no later example offers them reserved places.
"""

from __future__ import annotations

import itertools
from datetime import timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from flexfleet.blocks.model import BlockRequest, Preferences
from flexfleet.errors import BlockFull, IllegalTransition, NotFound
from flexfleet.geo import Point
from flexfleet.identity import Caller
from flexfleet.malls.model import Mall
from flexfleet.tiers import Tier
from tests.integration.conftest import World
from tests.integration.test_retail import OPS, driver, stand

TIERS = (Tier.FANTASTIC, Tier.FANTASTIC, Tier.FANTASTIC, Tier.GREAT, Tier.FAIR, Tier.AT_RISK)
OPERATIONS = st.lists(
    st.one_of(
        st.tuples(st.just("accept"), st.integers(0, len(TIERS) - 1)),
        st.tuples(st.just("forfeit"), st.integers(0, len(TIERS) - 1)),
        st.tuples(st.just("wait"), st.integers(1, 90)),  # minutes; then the jobs run
    ),
    max_size=20,
)
MALL = "property-mall"
examples = itertools.count()


def places(world: World, block_id: str) -> tuple[int, int, int, int]:
    """(capacity, taken, bookings held, reserved offers pending), as stored."""
    block = world.block_repository.block(block_id)
    assert block is not None
    booked = world.client.query(
        TableName=world.block_repository.tables.bookings,
        KeyConditionExpression="blockId = :b",
        ExpressionAttributeValues={":b": {"S": block_id}},
        ConsistentRead=True,
    )["Items"]
    offers = world.client.query(
        TableName=world.block_repository.tables.reserved_offers,
        KeyConditionExpression="blockId = :b",
        ExpressionAttributeValues={":b": {"S": block_id}},
        ConsistentRead=True,
    )["Items"]
    held = sum(1 for item in booked if item["status"]["S"] in ("held", "checked_in"))
    pending = sum(1 for item in offers if item["status"]["S"] == "pending")
    assert (block.held, block.reserved_pending) == (held, pending)
    return block.capacity, block.taken, held, pending


@settings(max_examples=30, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    capacity=st.integers(1, 6), shift_type=st.sampled_from(["standard", "retail"]), ops=OPERATIONS
)
def test_no_sequence_of_accepts_forfeits_and_expiring_offers_ever_exceeds_the_capacity(
    world: World, capacity: int, shift_type: str, ops: list[tuple[str, int]]
) -> None:
    n = next(examples)
    block_id = f"b-{n}"
    world.malls.put(
        Mall(
            mall_id=MALL,
            name="Test Mall",
            city="Las Vegas",
            state="NV",
            location=Point(lat=36.1274, lng=-115.1712),
            time_zone="America/Los_Angeles",
            service_radius_km=20,
        )
    )
    drivers = [f"d{n}-{i}" for i in range(len(TIERS))]
    try:
        for driver_id, tier in zip(drivers, TIERS, strict=True):
            stand(world, driver_id, tier)
            world.blocks.set_preferences(driver(driver_id), driver_id, Preferences(mall_ids=[MALL]))
        start = world.now + timedelta(hours=36)
        body = {
            "blockId": block_id,
            "mallId": MALL,
            "shiftType": shift_type,
            "start": start.isoformat(),
            "end": (start + timedelta(hours=2)).isoformat(),
            "capacity": capacity,
        }
        world.blocks.publish(OPS, BlockRequest.model_validate(body))
        play(world, block_id, drivers, capacity, ops)
    finally:
        for driver_id in drivers:
            world.blocks.set_preferences(driver(driver_id), driver_id, Preferences(mall_ids=[]))


def play(
    world: World, block_id: str, drivers: list[str], capacity: int, ops: list[tuple[str, int]]
) -> None:
    for op, arg in ops:
        if op == "wait":
            world.now += timedelta(minutes=arg)
            world.block_jobs.expire_offers()
            world.block_jobs.surge()
        else:
            caller: Caller = driver(drivers[arg])
            before = places(world, block_id)
            try:
                if op == "accept":
                    world.blocks.accept(caller, block_id)
                else:
                    world.blocks.forfeit(caller, block_id)
            except BlockFull:
                _, taken, _, _ = before
                assert taken == capacity, "block_full while a place was open"
            except (NotFound, IllegalTransition):
                pass  # not released to the tier yet, or holding nothing to forfeit
        cap, taken, held, pending = places(world, block_id)
        assert 0 <= held + pending == taken <= cap == capacity
