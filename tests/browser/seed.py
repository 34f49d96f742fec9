"""The browser tests' data, set up over HTTP as other clients would: deliveries, ratings, blocks."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from tests.e2e.retail_http import at, call, ok, poll, runtime_now, unique
from tests.factories import delivery_report
from tests.runtime_http import Api

VEGAS = "fashion-show-las-vegas"
# R~ = (20 * 4.8 + 5n) / (20 + n) reaches Fantastic's 4.85 at n = 7 five-star ratings (4.8519),
# and 7 on-time deliveries keep on-time and completion above it.
FANTASTIC_FIVE_STARS = 7


def token(api: Api, role: str, user: str) -> str:
    return api.runtime.token(role, user)


def delivery(api: Api, driver: str, customer: str, now: datetime) -> str:
    """A delivery the station recorded, on time, just now on the runtime's clock."""
    delivery_id = unique("del")
    report = delivery_report(
        delivery_id,
        driver_id=driver,
        customer_id=customer,
        promised_start=now - timedelta(hours=1),
        delivered_at=now - timedelta(minutes=5),
    )
    ok(call(api, "POST", "/deliveries", token(api, "system", "station-1"), report), 201)
    return delivery_id


def rate(api: Api, delivery_id: str, customer: str, stars: int, comment: str | None = None) -> Any:
    body: dict[str, Any] = {"stars": stars}
    if comment:
        body["comment"] = comment
    path = f"/deliveries/{delivery_id}/rating"
    return ok(call(api, "POST", path, token(api, "customer", customer), body), 201)


def rated(api: Api, driver: str, stars: list[int], now: datetime | None = None) -> list[str]:
    """Deliveries to as many customers, each rated; answers the rating ids, oldest first."""
    now = now or runtime_now(api)
    ids = []
    for n in stars:
        customer = unique("c")
        delivery_id = delivery(api, driver, customer, now)
        rate(api, delivery_id, customer, n)
        ids.append(delivery_id)
    return ids


def standing(api: Api, driver: str) -> dict[str, Any]:
    answer: dict[str, Any] = ok(
        call(api, "GET", f"/drivers/{driver}/standing", token(api, "driver", driver))
    )
    return answer


def standing_counts(api: Api, driver: str, ratings: int) -> dict[str, Any]:
    """The driver's standing once the stream has counted `ratings` ratings."""
    result: dict[str, Any] = poll(
        lambda: (
            (s := standing(api, driver))["coaching"]["counts"]["ratingsCounted"] == ratings and s
        ),
        f"{driver}'s standing counting {ratings} ratings",
    )
    return result


def fantastic_driver(api: Api, driver: str, mall: str = VEGAS) -> None:
    """A driver whose computed standing is Fantastic, and who wants blocks at `mall`."""
    rated(api, driver, [5] * FANTASTIC_FIVE_STARS)
    assert standing_counts(api, driver, FANTASTIC_FIVE_STARS)["tier"] == "Fantastic"
    body = {"mallIds": [mall]}
    path = f"/drivers/{driver}/preferences"
    ok(call(api, "PUT", path, token(api, "driver", driver), body), 200)


def publish_block(api: Api, mall: str = VEGAS, *, hours_ahead: float = 30) -> dict[str, Any]:
    """A two-hour standard block: released to Fantastic drivers the moment it is published."""
    start = runtime_now(api) + timedelta(hours=hours_ahead)
    body = {
        "blockId": unique("blk"),
        "mallId": mall,
        "shiftType": "standard",
        "start": at(start),
        "end": at(start + timedelta(hours=2)),
        "capacity": 1,
    }
    answer: dict[str, Any] = ok(call(api, "POST", "/blocks", token(api, "ops", "ops-1"), body), 201)
    return answer
