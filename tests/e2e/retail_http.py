"""What the retail end-to-end tests share: calls over HTTP, clock moves on a runtime of their own,
polling, and driver tiers written as the standing stream writes them."""

from __future__ import annotations

import json
import time
import urllib.request
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from flexfleet.tiers import Tier
from tests.runtime_http import Api, Reply

JSON = {"content-type": "application/json"}


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def at(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def clock_offset(api: Api, seconds: float) -> float:
    """Moves the runtime's clock (and the functions') forward: its offset after the move."""
    request = urllib.request.Request(
        api.runtime.control_url + "/clock",
        data=json.dumps({"advanceSeconds": seconds}).encode(),
        method="POST",
        headers=JSON,
    )
    with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310 - loopback
        return float(json.loads(response.read())["offsetSeconds"])


def move_clock(api: Api, seconds: float) -> datetime:
    """Moves the runtime's clock forward: the runtime's time after the move."""
    return datetime.now(UTC) + timedelta(seconds=clock_offset(api, seconds))


def runtime_now(api: Api) -> datetime:
    return move_clock(api, 0)


def call(api: Api, method: str, path: str, token: str, body: Any = None) -> Reply:
    data = None if body is None else json.dumps(body)
    return api.request(method, path, token=token, body=data, headers=JSON if data else None)


def ok(reply: Reply, *statuses: int) -> Any:
    assert reply.status in (statuses or (200,)), (reply.status, reply.body)
    return reply.json


def poll(check: Callable[[], Any], what: str, timeout: float = 15.0) -> Any:
    deadline = time.monotonic() + timeout
    while not (value := check()):
        if time.monotonic() > deadline:
            pytest.fail(f"{what}: not within {timeout:g} s")
        time.sleep(0.1)
    return value


def stand(api: Api, driver_id: str, tier: Tier) -> None:
    """A standing item as the standing stream writes it: each component at the tier."""
    level = {"N": str(int(tier))}
    api.aws("dynamodb").put_item(
        TableName="flexfleet-StandingTable",
        Item={
            "driverId": {"S": driver_id},
            "ratingTier": level,
            "onTimeTier": level,
            "completionTier": level,
        },
    )
