"""The live walk over the runtime, as the dashboard lives it: a driver's socket hears their rating,
the decision on their dispute and their tier moving back, reads the change in their standing
history, and hears of a block the moment it is released to them."""

from __future__ import annotations

import json
import time
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from websockets.sync.client import ClientConnection

from tests.factories import delivery_report
from tests.runtime_http import Api

pytestmark = pytest.mark.e2e

JSON = {"content-type": "application/json"}
MALL = "fashion-show-las-vegas"


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def call(app: Api, method: str, path: str, token: str, body: Any = None) -> Any:
    data = None if body is None else json.dumps(body)
    reply = app.request(method, path, token=token, body=data, headers=JSON if data else None)
    assert 200 <= reply.status < 300, (method, path, reply.status, reply.body)
    return reply.json


def heard(socket: ClientConnection, kind: str, within: float = 15, **data: Any) -> dict[str, Any]:
    """The next message of a type (with these data, if given); the others are skipped."""
    deadline = time.monotonic() + within
    while True:
        remaining = deadline - time.monotonic()
        assert remaining > 0, f"no {kind} {data} within {within} s"
        message: dict[str, Any] = json.loads(socket.recv(timeout=remaining))
        if message["type"] == kind and data.items() <= message["data"].items():
            return message


def test_a_dispute_upheld_reaches_the_driver_live_and_their_tier_moves_back(app: Api) -> None:
    driver, customer = unique("d"), unique("c")
    delivery = unique("del")
    report = delivery_report(
        delivery,
        driver_id=driver,
        customer_id=customer,
        promised_start=datetime.now(UTC) - timedelta(hours=2),
    )
    call(app, "POST", "/deliveries", app.runtime.token("system", "station-1"), report)
    assert app.runtime.drain()  # the delivery counted: a first standing, at Great
    driver_token, ops_token = app.runtime.token("driver", driver), app.runtime.token("ops", "o-1")

    with app.runtime.websocket(driver_token) as socket:
        call(
            app,
            "POST",
            f"/deliveries/{delivery}/rating",
            app.runtime.token("customer", customer),
            {"stars": 1, "comment": "Never came"},
        )
        rated = heard(socket, "rating.created")
        fell = heard(socket, "standing.changed", tier="Fair")
        call(
            app,
            "POST",
            f"/ratings/{delivery}/dispute",
            driver_token,
            {"reason": "wrong_driver", "text": "Not my delivery"},
        )
        call(
            app,
            "POST",
            f"/disputes/{delivery}/decision",
            ops_token,
            {"decision": "upheld", "note": "GPS shows another van"},
        )
        decided = heard(socket, "dispute.decided")
        rose = heard(socket, "standing.changed", tier="Great")

    assert rated["data"]["ratingId"] == delivery and customer not in json.dumps(rated)
    assert fell["data"]["previousTier"] == "Great"
    assert fell["data"]["components"]["customerRating"] == "4.6190"
    assert decided["data"] == {
        "ratingId": delivery,
        "disputeId": delivery,
        "outcome": "upheld",
        "decidedAt": decided["data"]["decidedAt"],
        "note": "GPS shows another van",
    }
    assert rose["data"]["previousTier"] == "Fair"
    assert rose["data"]["components"]["customerRating"] == "4.8000"
    history = call(app, "GET", f"/drivers/{driver}/standing/history", driver_token)
    assert history["driverId"] == driver
    assert [p["tier"] for p in history["points"]] == ["Great", "Fair", "Great"]


def test_a_block_released_to_a_fantastic_driver_appears_on_their_socket(app: Api) -> None:
    fan, great = unique("fan"), unique("great")
    dynamodb = app.aws("dynamodb")
    for driver, level in ((fan, "3"), (great, "2")):
        # A standing item as the standing stream writes it: every component at the tier.
        dynamodb.put_item(
            TableName="flexfleet-StandingTable",
            Item={
                "driverId": {"S": driver},
                "ratingTier": {"N": level},
                "onTimeTier": {"N": level},
                "completionTier": {"N": level},
            },
        )
        token = app.runtime.token("driver", driver)
        call(app, "PUT", f"/drivers/{driver}/preferences", token, {"mallIds": [MALL]})
    block_id = unique("b")
    start = datetime.now(UTC).replace(microsecond=0) + timedelta(hours=30)
    block = {
        "blockId": block_id,
        "mallId": MALL,
        "shiftType": "retail",
        "start": start.isoformat(),
        "end": (start + timedelta(hours=3)).isoformat(),
        "capacity": 10,
    }

    with (
        app.runtime.websocket(app.runtime.token("driver", fan)) as fan_socket,
        app.runtime.websocket(app.runtime.token("driver", great)) as great_socket,
    ):
        call(app, "POST", "/blocks", app.runtime.token("ops", "o-1"), block)
        released = heard(fan_socket, "offer.released")
        assert app.runtime.drain()
        great_socket.send(json.dumps({"action": "ping"}))
        # Great sees the block in 2 hours: nothing but the pong is on their socket now.
        assert json.loads(great_socket.recv(timeout=5)) == {"type": "pong"}

    data = released["data"]
    assert (data["blockId"], data["mallId"], data["hourlyRate"], data["pay"]) == (
        block_id,
        MALL,
        "19.50",
        "58.50",
    )
    offers = call(app, "GET", f"/drivers/{fan}/offers", app.runtime.token("driver", fan))
    assert block_id in [offer["block"]["blockId"] for offer in offers["offers"]]
