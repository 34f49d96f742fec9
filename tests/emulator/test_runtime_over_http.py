"""The platform through the local runtime, as a user of `make run` sees it."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from tests import ROOT
from tests.runtime_http import Api

pytestmark = pytest.mark.e2e


def test_health_answers_200_without_a_token(app: Api) -> None:
    reply = app.request("GET", "/health")

    assert reply.status == 200
    assert reply.json == {"status": "ok"}
    assert "apigw-requestid" in reply.headers


def test_me_without_a_token_answers_401(app: Api) -> None:
    reply = app.request("GET", "/me")

    assert reply.status == 401
    assert reply.json == {"message": "Unauthorized"}


def test_me_with_a_token_answers_the_callers_id_and_groups(app: Api) -> None:
    token = app.runtime.token(["driver", "ops"], "d-123")

    reply = app.request("GET", "/me", token=token)

    assert reply.status == 200
    assert reply.json == {"sub": "d-123", "groups": ["driver", "ops"]}


@pytest.mark.parametrize(
    ("claims", "reason"),
    [
        ({"exp": 1}, "the token has expired"),
        ({"aud": "someone-else"}, "the token does not have a valid audience"),
        ({"iss": "https://issuer.example/elsewhere"}, "the token does not have a valid issuer"),
    ],
)
def test_a_token_api_gateway_would_refuse_answers_401_with_the_reason(
    app: Api, claims: dict[str, Any], reason: str
) -> None:
    token = app.runtime.token("driver", "d-123", **claims)

    reply = app.request("GET", "/me", token=token)

    assert reply.status == 401
    assert reason in reply.headers["www-authenticate"]


def test_a_token_with_a_forged_signature_answers_401(app: Api) -> None:
    header, payload, _ = app.runtime.token("driver", "d-123").split(".")

    reply = app.request("GET", "/me", token=f"{header}.{payload}.c2lnbmF0dXJl")

    assert reply.status == 401
    assert "signature" in reply.headers["www-authenticate"]


@pytest.mark.parametrize(
    ("method", "path"), [("GET", "/no-such-route"), ("DELETE", "/health"), ("POST", "/me")]
)
def test_an_unknown_route_or_method_answers_a_json_404(app: Api, method: str, path: str) -> None:
    reply = app.request(method, path)

    assert reply.status == 404
    assert reply.headers["content-type"] == "application/json"
    assert reply.json == {"message": "Not Found"}


def test_a_body_over_the_gateway_quota_answers_413_before_any_function(app: Api) -> None:
    before = len(app.runtime.invocations())

    reply = app.request("GET", "/health", body=b"x" * (10 * 1024 * 1024 + 1))

    assert reply.status == 413
    assert reply.json == {"message": "Request Entity Too Large"}
    assert app.runtime.invocations(since=before) == []


def test_a_rating_write_reaches_the_stream_function_within_a_second(app: Api) -> None:
    dynamodb = app.aws("dynamodb")
    status = app.runtime.status()
    rated_at = datetime.now(UTC).isoformat()
    written = time.monotonic()

    dynamodb.put_item(
        TableName=status["outputs"]["RatingsTableName"],
        Item={
            "ratingId": {"S": "e2e-r1"},
            "deliveryId": {"S": "e2e-r1"},
            "driverId": {"S": "e2e-d1"},
            "customerId": {"S": "e2e-c1"},
            "ratedAt": {"S": rated_at},
            "deliveredAt": {"S": rated_at},
            "stars": {"N": "4"},
        },
    )
    standing = None
    while time.monotonic() - written < 1.0 and standing is None:
        standing = dynamodb.get_item(
            TableName=status["outputs"]["StandingTableName"], Key={"driverId": {"S": "e2e-d1"}}
        ).get("Item")
        time.sleep(0.02)

    assert standing is not None, "the stream function did not update standing within 1 s"
    assert standing["rating"]["M"]["counted"] == {"N": "1"}


def test_the_daily_schedule_can_be_fired_now_with_its_input(app: Api) -> None:
    result = app.runtime.fire("StandingScheduleFunction")

    assert result["error"] is None
    assert set(result["payload"]) == {"drivers", "written", "stale", "tierChanges"}


def test_every_invocation_is_logged_with_function_trigger_duration_and_status(app: Api) -> None:
    before = len(app.runtime.invocations())

    app.request("GET", "/health")

    # The template's every-minute schedules may run meanwhile: only the API's invocation counts.
    logged = app.runtime.invocations(since=before)
    [entry] = [e for e in logged if e["trigger"].startswith("http ")]
    assert entry["function"] == "HealthFunction"
    assert entry["trigger"] == "http GET /health"
    assert entry["duration_ms"] > 0
    assert entry["outcome"] == "200"
    assert entry["status"] == 200


def test_outputs_resolve_to_the_local_stack(app: Api) -> None:
    outputs = app.runtime.status()["outputs"]

    assert outputs["ApiUrl"] == app.base_url + "/"
    assert outputs["RatingsTableName"] == "flexfleet-RatingsTable"


def test_the_token_command_mints_a_token_the_running_runtime_accepts(app: Api) -> None:
    state_dir = Path(app.runtime.status()["stateDir"])
    command = [
        sys.executable,
        "-m",
        "infra.local_runtime",
        "token",
        "--role",
        "retailer",
        "--sub",
        "r-7",
    ]

    token = subprocess.run(
        [*command, "--state-dir", str(state_dir)],
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
    ).stdout.strip()

    assert app.request("GET", "/me", token=token).json == {"sub": "r-7", "groups": ["retailer"]}


def test_the_fire_command_runs_a_schedule_on_the_running_runtime(app: Api) -> None:
    state_dir = Path(app.runtime.status()["stateDir"])
    command = [sys.executable, "-m", "infra.local_runtime", "fire", "StandingScheduleFunction"]

    result = subprocess.run(
        [*command, "--state-dir", str(state_dir)],
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
    )

    assert json.loads(result.stdout)["error"] is None


@pytest.mark.parametrize("method", ["FOO", "TRACE", "PROPFIND"])
def test_a_method_no_route_has_answers_a_json_404(app: Api, method: str) -> None:
    reply = app.request(method, "/health")

    assert reply.status == 404
    assert reply.json == {"message": "Not Found"}


def test_a_malformed_content_length_answers_a_json_400(app: Api) -> None:
    reply = app.request("POST", "/health", headers={"Content-Length": "-5"})

    assert reply.status == 400
    assert "message" in reply.json


def test_a_token_whose_expiry_is_not_a_number_answers_401(app: Api) -> None:
    reply = app.request("GET", "/me", token=app.runtime.token("driver", "d-1", exp="tomorrow"))

    assert reply.status == 401


def test_the_runtime_prints_one_line_per_invocation(app: Api) -> None:
    before = len([x for x in app.log_path.read_text().splitlines() if "http GET /health" in x])

    app.request("GET", "/health")

    lines = [x for x in app.log_path.read_text().splitlines() if "http GET /health" in x]
    assert len(lines) == before + 1
    time_of_day, function, _, _, _, duration, unit, outcome = lines[-1].split()[:8]
    assert (function, unit, outcome) == ("HealthFunction", "ms", "200")
    assert float(duration) > 0
