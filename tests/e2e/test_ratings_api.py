"""Ratings and standing over HTTP through the local runtime: the walkthrough and bad input."""

from __future__ import annotations

import json
import time
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from infra.local_runtime.template import Template
from tests import ROOT
from tests.factories import delivery_report
from tests.runtime_http import Api, Reply

pytestmark = pytest.mark.e2e

JSON = {"content-type": "application/json"}


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def post(app: Api, path: str, body: Any, token: str, method: str = "POST") -> Reply:
    return app.request(method, path, token=token, body=json.dumps(body), headers=JSON)


def recorded_delivery(app: Api, driver: str, customer: str, **overrides: Any) -> str:
    now = datetime.now(UTC)
    delivery_id = unique("del")
    report = delivery_report(
        delivery_id,
        driver_id=driver,
        customer_id=customer,
        promised_start=now - timedelta(hours=2),
        **overrides,
    )
    reply = post(app, "/deliveries", report, app.runtime.token("system", "station-1"))
    assert reply.status == 201, reply.body
    return delivery_id


def wait_for(check: Any, timeout: float = 2.0) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(0.02)


def test_the_walkthrough_rate_respond_dispute_uphold(app: Api) -> None:
    driver, customer = unique("d"), unique("c")
    driver_token = app.runtime.token("driver", driver)
    customer_token = app.runtime.token("customer", customer)
    ops_token = app.runtime.token("ops", "ops-1")
    good = recorded_delivery(app, driver, customer)
    bad = recorded_delivery(app, driver, customer)

    # Given two deliveries, when the customer rates them 5 and 1 stars,
    assert post(app, f"/deliveries/{good}/rating", {"stars": 5}, customer_token).status == 201
    rated = time.monotonic()
    reply = post(
        app,
        f"/deliveries/{bad}/rating",
        {"stars": 1, "comment": "Left in the rain"},
        customer_token,
    )
    assert reply.status == 201

    # then standing reflects both within 2 s of the 201.
    def counted(n: int) -> Any:
        standing = app.request("GET", f"/drivers/{driver}/standing", token=driver_token).json
        return standing if standing["coaching"]["counts"]["ratingsCounted"] == n else None

    standing = wait_for(lambda: counted(2))
    assert standing, "standing did not reflect the ratings within 2 s"
    assert time.monotonic() - rated < 2.0
    assert standing["components"]["customerRating"]["value"] == "4.6363"  # (20*4.8 + 6) / 22, cut

    # The driver responds, and disputes the 1-star rating; ops uphold it.
    assert (
        post(
            app, f"/ratings/{bad}/response", {"text": "It was raining"}, driver_token, "PUT"
        ).status
        == 200
    )
    dispute = post(
        app,
        f"/ratings/{bad}/dispute",
        {"reason": "outside_driver_control", "text": "Storm"},
        driver_token,
    )
    assert dispute.status == 201
    open_disputes = app.request("GET", "/disputes?status=open", token=ops_token).json["items"]
    assert bad in [d["disputeId"] for d in open_disputes]
    decision = post(
        app, f"/disputes/{bad}/decision", {"decision": "upheld", "note": "Weather"}, ops_token
    )
    assert decision.status == 200 and decision.json["status"] == "upheld"

    # Standing is recomputed without the excluded rating.
    standing = wait_for(lambda: counted(1))
    assert standing, "standing was not recomputed after the upheld dispute"
    assert standing["coaching"]["counts"]["ratingsExcluded"] == 1
    feedback = app.request("GET", f"/drivers/{driver}/ratings", token=driver_token).json["items"]
    excluded = next(r for r in feedback if r["ratingId"] == bad)
    assert excluded["exclusion"]["reason"] == "dispute_upheld"
    assert excluded["response"]["text"] == "It was raining"
    assert "customerId" not in json.dumps(feedback)


