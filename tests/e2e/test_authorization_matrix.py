"""Every route x every role x own, another's and an unknown resource: the status, and no leaks.

Another user's resource answers as an unknown one does (404), so ids cannot be probed;
a role that may never use a route gets 403.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from tests.factories import delivery_report
from tests.runtime_http import Api

pytestmark = pytest.mark.e2e

ROLES = ("customer", "driver", "retailer", "ops", "system")
WHOSE = ("own", "other", "unknown")
RUN = uuid.uuid4().hex[:6]
SECRET = f"secret-comment-{RUN}"  # the other customer's words, which must never leak


@dataclass(frozen=True)
class People:
    customer: str = f"c1-{RUN}"
    other_customer: str = f"c2-{RUN}"
    driver: str = f"d1-{RUN}"
    other_driver: str = f"d2-{RUN}"
    own_delivery: str = f"x1-{RUN}"  # customer's, driven by driver, rated
    other_delivery: str = f"x2-{RUN}"  # the others', rated with SECRET, disputed
    undisputed: str = f"x3-{RUN}"  # customer's, driven by driver, rated, not disputed
    second_dispute: str = f"x4-{RUN}"  # the others', rated and disputed too


P = People()
SUBS = {
    "customer": P.customer,
    "driver": P.driver,
    "retailer": f"r1-{RUN}",
    "ops": f"o1-{RUN}",
    "system": f"s1-{RUN}",
}


@pytest.fixture(scope="module")
def world(app: Api) -> Iterator[Api]:
    system = app.runtime.token("system", "station")
    start = datetime.now(UTC) - timedelta(hours=3)
    for delivery, customer, driver in (
        (P.own_delivery, P.customer, P.driver),
        (P.other_delivery, P.other_customer, P.other_driver),
        (P.undisputed, P.customer, P.driver),
        (P.second_dispute, P.other_customer, P.other_driver),
    ):
        report = delivery_report(
            delivery, driver_id=driver, customer_id=customer, promised_start=start
        )
        assert (
            app.request(
                "POST", "/deliveries", token=system, body=json.dumps(report), headers=JSON
            ).status
            == 201
        )
    rate(app, P.own_delivery, P.customer, {"stars": 4})
    rate(app, P.undisputed, P.customer, {"stars": 4})
    rate(app, P.other_delivery, P.other_customer, {"stars": 2, "comment": SECRET})
    rate(app, P.second_dispute, P.other_customer, {"stars": 1, "comment": SECRET})
    dispute = {"reason": "other", "text": "disputed"}
    token = app.runtime.token("driver", P.other_driver)
    for disputed in (P.other_delivery, P.second_dispute):
        reply = app.request(
            "POST",
            f"/ratings/{disputed}/dispute",
            token=token,
            body=json.dumps(dispute),
            headers=JSON,
        )
        assert reply.status == 201
    assert app.runtime.drain()
    yield app


JSON = {"content-type": "application/json"}


def rate(app: Api, delivery: str, customer: str, body: dict[str, object]) -> None:
    token = app.runtime.token("customer", customer)
    reply = app.request(
        "POST", f"/deliveries/{delivery}/rating", token=token, body=json.dumps(body), headers=JSON
    )
    assert reply.status == 201, reply.body


def resource(kind: str, whose: str) -> str:
    """The id a cell asks for: the caller's own, someone else's, or one that does not exist."""
    if whose == "unknown":
        return f"nobody-{RUN}"
    own = {
        "delivery": P.own_delivery,
        "rating": P.own_delivery,
        "driver": P.driver,
        "dispute": P.other_delivery,
    }
    other = {
        "delivery": P.other_delivery,
        "rating": P.other_delivery,
        "driver": P.other_driver,
        "dispute": P.second_dispute,
    }
    return (own if whose == "own" else other)[kind]


def expected(route: str, role: str, whose: str) -> int:
    """The rules of the API, written once, independently of the code."""
    allowed = {
        "GET /deliveries/{id}": {"customer", "driver", "ops"},
        "POST /deliveries/{id}/rating": {"customer"},
        "GET /drivers/{id}/ratings": {"driver", "ops"},
        "PUT /ratings/{id}/response": {"driver"},
        "POST /ratings/{id}/dispute": {"driver"},
        "POST /disputes/{id}/decision": {"ops"},
        "GET /drivers/{id}/standing": {"driver", "ops"},
    }[route]
    if role not in allowed:
        return 403
    if whose == "unknown":
        return 200 if route == "GET /drivers/{id}/ratings" and role == "ops" else 404
    if role == "ops":
        return 200
    if whose == "other":
        return 404
    # The own delivery is rated already: a second attempt is a conflict.
    return {"POST /deliveries/{id}/rating": 409, "POST /ratings/{id}/dispute": 201}.get(route, 200)


ROUTES = {
    "GET /deliveries/{id}": ("GET", "/deliveries/{}", "delivery", None),
    "POST /deliveries/{id}/rating": ("POST", "/deliveries/{}/rating", "delivery", {"stars": 4}),
    "GET /drivers/{id}/ratings": ("GET", "/drivers/{}/ratings", "driver", None),
    "PUT /ratings/{id}/response": ("PUT", "/ratings/{}/response", "rating", {"text": "thanks"}),
    "POST /ratings/{id}/dispute": (
        "POST",
        "/ratings/{}/dispute",
        "rating",
        {"reason": "other", "text": "why"},
    ),
    "POST /disputes/{id}/decision": (
        "POST",
        "/disputes/{}/decision",
        "dispute",
        {"decision": "rejected", "note": "n"},
    ),
    "GET /drivers/{id}/standing": ("GET", "/drivers/{}/standing", "driver", None),
}
CELLS = [(route, role, whose) for route in ROUTES for role in ROLES for whose in WHOSE]


@pytest.mark.parametrize(("route", "role", "whose"), CELLS)
def test_every_route_role_and_resource(world: Api, route: str, role: str, whose: str) -> None:
    method, path, kind, body = ROUTES[route]
    target = resource(kind, whose)
    if route == "POST /ratings/{id}/dispute" and whose == "own":
        target = P.undisputed  # the own rating that nobody disputed yet

    reply = world.request(
        method,
        path.format(target),
        token=world.runtime.token(role, SUBS[role]),
        body=json.dumps(body) if body is not None else None,
        headers=JSON if body is not None else None,
    )

    assert reply.status == expected(route, role, whose), reply.body
    text = reply.body.decode()
    if reply.status >= 400 or role != "ops":
        assert SECRET not in text
        assert P.other_customer not in text
    if role == "driver":
        assert "customerId" not in text


@pytest.mark.parametrize("role", ROLES)
def test_ops_only_routes_refuse_every_other_role(world: Api, role: str) -> None:
    token = world.runtime.token(role, SUBS[role])

    disputes = world.request("GET", "/disputes?status=open", token=token)
    queue = world.request("GET", "/standing/review-queue", token=token)

    assert (disputes.status, queue.status) == ((200, 200) if role == "ops" else (403, 403))


@pytest.mark.parametrize("role", ROLES)
def test_only_system_and_ops_record_deliveries(world: Api, role: str) -> None:
    report = delivery_report(f"new-{role}-{RUN}", driver_id=P.driver, customer_id=P.customer)

    reply = world.request(
        "POST",
        "/deliveries",
        token=world.runtime.token(role, SUBS[role]),
        body=json.dumps(report),
        headers=JSON,
    )

    assert reply.status == (201 if role in ("system", "ops") else 403)


@pytest.mark.parametrize("role", ROLES)
def test_every_role_may_ask_who_it_is(world: Api, role: str) -> None:
    reply = world.request("GET", "/me", token=world.runtime.token(role, SUBS[role]))

    assert reply.json == {"sub": SUBS[role], "groups": [role]}


def test_the_refused_calls_wrote_nothing(world: Api) -> None:
    """Runs after the matrix: what was refused there left no trace."""
    dynamodb = world.aws("dynamodb")

    def rating(rating_id: str) -> dict[str, Any]:
        item: dict[str, Any] = dynamodb.get_item(
            TableName="flexfleet-RatingsTable", Key={"ratingId": {"S": rating_id}}
        )["Item"]
        return item

    others = rating(P.other_delivery)
    assert "response" not in others  # the driver's PUT on another's rating was refused
    assert others["dispute"]["M"]["driverId"] == {"S": P.other_driver}
    assert others["stars"] == {"N": "2"}  # no customer re-rated it
    assert "dispute" not in rating(P.own_delivery)  # nobody may dispute but its driver, who used x3
    never = dynamodb.get_item(
        TableName="flexfleet-RatingsTable", Key={"ratingId": {"S": f"nobody-{RUN}"}}
    )
    assert "Item" not in never
