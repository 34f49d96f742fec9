"""The local runtime's own semantics, through a template of probe functions."""

from __future__ import annotations

import base64
import json
import os
import signal
import socket
import time
from pathlib import Path
from typing import Any

import pytest

from infra.local_runtime.client import RuntimeProcess
from tests.emulator.conftest import FIXTURE_TEMPLATE, REALTIME_TEMPLATE
from tests.runtime_http import Api

pytestmark = pytest.mark.e2e


def test_a_function_gets_its_template_environment_and_a_context_that_counts_down(
    probes: Api,
) -> None:
    reply = probes.request("GET", "/context")

    assert reply.status == 200
    body = reply.json
    assert body["functionName"] == "flexfleet-ProbeFunction"
    assert 0 < body["remainingMs"] <= 1000  # Timeout: 1
    assert body["arn"] == "arn:aws:lambda:us-east-1:123456789012:function:flexfleet-ProbeFunction"
    assert body["env"]["EVENTS_TABLE"] == "flexfleet-EventsTable"
    assert body["env"]["AWS_ENDPOINT_URL"] == probes.aws_endpoint
    assert body["env"]["AWS_LAMBDA_FUNCTION_NAME"] == "flexfleet-ProbeFunction"


def test_a_function_with_json_logs_gets_its_application_log_level_as_lambda_sets_it(
    probes: Api,
) -> None:
    env = probes.request("GET", "/context").json["env"]

    # Globals' LoggingConfig: LogFormat JSON, ApplicationLogLevel !Ref LogLevel (DEBUG).
    assert env["AWS_LAMBDA_LOG_FORMAT"] == "JSON"
    assert env["AWS_LAMBDA_LOG_LEVEL"] == "DEBUG"


ARN = "arn:aws:lambda:us-east-1:123456789012:function:"


def test_a_function_with_an_auto_published_alias_is_invoked_through_it(probes: Api) -> None:
    body = probes.request("GET", "/aliased/context").json

    assert body["arn"] == ARN + "flexfleet-AliasedFunction:live"
    assert body["env"]["AWS_LAMBDA_FUNCTION_VERSION"] == "1"
    assert "[1]" in body["env"]["AWS_LAMBDA_LOG_STREAM_NAME"]


def test_a_function_without_an_alias_runs_as_latest(probes: Api) -> None:
    body = probes.request("GET", "/context").json

    assert body["arn"] == ARN + "flexfleet-ProbeFunction"
    assert body["env"]["AWS_LAMBDA_FUNCTION_VERSION"] == "$LATEST"
    assert "[$LATEST]" in body["env"]["AWS_LAMBDA_LOG_STREAM_NAME"]


def test_ref_and_getatt_of_an_aliased_function_still_name_the_function(probes: Api) -> None:
    env = probes.request("GET", "/context").json["env"]

    assert env["ALIASED_NAME"] == "flexfleet-AliasedFunction"
    assert env["ALIASED_ARN"] == ARN + "flexfleet-AliasedFunction"


def test_a_snapstart_function_runs_its_hooks_after_init_and_before_its_first_invoke(
    probes: Api,
) -> None:
    body = probes.request("GET", "/aliased/context").json

    assert body["env"]["AWS_LAMBDA_INITIALIZATION_TYPE"] == "snap-start"
    assert body["hooks"] == ["before 2", "before 1", "after 1", "after 2"]


def test_a_failing_after_restore_hook_fails_the_invocation_as_lambda_reports_it(
    probes: Api,
) -> None:
    before = len(probes.runtime.invocations())

    reply = probes.request("GET", "/failing-hook/context")

    assert reply.status == 500
    entry = only_entry(probes, before, "FailingHookFunction")
    assert entry["outcome"].startswith("500 error Runtime.AfterRestoreError: the after-restore")


def test_a_function_without_snapstart_registers_hooks_that_never_run(probes: Api) -> None:
    body = probes.request("GET", "/context").json

    assert body["env"]["AWS_LAMBDA_INITIALIZATION_TYPE"] == "on-demand"
    assert body["hooks"] == []


def test_a_functions_own_logging_config_is_merged_over_the_globals_one(probes: Api) -> None:
    env = probes.request("GET", "/aliased/context").json["env"]

    assert env["AWS_LAMBDA_LOG_FORMAT"] == "JSON"
    assert env["AWS_LAMBDA_LOG_LEVEL"] == "WARN"


