"""Every route x every role x own, another's and an unknown resource: the status, and no leaks.

Another user's resource answers as an unknown one does (404), so ids cannot be probed;
a role that may never use a route gets 403. The ratings routes run on the session's runtime;
the retail routes on one of their own, whose clock moves so that their orders get drivers.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlencode

import boto3
import pytest

from flexfleet.instant_offers.model import InstantOffer
from flexfleet.instant_offers.repository import offer_item
from tests import TEMPLATE
from tests.e2e.retail_http import clock_offset
from tests.factories import delivery_report
from tests.runtime_http import Api, Reply, start_runtime

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
        "GET /drivers/{id}/standing/history": {"driver", "ops"},
    }[route]
    if role not in allowed:
        return 403
    if whose == "unknown":
        # Ops read a list of any driver's: an unknown driver's is empty.
        lists = ("GET /drivers/{id}/ratings", "GET /drivers/{id}/standing/history")
        return 200 if route in lists and role == "ops" else 404
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
    "GET /drivers/{id}/standing/history": (
        "GET",
        "/drivers/{}/standing/history?days=7",
        "driver",
        None,
    ),
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


# --- Retail shipping: malls, retailers, blocks, orders and review decisions ------------------
# On a runtime of their own: an order is assigned only once its driver's block has started,
# and a block is published 2 hours ahead at least, so the world is built by moving the clock,
# which would upset the other tests of the session's runtime.

VEGAS = "fashion-show-las-vegas"
CHANDLER = "chandler-fashion-center"
BAYBROOK = "baybrook-mall-friendswood"
AT_VEGAS = {"lat": 36.1274, "lng": -115.1712}
FANTASTIC = {"N": "3"}
STORE = {"name": "Matrix Store", "mallId": VEGAS}  # both retailers: PUT again changes nothing
MALL = {
    "name": "Matrix Mall",
    "city": "Las Vegas",
    "state": "NV",
    "location": AT_VEGAS,
    "timeZone": "America/Los_Angeles",
    "serviceRadiusKm": 20,
}


@dataclass(frozen=True)
class Retail:
    """The retail world's ids. SUBS name the caller of each role, as above."""

    retailer: str = SUBS["retailer"]
    other_retailer: str = f"r2-{RUN}"
    courier: str = f"d3-{RUN}"  # carries the picked-up order: the driver of the delivery cells
    # Works no block and holds no order: the driver of the instant-offer accept cells, since a
    # driver who works already is refused any instant offer (409 driver_busy).
    free_driver: str = f"d4-{RUN}"
    mall: str = f"m1-{RUN}"
    other_mall: str = f"m2-{RUN}"
    shift: str = f"w-{RUN}"  # the block all three drivers work, checked in, started
    forfeitable: str = f"f1-{RUN}"  # held by the driver, later
    others_block: str = f"f2-{RUN}"  # held by the other driver only
    open_block: str = f"open-{RUN}"  # offered to the driver, held by nobody
    hidden_block: str = f"hidden-{RUN}"  # at a mall the driver does not prefer
    order: str = f"o1-{RUN}"  # the retailer's, for the customer, assigned to the driver
    other_order: str = f"o2-{RUN}"  # the other retailer's, for the other customer and driver
    carried: str = f"o3-{RUN}"  # the retailer's, for the customer, picked up by the courier
    # Orders ready tomorrow, with an instant offer each: to the free driver to accept, to the
    # driver to decline, and to the other driver.
    instant_own: str = f"i1-{RUN}"
    instant_declined: str = f"i2-{RUN}"
    instant_other: str = f"i3-{RUN}"


R = Retail()
# The cells that succeed in changing state act on an order of their own, placed for their role.
CANCELLABLE = {
    (whose, role): f"k-{whose}-{role}-{RUN}" for whose in ("own", "other") for role in ROLES
}


@dataclass
class RetailWorld:
    api: Api
    offset: float  # the runtime clock's lead on the real one, in seconds, once built
    published: dict[str, dict[str, Any]]  # the bodies of what was published and placed

    def now(self) -> datetime:
        return datetime.now(UTC) + timedelta(seconds=self.offset)

    def token(self, role: str, sub: str | None = None) -> str:
        return self.api.runtime.token(role, sub or SUBS[role])

    def call(self, method: str, path: str, token: str, body: Any = None) -> Reply:
        data = None if body is None else json.dumps(body)
        return self.api.request(
            method, path, token=token, body=data, headers=JSON if data is not None else None
        )