def test_a_second_rating_is_a_409_that_tells_a_retry_from_a_change(app: Api) -> None:
    driver, customer = unique("d"), unique("c")
    token = app.runtime.token("customer", customer)
    delivery = recorded_delivery(app, driver, customer)

    first = post(app, f"/deliveries/{delivery}/rating", {"stars": 4}, token)
    again = post(app, f"/deliveries/{delivery}/rating", {"stars": 4}, token)
    different = post(app, f"/deliveries/{delivery}/rating", {"stars": 2}, token)

    assert (first.status, again.status, different.status) == (201, 409, 409)
    assert (again.json["code"], different.json["code"]) == ("already_rated", "conflict")
    stored = app.aws("dynamodb").get_item(
        TableName="flexfleet-RatingsTable", Key={"ratingId": {"S": delivery}}
    )
    assert stored["Item"]["stars"] == {"N": "4"}


def test_recording_a_delivery_again_is_a_no_op_and_a_changed_one_a_conflict(app: Api) -> None:
    token = app.runtime.token("system", "station-1")
    report = delivery_report(unique("del"), driver_id="d-x", customer_id="c-x")

    assert post(app, "/deliveries", report, token).status == 201
    assert post(app, "/deliveries", report, token).status == 200
    assert post(app, "/deliveries", {**report, "driverId": "d-y"}, token).status == 409


BAD_RATINGS = [
    ({"stars": 0}, "stars"),
    ({"stars": 6}, "stars"),
    ({"stars": 4.5}, "stars"),
    ({"stars": "5"}, "stars"),
    ({"stars": None}, "stars"),
    ({}, "stars"),
    ({"stars": 5, "factors": {"speed": 5}}, "factors.speed"),
    ({"stars": 5, "factors": {"timeliness": 9}}, "factors.timeliness"),
    ({"stars": 5, "tags": ["great_vibes"]}, "tags.0"),
    ({"stars": 5, "comment": "x" * 10_000}, "comment"),
    ({"stars": 5, "extra": True}, "extra"),
]


@pytest.mark.parametrize(("body", "field"), BAD_RATINGS)
def test_a_bad_rating_gets_a_422_naming_the_field_and_writes_nothing(
    app: Api, body: dict[str, Any], field: str
) -> None:
    customer = unique("c")
    token = app.runtime.token("customer", customer)
    delivery = recorded_delivery(app, unique("d"), customer)

    reply = post(app, f"/deliveries/{delivery}/rating", body, token)

    assert reply.status == 422, reply.body
    assert reply.json["field"] == field
    assert not rating_stored(app, delivery)


@pytest.mark.parametrize(
    ("body", "headers", "status"),
    [
        ("{not json", JSON, 400),
        ('{"stars": 5}', {"content-type": "text/plain"}, 415),
        ('{"stars": 5, "comment": "' + "x" * 70_000 + '"}', JSON, 413),
    ],
)
def test_a_body_that_is_not_json_or_too_big_is_refused_before_the_route(
    app: Api, body: str, headers: dict[str, str], status: int
) -> None:
    customer = unique("c")
    delivery = recorded_delivery(app, unique("d"), customer)

    reply = app.request(
        "POST",
        f"/deliveries/{delivery}/rating",
        token=app.runtime.token("customer", customer),
        body=body,
        headers=headers,
    )

    assert reply.status == status
    assert set(reply.json) >= {"message", "code", "field"}
    assert not rating_stored(app, delivery)


def test_undelivered_and_stale_deliveries_cannot_be_rated(app: Api) -> None:
    customer = unique("c")
    token = app.runtime.token("customer", customer)
    undelivered = recorded_delivery(
        app, unique("d"), customer, outcome="returned", cause="driver", delivered_at=None
    )
    old = datetime.now(UTC) - timedelta(days=31)
    stale = unique("del")
    report = delivery_report(
        stale,
        driver_id="d-s",
        customer_id=customer,
        promised_start=old - timedelta(hours=1),
        delivered_at=old,
    )
    assert post(app, "/deliveries", report, app.runtime.token("system", "station-1")).status == 201

    assert post(app, f"/deliveries/{undelivered}/rating", {"stars": 5}, token).status == 422
    assert post(app, f"/deliveries/{stale}/rating", {"stars": 5}, token).status == 422
    assert not rating_stored(app, undelivered) and not rating_stored(app, stale)