def test_a_function_that_overruns_its_timeout_fails_with_a_500(probes: Api) -> None:
    before = len(probes.runtime.invocations())

    reply = probes.request("GET", "/sleep/3")

    assert reply.status == 500
    assert reply.json == {"message": "Internal Server Error"}
    [entry] = probes.runtime.invocations(since=before)
    assert "Sandbox.Timedout" in entry["outcome"]
    assert probes.request("GET", "/context").status == 200  # a new sandbox takes over


def test_a_function_that_raises_answers_500_without_its_stack_trace(probes: Api) -> None:
    reply = probes.request("POST", "/crash")

    assert reply.status == 500
    assert b"crashed" not in reply.body


def test_the_claims_reach_the_function_flattened_as_api_gateway_does(probes: Api) -> None:
    token = probes.runtime.token(["driver", "ops"], "d-9")

    claims = probes.request("GET", "/claims", token=token).json

    assert claims["sub"] == "d-9"
    assert claims["cognito:groups"] == "[driver ops]"
    assert isinstance(claims["exp"], str)


def test_a_poison_record_ends_in_the_on_failure_queue_and_the_rest_take_effect(probes: Api) -> None:
    dynamodb, sqs = probes.aws("dynamodb"), probes.aws("sqs")
    table = "flexfleet-EventsTable"
    for n in range(5):
        item: dict[str, Any] = {"id": {"S": f"p{n}"}}
        if n == 2:
            item["poison"] = {"BOOL": True}
        dynamodb.put_item(TableName=table, Item=item)

    assert probes.runtime.drain(timeout=30)

    seen = {
        f"p{n}": "seen" in dynamodb.get_item(TableName=table, Key={"id": {"S": f"p{n}"}})["Item"]
        for n in range(5)
    }
    assert seen == {"p0": True, "p1": True, "p2": False, "p3": True, "p4": True}
    queue_url = sqs.get_queue_url(QueueName="flexfleet-FailureQueue")["QueueUrl"]
    [message] = sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10)["Messages"]
    info = json.loads(message["Body"])
    assert info["requestContext"]["condition"] == "RetryAttemptsExhausted"
    assert info["DDBStreamBatchInfo"]["batchSize"] == 1
    assert probes.runtime.status()["streams"][0]["discarded"] == 1


def test_a_rate_schedule_fires_on_its_own_when_its_time_comes(probes: Api) -> None:
    before = len(probes.runtime.invocations())

    probes.runtime.advance_clock(61)
    deadline = time.monotonic() + 5
    fired: list[dict[str, object]] = []
    while time.monotonic() < deadline and not fired:
        fired = [
            e for e in probes.runtime.invocations(since=before) if e["function"] == "TickFunction"
        ]
        time.sleep(0.05)

    assert fired, "rate(1 minute) did not fire after the clock moved a minute"
    assert fired[0]["trigger"] == "schedule EveryMinute"
    assert fired[0]["outcome"] == "ok"


def test_a_schedule_fired_by_hand_gets_the_scheduled_event(probes: Api) -> None:
    result = probes.runtime.fire("TickFunction")

    assert result["payload"]["detailType"] == "Scheduled Event"
    assert result["payload"]["resources"][0].startswith(
        "arn:aws:events:us-east-1:123456789012:rule/"
    )


def test_the_remaining_time_counts_down_during_an_invocation(probes: Api) -> None:
    reply = probes.request("GET", "/countdown").json

    assert 300 < reply["before"] <= 1000
    assert (
        250 <= reply["before"] - reply["after"] <= 900
    )  # slept 0.3 s; a busy machine sleeps longer


def test_a_failing_scheduled_run_is_retried_then_recorded_in_its_on_failure_queue(
    probes: Api,
) -> None:
    before = len(probes.runtime.invocations())

    result = probes.runtime.fire("FailingTickFunction")

    runs = [
        e
        for e in probes.runtime.invocations(since=before)
        if e["function"] == "FailingTickFunction"
    ]
    assert result["error"]["errorType"] == "RuntimeError"
    assert [e["trigger"] for e in runs] == ["schedule Hourly", "schedule Hourly retry"]
    sqs = probes.aws("sqs")
    url = sqs.get_queue_url(QueueName="flexfleet-FailureQueue")["QueueUrl"]
    bodies = [
        json.loads(m["Body"])
        for m in sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", [])
    ]
    record = next(b for b in bodies if "requestPayload" in b)
    assert record["requestContext"]["condition"] == "RetriesExhausted"
    assert record["requestContext"]["approximateInvokeCount"] == 2
    assert record["responsePayload"]["errorType"] == "RuntimeError"


