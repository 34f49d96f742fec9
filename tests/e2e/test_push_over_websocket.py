"""Live updates over the runtime's WebSocket API: a driver's socket hears of a new rating."""

from __future__ import annotations

import json
import time
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from websockets.exceptions import InvalidStatus
from websockets.sync.client import ClientConnection

from tests.factories import delivery_report
from tests.runtime_http import Api

pytestmark = pytest.mark.e2e

JSON = {"content-type": "application/json"}


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def recorded_delivery(app: Api, driver: str, customer: str) -> str:
    delivery_id = unique("del")
    report = delivery_report(
        delivery_id,
        driver_id=driver,
        customer_id=customer,
        promised_start=datetime.now(UTC) - timedelta(hours=2),
    )
    token = app.runtime.token("system", "station-1")
    reply = app.request("POST", "/deliveries", token=token, body=json.dumps(report), headers=JSON)
    assert reply.status == 201, reply.body
    return delivery_id


def next_of_type(socket: ClientConnection, kind: str, within: float) -> dict[str, Any]:
    """The next message of a type, skipping others (a standing change may come first)."""
    deadline = time.monotonic() + within
    while True:
        remaining = deadline - time.monotonic()
        assert remaining > 0, f"no {kind} message within {within} s"
        message: dict[str, Any] = json.loads(socket.recv(timeout=remaining))
        if message.get("type") == kind:
            return message


def test_a_driver_hears_of_a_new_rating_on_their_socket_without_the_customer(app: Api) -> None:
    driver, customer = unique("d"), unique("c")
    delivery = recorded_delivery(app, driver, customer)
    rating = {"stars": 4, "comment": "Left it with the concierge"}

    with app.runtime.websocket(app.runtime.token("driver", driver)) as socket:
        reply = app.request(
            "POST",
            f"/deliveries/{delivery}/rating",
            token=app.runtime.token("customer", customer),
            body=json.dumps(rating),
            headers=JSON,
        )
        assert reply.status == 201, reply.body
        message = next_of_type(socket, "rating.created", within=5)

    assert message["data"]["deliveryId"] == delivery
    assert message["data"]["stars"] == 4
    assert message["data"]["comment"] == "Left it with the concierge"
    assert message["id"] and message["at"]
    assert customer not in json.dumps(message)
    assert "customerId" not in message["data"]


def test_another_driver_hears_nothing_of_it(app: Api) -> None:
    driver, other, customer = unique("d"), unique("d"), unique("c")
    delivery = recorded_delivery(app, driver, customer)

    with app.runtime.websocket(app.runtime.token("driver", other)) as socket:
        reply = app.request(
            "POST",
            f"/deliveries/{delivery}/rating",
            token=app.runtime.token("customer", customer),
            body=json.dumps({"stars": 5}),
            headers=JSON,
        )
        assert reply.status == 201
        assert app.runtime.drain()
        socket.send(json.dumps({"action": "ping"}))
        # Pushes come before the pong they were sent before: nothing but the pong is there.
        assert json.loads(socket.recv(timeout=5)) == {"type": "pong"}


def test_a_ping_gets_a_pong(app: Api) -> None:
    with app.runtime.websocket(app.runtime.token("driver", unique("d"))) as socket:
        socket.send(json.dumps({"action": "ping"}))

        assert json.loads(socket.recv(timeout=5)) == {"type": "pong"}


@pytest.mark.parametrize(
    ("token", "status"),
    [(None, 401), ("not-a-token", 403)],
)
def test_a_connection_without_a_valid_id_token_is_refused(
    app: Api, token: str | None, status: int
) -> None:
    with pytest.raises(InvalidStatus) as refused:
        app.runtime.websocket(token)

    assert refused.value.response.status_code == status


def test_an_expired_token_is_refused(app: Api) -> None:
    token = app.runtime.token("driver", unique("d"), exp=int(time.time()) - 60)

    with pytest.raises(InvalidStatus) as refused:
        app.runtime.websocket(token)

    assert refused.value.response.status_code == 403