def rating_stored(app: Api, rating_id: str) -> bool:
    item = app.aws("dynamodb").get_item(
        TableName="flexfleet-RatingsTable", Key={"ratingId": {"S": rating_id}}
    )
    return "Item" in item


def test_the_openapi_document_describes_exactly_the_templates_routes(app: Api) -> None:
    reply = app.request("GET", "/openapi.json")

    assert reply.status == 200
    documented = {(m.upper(), p) for p, ops in reply.json["paths"].items() for m in ops}
    template = Template(ROOT / "template.yaml")
    routed = {
        (e.properties["Method"], e.properties["Path"]) for e in template.event_sources("HttpApi")
    }
    assert documented == routed
    for path, operations in reply.json["paths"].items():
        for method, operation in operations.items():
            answers = operation["responses"]
            success = [code for code in answers if code.startswith("2")]
            assert success, f"{method} {path} documents no success"
            assert all("schema" in answers[c]["content"]["application/json"] for c in success)
            assert answers["422"]["content"]["application/json"]["schema"]["$ref"].endswith(
                "/ValidationErrorBody"
            ), f"{method} {path} documents Powertools' 422, not ours"
    rating = reply.json["paths"]["/deliveries/{deliveryId}/rating"]["post"]
    assert {"201", "404", "409", "413", "415", "422"} <= set(rating["responses"])
    assert "requestBody" in rating


def test_the_openapi_document_says_which_routes_need_no_token_as_the_template_does(
    app: Api,
) -> None:
    document = app.request("GET", "/openapi.json").json
    template = Template(ROOT / "template.yaml")
    public = {
        (e.properties["Method"].lower(), e.properties["Path"])
        for e in template.event_sources("HttpApi")
        if (e.properties.get("Auth") or {}).get("Authorizer") == "NONE"
    }

    marked = {
        (method, path)
        for path, operations in document["paths"].items()
        for method, operation in operations.items()
        if operation.get("security") == []
    }

    assert public == marked == {("get", "/health"), ("get", "/openapi.json")}
    assert document["security"] == [{"cognitoJwt": []}]
    for method, path in public:
        assert app.request(method.upper(), path).status == 200


def test_a_401_is_documented_as_the_body_api_gateway_writes(app: Api) -> None:
    document = app.request("GET", "/openapi.json").json
    reply = app.request("GET", "/me")

    schema = document["paths"]["/me"]["get"]["responses"]["401"]["content"]["application/json"]
    assert schema["schema"]["$ref"].endswith("/GatewayError")
    assert reply.status == 401
    assert reply.json == {"message": "Unauthorized"}
    gateway_error = document["components"]["schemas"]["GatewayError"]
    assert set(reply.json) == set(gateway_error["required"])


def test_an_id_a_browser_percent_encodes_reaches_its_resource(app: Api) -> None:
    """encodeURIComponent("store:42") is "store%3A42"; an HTTP API decodes the path."""
    delivery_id = f"store:{uuid.uuid4().hex[:6]}"
    now = datetime.now(UTC)
    report = delivery_report(delivery_id, promised_start=now - timedelta(hours=2))
    assert post(app, "/deliveries", report, app.runtime.token("system", "st-1")).status == 201
    ops = app.runtime.token("ops", "ops-1")

    encoded = app.request("GET", f"/deliveries/{delivery_id.replace(':', '%3A')}", token=ops)
    plain = app.request("GET", f"/deliveries/{delivery_id}", token=ops)

    assert encoded.status == plain.status == 200
    assert encoded.json["deliveryId"] == delivery_id