def test_a_schedule_disabled_with_the_string_false_never_fires(probes: Api) -> None:
    schedules = {s["name"]: s for s in probes.runtime.status()["schedules"]}

    assert schedules["FailingTickFunction.Hourly"]["enabled"] is False


def test_ctrl_c_in_the_terminal_stops_every_sandbox_without_a_traceback(tmp_path: Path) -> None:
    log_path = tmp_path / "runtime.log"
    with log_path.open("w") as log:
        runtime = RuntimeProcess(FIXTURE_TEMPLATE, tmp_path, log=log).start()
        sandboxes = runtime.client.status()["sandboxPids"]

        exit_code = runtime.stop(whole_group=True)

    assert exit_code == 0
    assert sandboxes, "the runtime started no sandbox to stop"
    assert not any(Path(f"/proc/{pid}").exists() for pid in sandboxes)
    # FailingHookFunction's init logs its own traceback at start, as Lambda would; none after.
    stopping = log_path.read_text().split("stopping the local runtime", 1)[1]
    assert "Traceback" not in stopping and "KeyboardInterrupt" not in stopping
    assert not (tmp_path / "runtime.json").exists()
    assert not (tmp_path / "clock.json").exists()


ELSEWHERE = (
    'make run ARGS="--port 3100 --websocket-port 3101 --dashboard-port 3102 '
    '--identity-port 3103 --control-port 3104"'
)


@pytest.mark.parametrize(
    ("template", "option", "named", "hint"),
    [
        (FIXTURE_TEMPLATE, "--port", "the HTTP API", ELSEWHERE),
        (FIXTURE_TEMPLATE, "--control-port", "the control endpoint", ELSEWHERE),
        (FIXTURE_TEMPLATE, "--aws-port", "AWS (moto)", 'make run ARGS="--aws-port 0"'),
        (REALTIME_TEMPLATE, "--websocket-port", "the WebSocket API", ELSEWHERE),
        (REALTIME_TEMPLATE, "--dashboard-port", "the dashboard", ELSEWHERE),
        (REALTIME_TEMPLATE, "--identity-port", "the identity provider", ELSEWHERE),
    ],
)
def test_a_busy_port_stops_the_runtime_at_once_with_a_message(
    tmp_path: Path, template: Path, option: str, named: str, hint: str
) -> None:
    log_path = tmp_path / "runtime.log"
    with socket.socket() as busy, log_path.open("w") as log:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        runtime = RuntimeProcess(
            template, tmp_path, log=log, extra_args=(option, str(port)), startup_timeout=20
        )
        started = time.monotonic()

        with pytest.raises(RuntimeError, match="exited with 1"):
            runtime.start()

    assert time.monotonic() - started < 10
    text = log_path.read_text()
    assert "cannot start the local runtime" in text
    assert f"port {port} ({named}, {option}) is in use" in text
    assert hint in text
    assert "Traceback" not in text
    assert "creating" not in text and "warming" not in text  # nothing was started


def test_the_runtime_says_what_it_is_doing_before_its_banner(probes: Api) -> None:
    lines = probes.log_path.read_text().splitlines()
    banner = next(i for i, line in enumerate(lines) if line.startswith("HTTP API "))

    progress = " / ".join(lines[:banner])

    assert "starting moto" in progress
    assert "creating 1 table and 1 queue" in progress
    assert "warming 6 functions" in progress
    assert progress.index("starting moto") < progress.index("creating") < progress.index("warming")


@pytest.mark.parametrize(
    "header",
    [
        {"alg": "RS256", "kid": None},
        {"alg": "RS256", "kid": 7},
        {"alg": "RS256", "kid": "k", "crit": ["x"]},
        {"alg": "none"},
        ["RS256"],
    ],
)
def test_a_token_with_a_malformed_header_answers_401_rather_than_dropping_the_connection(
    probes: Api, header: object
) -> None:
    segment = base64.urlsafe_b64encode(json.dumps(header).encode()).decode().rstrip("=")

    reply = probes.request("GET", "/claims", token=f"{segment}.e30.AA")

    assert reply.status == 401
    assert reply.json == {"message": "Unauthorized"}
    assert reply.headers["www-authenticate"].startswith('Bearer scope="" error="invalid_token"')