def _stamp(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _block(block_id: str, mall: str, start: datetime, capacity: int) -> dict[str, Any]:
    return {
        "blockId": block_id,
        "mallId": mall,
        "shiftType": "retail",
        "start": _stamp(start),
        "end": _stamp(start + timedelta(hours=1)),
        "capacity": capacity,
    }


def _order(order_id: str, customer: str, ready: datetime) -> dict[str, Any]:
    return {
        "orderId": order_id,
        "customerId": customer,
        "dropoff": {"lat": 36.1600, "lng": -115.1500, "address": "1 Elm St"},
        "readyAt": _stamp(ready),
        "deliverBy": _stamp(ready + timedelta(hours=2)),
        "packages": {"count": 1, "size": "small"},
    }


def _expect(reply: Reply, status: int) -> Any:
    assert reply.status == status, (reply.status, reply.body)
    return reply.json


@pytest.fixture(scope="module")
def retail(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RetailWorld]:
    state = tmp_path_factory.mktemp("matrix-retail")
    for api in start_runtime(TEMPLATE, state, state / "runtime.log"):
        world = RetailWorld(api, clock_offset(api, 0), {})
        yield _build(world)


def _build(world: RetailWorld) -> RetailWorld:
    ops = world.token("ops")
    for mall in (R.mall, R.other_mall):
        _expect(world.call("PUT", f"/malls/{mall}", ops, MALL), 201)
    for store in (R.retailer, R.other_retailer):
        _expect(world.call("PUT", f"/retailers/{store}", ops, STORE), 201)
    # This fixture outlives the function-scoped one that gives boto3 its test credentials.
    dynamodb = boto3.client(
        "dynamodb",
        endpoint_url=world.api.aws_endpoint,
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",  # noqa: S106 - moto's
    )
    for driver in (P.driver, P.other_driver, R.courier):
        # A standing item as the standing stream writes it: every component Fantastic.
        dynamodb.put_item(
            TableName="flexfleet-StandingTable",
            Item={
                "driverId": {"S": driver},
                "ratingTier": FANTASTIC,
                "onTimeTier": FANTASTIC,
                "completionTier": FANTASTIC,
            },
        )
    start = world.now() + timedelta(hours=2, minutes=5)
    for block_id, mall, hours_later in (
        (R.shift, VEGAS, 0),
        (R.forfeitable, VEGAS, 3),
        (R.others_block, VEGAS, 5),
        (R.open_block, VEGAS, 7),
        (R.hidden_block, CHANDLER, 7),
    ):
        body = _block(block_id, mall, start + timedelta(hours=hours_later), capacity=4)
        _expect(world.call("POST", "/blocks", ops, body), 201)
        world.published[block_id] = body
    held = {
        P.driver: (R.shift, R.forfeitable),
        P.other_driver: (R.shift, R.others_block),
        R.courier: (R.shift,),
    }
    for driver, blocks in held.items():
        token = world.token("driver", driver)
        _expect(
            world.call("PUT", f"/drivers/{driver}/preferences", token, {"mallIds": [VEGAS]}), 200
        )
        for block_id in blocks:
            _expect(world.call("POST", f"/blocks/{block_id}/accept", token), 201)

    # The shift starts; each driver checks in and gets the one order waiting: one at a time, so
    # that whatever rule dispatch follows, each order goes to the driver meant.
    world.offset = clock_offset(world.api, (start - world.now()).total_seconds() + 60)
    for driver, store, customer, order_id in (
        (P.driver, R.retailer, P.customer, R.order),
        (P.other_driver, R.other_retailer, P.other_customer, R.other_order),
        (R.courier, R.retailer, P.customer, R.carried),
    ):
        token = world.token("driver", driver)
        _expect(world.call("POST", f"/blocks/{R.shift}/check-in", token, AT_VEGAS), 200)
        body = _order(order_id, customer, world.now())
        _expect(world.call("POST", "/retail/orders", world.token("retailer", store), body), 201)
        world.published[order_id] = body
        world.api.runtime.fire("DispatchFunction")
        _wait_until_assigned(world, order_id, driver)
    courier = world.token("driver", R.courier)
    _expect(world.call("POST", f"/retail/orders/{R.carried}/pickup", courier, AT_VEGAS), 200)
    # Orders ready tomorrow: dispatch leaves them alone while the cells cancel them.
    for (whose, _), order_id in CANCELLABLE.items():
        store = R.retailer if whose == "own" else R.other_retailer
        body = _order(
            order_id,
            P.customer if whose == "own" else P.other_customer,
            world.now() + timedelta(days=1),
        )
        _expect(world.call("POST", "/retail/orders", world.token("retailer", store), body), 201)
    _offer_instantly(world, dynamodb)
    return world


def _offer_instantly(world: RetailWorld, dynamodb: Any) -> None:
    """Orders ready tomorrow, each with a pending instant offer as offer_out writes one, open for
    a day: the offer routes' cells act on them. (The driver holds work, so offer_out itself
    would offer them nothing; that rule is the integration tests'.)"""
    for order_id, driver in (
        (R.instant_own, R.free_driver),
        (R.instant_declined, P.driver),
        (R.instant_other, P.other_driver),
    ):
        body = _order(order_id, P.customer, world.now() + timedelta(days=1))
        order = _expect(
            world.call("POST", "/retail/orders", world.token("retailer", R.retailer), body), 201
        )
        offer = InstantOffer.model_validate(
            {
                **{k: order[k] for k in ("orderId", "storeName", "readyAt", "deliverBy")},
                **{k: order[k] for k in ("dropoff", "packages", "tip")},
                "offerId": f"{order_id}:1",
                "round": 1,
                "mallId": VEGAS,
                "driverId": driver,
                "tier": "Fantastic",
                "status": "pending",
                "offeredAt": _stamp(world.now()),
                "expiresAt": _stamp(world.now() + timedelta(days=1)),
                "hourlyRate": "19.50",
                "estimatedMinutes": 30,
                "pay": "9.75",
                "pickupKm": 0.1,
            }
        )
        dynamodb.put_item(TableName="flexfleet-InstantOffersTable", Item=offer_item(offer))


def _wait_until_assigned(world: RetailWorld, order_id: str, driver: str) -> None:
    ops = world.token("ops")
    deadline = time.monotonic() + 15
    order = _expect(world.call("GET", f"/retail/orders/{order_id}", ops), 200)
    while order["status"] != "assigned":
        assert time.monotonic() < deadline, f"order {order_id} was not assigned"
        time.sleep(0.1)
        order = _expect(world.call("GET", f"/retail/orders/{order_id}", ops), 200)
    assert order["driverId"] == driver


RETAIL_ALLOWED = {
    "PUT /malls/{id}": {"ops"},
    "PUT /retailers/{id}": {"ops"},
    "GET /retailers/{id}": {"retailer", "ops"},
    "POST /blocks": {"ops", "system"},
    "GET /drivers/{id}/offers": {"driver"},
    "PUT /drivers/{id}/preferences": {"driver"},
    "GET /drivers/{id}/preferences": {"driver"},
    "POST /blocks/{id}/accept": {"driver"},
    "POST /blocks/{id}/forfeit": {"driver"},
    "POST /blocks/{id}/check-in": {"driver"},
    "GET /drivers/{id}/blocks": {"driver", "ops"},
    "GET /drivers/{id}/earnings": {"driver", "ops"},
    "POST /retail/orders": {"retailer"},
    "GET /retail/orders/{id}": {"retailer", "driver", "customer", "ops"},
    "POST /retail/orders/{id}/cancel": {"retailer", "ops"},
    "POST /retail/orders/{id}/pickup": {"driver"},
    "POST /retail/orders/{id}/delivery": {"driver"},
    "GET /drivers/{id}/assignments": {"driver"},
    "POST /drivers/{id}/review-decision": {"ops"},
    "PUT /drivers/{id}/availability": {"driver"},
    "GET /drivers/{id}/instant-offers": {"driver"},
    "POST /instant-offers/{id}/accept": {"driver"},
    "POST /instant-offers/{id}/decline": {"driver"},
    "GET /retail/orders/{id}/instant-offers": {"ops"},
}
# Where the id is the caller's to choose, "own" is the same body again, "other" an id someone
# else holds, and "unknown" a new id: a creation.
CREATIONS = {"PUT /malls/{id}", "PUT /retailers/{id}", "POST /blocks", "POST /retail/orders"}


def expected_retail(route: str, role: str, whose: str) -> int:
    """The issue's rules for the retail routes, written once, independently of the code."""
    if role not in RETAIL_ALLOWED[route]:
        return 403
    if route in CREATIONS:
        if whose == "unknown":
            return 201
        # Ops may change any mall or store; an id another published or placed is a conflict.
        return 409 if whose == "other" and route.startswith("POST") else 200
    if whose == "unknown":
        # Ops read any driver's blocks and earnings: a driver with none has an empty answer.
        reads_any = route in ("GET /drivers/{id}/blocks", "GET /drivers/{id}/earnings")
        return 200 if role == "ops" and reads_any else 404
    if whose == "other" and role != "ops":
        return 404
    return {
        "POST /blocks/{id}/accept": 201,
        "POST /drivers/{id}/review-decision": 201,
    }.get(route, 200)


RETAIL_ROUTES: dict[str, tuple[str, str, str]] = {
    "PUT /malls/{id}": ("PUT", "/malls/{}", "mall"),
    "PUT /retailers/{id}": ("PUT", "/retailers/{}", "retailer"),
    "GET /retailers/{id}": ("GET", "/retailers/{}", "retailer"),
    "POST /blocks": ("POST", "/blocks", "new block"),
    "GET /drivers/{id}/offers": ("GET", "/drivers/{}/offers", "driver"),
    "PUT /drivers/{id}/preferences": ("PUT", "/drivers/{}/preferences", "driver"),
    "GET /drivers/{id}/preferences": ("GET", "/drivers/{}/preferences", "driver"),
    "POST /blocks/{id}/accept": ("POST", "/blocks/{}/accept", "offered block"),
    "POST /blocks/{id}/forfeit": ("POST", "/blocks/{}/forfeit", "held block"),
    "POST /blocks/{id}/check-in": ("POST", "/blocks/{}/check-in", "worked block"),
    "GET /drivers/{id}/blocks": ("GET", "/drivers/{}/blocks", "driver"),
    "GET /drivers/{id}/earnings": ("GET", "/drivers/{}/earnings?{}", "driver"),
    "POST /retail/orders": ("POST", "/retail/orders", "new order"),
    "GET /retail/orders/{id}": ("GET", "/retail/orders/{}", "order"),
    "POST /retail/orders/{id}/cancel": ("POST", "/retail/orders/{}/cancel", "cancellable"),
    "POST /retail/orders/{id}/pickup": ("POST", "/retail/orders/{}/pickup", "order"),
    "POST /retail/orders/{id}/delivery": ("POST", "/retail/orders/{}/delivery", "carried"),
    "GET /drivers/{id}/assignments": ("GET", "/drivers/{}/assignments", "driver"),
    "POST /drivers/{id}/review-decision": ("POST", "/drivers/{}/review-decision", "driver"),
    "PUT /drivers/{id}/availability": ("PUT", "/drivers/{}/availability", "driver"),
    "GET /drivers/{id}/instant-offers": ("GET", "/drivers/{}/instant-offers", "driver"),
    "POST /instant-offers/{id}/accept": ("POST", "/instant-offers/{}/accept", "offer to accept"),
    "POST /instant-offers/{id}/decline": ("POST", "/instant-offers/{}/decline", "offer to decline"),
    "GET /retail/orders/{id}/instant-offers": (
        "GET",
        "/retail/orders/{}/instant-offers",
        "offered order",
    ),
}
RETAIL_CELLS = [
    (route, role, whose) for route in RETAIL_ROUTES for role in ROLES for whose in WHOSE
]


def fresh(role: str) -> str:
    """The id a creating cell asks for: new, and its role's alone, so no cell sees another's."""
    return f"new-{RUN}-{role}"


def retail_target(route: str, whose: str, role: str) -> str:
    """The id in a cell's path (or body): the caller's own, someone else's, or nobody's."""
    kind = RETAIL_ROUTES[route][2]
    if whose == "unknown":
        if kind.startswith("offer to"):
            return f"nobody-{RUN}:1"  # an offer id names an order and a round
        return fresh(role) if route in CREATIONS else f"nobody-{RUN}"
    if kind == "cancellable":
        return CANCELLABLE[(whose, role)]
    own, other = {
        "mall": (R.mall, R.other_mall),
        "retailer": (R.retailer, R.other_retailer),
        "driver": (P.driver, P.other_driver),
        "new block": (R.shift, R.shift),
        "offered block": (R.open_block, R.hidden_block),
        "held block": (R.forfeitable, R.others_block),
        "worked block": (R.shift, R.others_block),
        "new order": (R.order, R.other_order),
        "order": (R.order, R.other_order),
        "carried": (R.carried, R.other_order),
        "offer to accept": (f"{R.instant_own}:1", f"{R.instant_other}:1"),
        "offer to decline": (f"{R.instant_declined}:1", f"{R.instant_other}:1"),
        "offered order": (R.instant_own, R.instant_other),
    }[kind]
    return own if whose == "own" else other


def retail_body(world: RetailWorld, route: str, whose: str, target: str) -> Any:
    if route == "PUT /malls/{id}":
        return MALL
    if route == "PUT /retailers/{id}":
        return STORE
    if route == "POST /blocks":
        if whose == "unknown":
            return _block(target, BAYBROOK, world.now() + timedelta(hours=3), capacity=1)
        body = dict(world.published[target])
        return body if whose == "own" else body | {"capacity": body["capacity"] + 1}
    if route == "POST /retail/orders":
        if whose == "unknown":
            return _order(target, P.customer, world.now() + timedelta(days=1))
        return world.published[target]  # the own order again, or the other retailer's
    return {
        "PUT /drivers/{id}/preferences": {"mallIds": [VEGAS]},
        "POST /blocks/{id}/check-in": AT_VEGAS,
        "POST /retail/orders/{id}/pickup": AT_VEGAS,
        "POST /retail/orders/{id}/delivery": {"outcome": "delivered"},
        "POST /drivers/{id}/review-decision": {"decision": "keep", "note": "matrix"},
        "PUT /drivers/{id}/availability": {"online": True, **AT_VEGAS},
    }.get(route)


# What a customer may see of an order: where it is and when it should arrive.
CUSTOMER_VIEW = {"orderId", "storeName", "status", "deliverBy", "eta", "statusChangedAt"}


@pytest.mark.parametrize(("route", "role", "whose"), RETAIL_CELLS)
def test_every_retail_route_role_and_resource(
    retail: RetailWorld, route: str, role: str, whose: str
) -> None:
    method, path, _ = RETAIL_ROUTES[route]
    target = retail_target(route, whose, role)
    body = retail_body(retail, route, whose, target)
    # The delivery cells' driver is the courier, who carries the picked-up order.
    caller = R.courier if route.endswith("/delivery") and role == "driver" else SUBS[role]
    if route == "POST /instant-offers/{id}/accept" and role == "driver":
        caller = R.free_driver

    now = retail.now()
    period = urlencode({"from": _stamp(now - timedelta(days=30)), "to": _stamp(now)})

    reply = retail.call(method, path.format(target, period), retail.token(role, caller), body)

    assert reply.status == expected_retail(route, role, whose), reply.body
    text = reply.body.decode()
    if reply.status >= 400 or role != "ops":
        assert P.other_customer not in text
    if role == "driver":
        assert "customerId" not in text
    if role == "customer":
        for someone_else in (P.driver, P.other_driver, R.courier, "driverId", "customerId"):
            assert someone_else not in text
        if reply.status == 200:
            assert set(reply.json) <= CUSTOMER_VIEW


@pytest.mark.parametrize("role", ROLES)
def test_every_role_reads_the_malls_and_the_shift_types(retail: RetailWorld, role: str) -> None:
    token = retail.token(role)

    malls = retail.call("GET", "/malls", token)
    shift_types = retail.call("GET", "/shift-types", token)

    assert (malls.status, shift_types.status) == (200, 200)
    assert {VEGAS, CHANDLER, BAYBROOK, R.mall} <= {m["mallId"] for m in malls.json["malls"]}
    assert shift_types.json["shiftTypes"]


@pytest.mark.parametrize("role", ROLES)
def test_a_retailer_lists_its_own_orders_and_ops_a_malls(retail: RetailWorld, role: str) -> None:
    token = retail.token(role)

    mine = retail.call("GET", "/retail/orders?limit=100", token)
    at_vegas = retail.call("GET", f"/retail/orders?mallId={VEGAS}&limit=100", token)

    if role == "retailer":
        assert (mine.status, at_vegas.status) == (200, 200)
        owners = {o["orderId"]: o["retailerId"] for o in mine.json["orders"]}
        assert {R.order, R.carried} <= set(owners) and R.other_order not in owners
        assert set(owners.values()) == {R.retailer}
        assert P.other_customer not in mine.body.decode()
    elif role == "ops":
        assert mine.status == 422 and mine.json["field"] == "mallId"
        assert at_vegas.status == 200
        listed = {o["orderId"] for o in at_vegas.json["orders"]}
        assert {R.order, R.other_order, R.carried} <= listed
    else:
        assert (mine.status, at_vegas.status) == (403, 403)


def test_a_retailer_ops_have_not_onboarded_cannot_place_an_order(retail: RetailWorld) -> None:
    stranger = retail.token("retailer", f"r9-{RUN}")
    body = _order(f"o9-{RUN}", P.customer, retail.now() + timedelta(hours=1))

    reply = retail.call("POST", "/retail/orders", stranger, body)

    assert reply.status == 403 and reply.json["code"] == "retailer_not_onboarded"


def test_the_refused_retail_calls_wrote_nothing(retail: RetailWorld) -> None:
    """Runs after the retail matrix: what was refused there left no trace."""
    ops = retail.token("ops")

    # A creating cell's id is its role's alone: it exists only if the role may create.
    malls = {m["mallId"] for m in retail.call("GET", "/malls", ops).json["malls"]}
    dynamodb = retail.api.aws("dynamodb")
    for role in ROLES:
        block = dynamodb.get_item(
            TableName="flexfleet-BlocksTable", Key={"blockId": {"S": fresh(role)}}
        )
        created = {
            "PUT /malls/{id}": fresh(role) in malls,
            "PUT /retailers/{id}": retail.call("GET", f"/retailers/{fresh(role)}", ops).status
            == 200,
            "POST /blocks": "Item" in block,
            "POST /retail/orders": retail.call("GET", f"/retail/orders/{fresh(role)}", ops).status
            == 200,
        }
        assert created == {route: role in RETAIL_ALLOWED[route] for route in CREATIONS}

    def status(order_id: str) -> str:
        return str(retail.call("GET", f"/retail/orders/{order_id}", ops).json["status"])

    # Only its driver picked up the own order, and nobody moved the other's.
    assert (status(R.order), status(R.other_order), status(R.carried)) == (
        "picked_up",
        "assigned",
        "delivered",
    )
    cancelled = {key for key, order_id in CANCELLABLE.items() if status(order_id) == "cancelled"}
    assert cancelled == {("own", "retailer"), ("own", "ops"), ("other", "ops")}
    offers = retail.call("GET", f"/retail/orders/{R.instant_other}/instant-offers", ops).json
    assert [o["status"] for o in offers["offers"]] == ["pending"]  # only its driver may answer
    accepted = retail.call("GET", f"/retail/orders/{R.instant_own}/instant-offers", ops).json
    assert [o["status"] for o in accepted["offers"]] == ["accepted"]
    assert status(R.instant_own) == "assigned"
    others_blocks = retail.call("GET", f"/drivers/{P.other_driver}/blocks", ops).json
    held = {b["blockId"]: b["status"] for b in others_blocks["upcoming"] + others_blocks["active"]}
    assert held == {R.shift: "checked_in", R.others_block: "held"}
    assert retail.call("GET", f"/drivers/nobody-{RUN}/blocks", ops).json == {
        "upcoming": [],
        "active": [],
        "past": [],
    }
