"""The pure rules of live updates and of the standing history, with no AWS: message ids, the
management API's URL, the answers to a client, the tiers a block release reaches, and when a
standing change makes a point."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest

from flexfleet.blocks.model import Block
from flexfleet.realtime import config
from flexfleet.realtime.management_api import endpoint_url
from flexfleet.realtime.model import MessageType, message, message_id
from flexfleet.realtime.notices import release_notices, released_tiers
from flexfleet.realtime.service import PONG, answer_to
from flexfleet.standing.history import Snapshot, history_point, snapshot
from flexfleet.tiers import DriverStanding, Tier
from tests.factories import NOW


def test_a_message_id_is_the_same_for_the_same_record_and_type_and_differs_otherwise() -> None:
    rated = message_id("e-1", MessageType.RATING_CREATED)

    assert message_id("e-1", MessageType.RATING_CREATED) == rated
    assert message_id("e-1", MessageType.DISPUTE_DECIDED) != rated
    assert message_id("e-2", MessageType.RATING_CREATED) != rated


def test_a_message_is_one_json_frame_with_id_type_at_and_data() -> None:
    frame = message("e-1", MessageType.ORDER_STATUS, NOW, {"orderId": "o-1"}).frame()

    assert frame.decode() == (
        '{"id":"' + message_id("e-1", MessageType.ORDER_STATUS) + '","type":"order.status",'
        '"at":"2026-11-21T12:00:00Z","data":{"orderId":"o-1"}}'
    )


@pytest.mark.parametrize(
    ("websocket", "management"),
    [
        (
            "wss://abc123.execute-api.us-east-1.amazonaws.com/live",
            "https://abc123.execute-api.us-east-1.amazonaws.com/live",
        ),
        ("ws://127.0.0.1:3001/live", "http://127.0.0.1:3001/live"),
    ],
)
def test_the_management_api_is_the_stages_url_over_http(websocket: str, management: str) -> None:
    assert endpoint_url(websocket) == management


def test_a_websocket_endpoint_that_is_no_websocket_url_is_refused() -> None:
    with pytest.raises(ValueError, match="not a WebSocket URL"):
        endpoint_url("https://abc123.execute-api.us-east-1.amazonaws.com/live")


def test_a_ping_is_answered_with_a_pong_whatever_else_it_holds() -> None:
    assert answer_to('{"action":"ping"}') == PONG == {"type": "pong"}
    assert answer_to('{"action": "ping", "at": 1}') == PONG


@pytest.mark.parametrize("body", ["[" * 3000, '{"":' * 1000, "[" * 2000 + "]" * 2000])
def test_a_message_nested_too_deep_to_parse_gets_an_error_frame_not_an_exception(
    body: str,
) -> None:
    assert len(body.encode()) <= config.MAX_CLIENT_MESSAGE_BYTES

    answer = answer_to(body)

    assert answer["type"] == "error"
    assert answer["code"] == "too_deep"
    assert "nests too deep" in answer["message"]


def block(**changes: Any) -> Block:
    body: dict[str, Any] = {
        "blockId": "b-1",
        "mallId": "m-1",
        "shiftType": "retail",
        "start": (NOW + timedelta(hours=10)).isoformat(),
        "end": (NOW + timedelta(hours=13)).isoformat(),
        "capacity": 10,
        "timeZone": "America/Los_Angeles",
        "baseRate": "19.50",
        "surge": "0.00",
        "premium": True,
        "releases": {"Fantastic": NOW.isoformat()},
        "publishedAt": NOW.isoformat(),
        "publishedBy": "ops-1",
    }
    return Block.model_validate(body | changes)


def test_a_block_reaches_fantastic_at_publication_and_each_tier_the_release_job_adds() -> None:
    published = block()

    assert released_tiers(None, published) == [Tier.FANTASTIC]
    assert released_tiers(published, block(releasedTo=3)) == [Tier.GREAT, Tier.FAIR]
    assert released_tiers(block(releasedTo=3), block(releasedTo=3, surge="1.00")) == []
    assert released_tiers(published, None) == []


def test_a_release_is_for_the_tiers_it_reaches_never_the_deactivated_nor_at_risk_for_premium() -> (
    None
):
    standings = {
        "great": DriverStanding(Tier.GREAT, deactivated=False),
        "great-barred": DriverStanding(Tier.GREAT, deactivated=True),
        "fan": DriverStanding(Tier.FANTASTIC, deactivated=False),
        "risk": DriverStanding(Tier.AT_RISK, deactivated=False),
    }

    premium = release_notices(block(), [Tier.GREAT, Tier.AT_RISK], standings, NOW)
    standard = release_notices(block(premium=False), [Tier.AT_RISK], standings, NOW)
    full = release_notices(block(taken=10), [Tier.GREAT], standings, NOW)
    started = release_notices(block(), [Tier.GREAT], standings, NOW + timedelta(hours=11))

    assert [n.user_id for n in premium] == ["great"]
    assert [n.user_id for n in standard] == ["risk"]
    assert full == started == []


def standing_item(rating_tier: int, score: str) -> dict[str, Any]:
    return {
        "driverId": "d-1",
        "ratingTier": Decimal(rating_tier),
        "rating": {
            "score": Decimal(score),
            "counted": 1,
            "sum_stars": 1,
            "in_window": 1,
            "excluded": 0,
            "excused": 0,
            "histogram": {"1": 1, "2": 0, "3": 0, "4": 0, "5": 0},
            "factor_averages": {},
            "trend_recent": None,
            "trend_before": None,
            "upper_bound": None,
        },
    }


def test_a_standing_with_nothing_computed_yet_has_no_snapshot() -> None:
    assert snapshot("d-1", {"driverId": "d-1"}, NOW) is None


def test_a_change_that_moves_no_value_nor_the_tier_makes_no_point() -> None:
    old = snapshot("d-1", standing_item(1, "4.619047"), NOW)
    rewritten = snapshot("d-1", standing_item(1, "4.619047"), NOW)

    assert history_point("d-1", old, rewritten, NOW, "100") is None


def test_a_first_standing_and_a_moved_value_each_make_a_point_keyed_by_moment_and_sequence() -> (
    None
):
    old = snapshot("d-1", standing_item(1, "4.619047"), NOW)
    new = snapshot("d-1", standing_item(2, "4.809523"), NOW)

    first = history_point("d-1", None, old, NOW, "100")
    moved = history_point("d-1", old, new, NOW, "200")

    assert first is not None and moved is not None
    assert (first.tier, first.previous_tier) == ("Fair", None)
    assert (moved.tier, moved.previous_tier) == ("Great", "Fair")
    assert moved.components["customerRating"] == Decimal("4.8095")
    assert first.point_id == "2026-11-21T12:00:00Z#" + "100".zfill(40)
    assert first.point_id < moved.point_id


def test_a_snapshot_is_what_the_standing_page_shows() -> None:
    shown = snapshot("d-1", standing_item(1, "4.619047"), NOW)

    assert shown == Snapshot(
        tier="Fair",
        components={
            "customerRating": Decimal("4.6190"),
            "onTimeRate": Decimal("0.9500"),
            "completionRate": Decimal("0.9800"),
            "reliability": Decimal("0.9800"),
        },
    )