@pytest.mark.parametrize(
    ("sent", "path", "value"),
    [
        ("/capture/space%20value", "/capture/space value", "space value"),
        ("/capture/store%3A42", "/capture/store:42", "store:42"),
        ("/capture/store:42", "/capture/store:42", "store:42"),
        ("/capture/%2525value", "/capture/%value", "%value"),
        ("/capture/question%3Fvalue", "/capture/question", "question"),
    ],
)
def test_a_percent_encoded_path_reaches_the_function_decoded_as_an_http_api_hands_it_on(
    probes: Api, sent: str, path: str, value: str
) -> None:
    reply = probes.request("GET", sent + "?q=a%20b")

    assert reply.status == 200
    assert reply.json == {
        "rawPath": path,
        "path": path,
        "pathParameters": {"value": value},
        "rawQueryString": "q=a%20b",
        "queryStringParameters": {"q": "a b"},
    }


def test_an_encoded_slash_separates_segments_so_a_one_segment_route_does_not_match(
    probes: Api,
) -> None:
    reply = probes.request("GET", "/capture/a%2Fb")

    assert reply.status == 404
    assert reply.json == {"message": "Not Found"}


def test_a_path_that_fails_the_second_decoding_answers_400_before_any_function(
    probes: Api,
) -> None:
    before = len(probes.runtime.invocations())

    reply = probes.request("GET", "/capture/percent%25done")

    assert reply.status == 400
    assert reply.json == {"message": "Bad Request"}
    assert probes.runtime.invocations(since=before) == []


def only_entry(probes: Api, before: int, function: str = "ProbeFunction") -> dict[str, Any]:
    [entry] = [e for e in probes.runtime.invocations(since=before) if e["function"] == function]
    return entry


@pytest.mark.parametrize(
    ("path", "reason"),
    [
        ("/exit/3", "Runtime exited with error: exit status 3"),
        ("/exit/0", "Runtime exited without providing a reason"),
        ("/kill/SIGKILL", "Runtime exited with error: signal: killed"),
        ("/kill/SIGSEGV", "Runtime exited with error: signal: segmentation fault"),
    ],
)
def test_a_sandbox_that_dies_mid_invocation_is_a_runtime_exit_not_a_timeout(
    probes: Api, path: str, reason: str
) -> None:
    before = len(probes.runtime.invocations())

    reply = probes.request("GET", path)

    assert reply.status == 500
    assert reply.json == {"message": "Internal Server Error"}
    entry = only_entry(probes, before)
    assert "Runtime.ExitError" in entry["outcome"]
    assert f"RequestId: {entry['request_id']} Error: {reason}" in entry["outcome"]
    assert "Timedout" not in entry["outcome"]
    assert probes.request("GET", "/context").status == 200  # a fresh sandbox takes over


def test_a_sandbox_killed_while_idle_is_replaced_by_a_fresh_one_on_the_next_request(
    probes: Api,
) -> None:
    assert probes.request("GET", "/context").status == 200
    idle = probes.runtime.status()["sandboxes"]["ProbeFunction"]
    for pid in idle:
        os.kill(pid, signal.SIGKILL)
    time.sleep(0.2)
    before = len(probes.runtime.invocations())

    reply = probes.request("GET", "/context")

    assert reply.status == 200
    entry = only_entry(probes, before)
    assert entry["cold_start"] is True
    assert not set(idle) & set(probes.runtime.status()["sandboxes"]["ProbeFunction"])


@pytest.mark.parametrize(
    ("method", "path", "status", "outcome"),
    [
        ("GET", "/status/200", 200, "200"),
        ("GET", "/status/422", 422, "422"),
        ("GET", "/status/500", 500, "500"),
        ("POST", "/crash", 500, "500 error RuntimeError: the probe crashed on purpose"),
        ("GET", "/exit/3", 500, "500 error Runtime.ExitError: RequestId: "),
    ],
)
def test_an_http_invocation_is_logged_with_the_status_the_client_got(
    probes: Api, method: str, path: str, status: int, outcome: str
) -> None:
    before = len(probes.runtime.invocations())

    reply = probes.request(method, path)

    entry = only_entry(probes, before)
    assert reply.status == status
    assert entry["status"] == status
    assert entry["outcome"].startswith(outcome)
    line = next(x for x in probes.log_path.read_text().splitlines()[::-1] if "http " in x)
    assert f" ms  {outcome}" in line
