"""CloudFormation custom resources, created at start: the Create request, the response PUT to
the control endpoint, and a start that stops when a resource fails."""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

import pytest

from infra.local_runtime import custom_resources
from infra.local_runtime.client import RuntimeProcess
from infra.local_runtime.custom_resources import (
    CustomResourceCreator,
    CustomResourceFailed,
    ResponseInbox,
    creation_order,
    resource_properties,
)
from infra.local_runtime.functions import Invocation
from infra.local_runtime.stack import Stack
from infra.local_runtime.template import Template, TemplateError
from tests.runtime_http import Api

FIXTURES = Path(__file__).with_name("fixtures")
TEMPLATE = FIXTURES / "custom_resources.yaml"
GOLDEN_CREATE_REQUEST = FIXTURES / "cloudformation_create_request.json"
RESPONSES_URL = "http://127.0.0.1:1/cloudformation-responses/"


def stack(tmp_path: Path, template: Path = TEMPLATE) -> Stack:
    return Stack(Template(template), parameter_overrides={"MarkerDir": str(tmp_path)})


def provider(
    inbox: ResponseInbox, answer: dict[str, Any] | None = None, error: bool = False
) -> tuple[list[dict[str, Any]], Any]:
    """A stand-in for the function: it keeps each event and PUTs `answer`, filled in from it."""
    events: list[dict[str, Any]] = []

    def invoke(function_id: str, event: dict[str, Any], trigger: str) -> Invocation:
        events.append(event)
        if answer is not None:
            echoed = {k: event[k] for k in ("StackId", "RequestId", "LogicalResourceId")}
            body = json.dumps({**echoed, **answer}).encode()
            inbox.deliver(event["ResponseURL"].rsplit("/", 1)[1], body)
        failure = {"errorType": "RuntimeError", "errorMessage": "boom"} if error else None
        return Invocation(function_id, "r-1", None, failure, 1.0, False)

    return events, invoke


def create(
    tmp_path: Path, answer: dict[str, Any] | None, error: bool = False
) -> tuple[list[dict[str, Any]], Any]:
    inbox = ResponseInbox()
    events, invoke = provider(inbox, answer, error)
    creator = CustomResourceCreator(stack(tmp_path), invoke, inbox, RESPONSES_URL)
    return events, creator.create("PilotMalls", "ProviderFunction", timeout=0.1)


SUCCESS = {"Status": "SUCCESS", "PhysicalResourceId": "malls-1", "Data": {"MallCount": 3}}


# ------------------------------------------------------------------ the request and response
def test_the_create_request_has_the_golden_events_fields_and_the_service_token(
    tmp_path: Path,
) -> None:
    golden = json.loads(GOLDEN_CREATE_REQUEST.read_text())

    [event], _ = create(tmp_path, SUCCESS)

    # sam local generate-event leaves ServiceToken out; CloudFormation sends it to Lambda.
    assert set(event) == set(golden) | {"ServiceToken"}
    assert event["RequestType"] == "Create"
    assert event["ResourceType"] == "Custom::PilotMalls"
    assert event["LogicalResourceId"] == "PilotMalls"
    assert event["StackId"] == "arn:aws:cloudformation:us-east-1:123456789012:stack/flexfleet/local"
    assert event["ResponseURL"] == RESPONSES_URL + event["RequestId"]
    arn = "arn:aws:lambda:us-east-1:123456789012:function:flexfleet-ProviderFunction"
    assert event["ServiceToken"] == event["ResourceProperties"]["ServiceToken"] == arn


def test_resource_properties_are_resolved_with_numbers_and_booleans_made_strings(
    tmp_path: Path,
) -> None:
    [event], _ = create(tmp_path, SUCCESS)

    properties = event["ResourceProperties"]
    assert properties["Marker"] == f"{tmp_path}/PilotMalls.json"
    assert properties["Region"] == "us-east-1"
    assert (properties["Version"], properties["Count"], properties["Enabled"]) == ("1", "3", "true")
    assert properties["Malls"] == ["north", "7"]
    assert resource_properties({"a": [1.5, False, None]}) == {"a": ["1.5", "false", None]}


def test_a_success_gives_the_physical_id_and_data(tmp_path: Path) -> None:
    _, created = create(tmp_path, SUCCESS)

    assert (created.physical_id, created.data) == ("malls-1", {"MallCount": 3})


def test_a_failed_response_fails_with_its_reason_in_cloudformations_words(tmp_path: Path) -> None:
    with pytest.raises(CustomResourceFailed) as failed:
        create(tmp_path, {"Status": "FAILED", "Reason": "no catalogue", "PhysicalResourceId": "x"})

    assert str(failed.value) == (
        "custom resource PilotMalls (Custom::PilotMalls) failed: Received response status "
        "[FAILED] from custom resource. Message returned: no catalogue"
    )


def test_no_response_fails_after_the_functions_timeout_and_the_margin(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(custom_resources, "RESPONSE_MARGIN_SECONDS", 0.2)
    started = time.monotonic()

    with pytest.raises(CustomResourceFailed, match="sent no response within 0.3 seconds"):
        create(tmp_path, None)

    assert 0.25 < time.monotonic() - started < 5


def test_a_function_error_without_a_response_fails_at_once_with_the_error(tmp_path: Path) -> None:
    with pytest.raises(
        CustomResourceFailed, match="failed before it sent a response: RuntimeError"
    ):
        create(tmp_path, None, error=True)


def test_a_response_sent_before_a_function_error_still_counts_as_cloudformation_sees_only_it(
    tmp_path: Path,
) -> None:
    _, created = create(tmp_path, SUCCESS, error=True)

    assert created.physical_id == "malls-1"


@pytest.mark.parametrize(
    ("answer", "reason"),
    [
        ({"Status": "DONE"}, "Status is 'DONE', not SUCCESS or FAILED"),
        ({**SUCCESS, "RequestId": "another"}, "RequestId is 'another'"),
        ({**SUCCESS, "PhysicalResourceId": ""}, "no PhysicalResourceId"),
        ({**SUCCESS, "Data": ["x"]}, "Data is not a JSON object"),
        ({**SUCCESS, "Data": {"x": "y" * 4096}}, "Response object is too long"),
    ],
)
def test_a_response_cloudformation_would_refuse_fails(
    tmp_path: Path, answer: dict[str, Any], reason: str
) -> None:
    with pytest.raises(CustomResourceFailed, match=reason):
        create(tmp_path, answer)


def test_a_response_nobody_waits_for_is_not_delivered() -> None:
    assert ResponseInbox().deliver("unknown", b"{}") is False


# ------------------------------------------------------------------------------------- order
def test_custom_resources_are_created_after_those_they_depend_on_or_reference(
    tmp_path: Path,
) -> None:
    resources = stack(tmp_path)

    assert creation_order(resources.template, resources) == ["PilotMalls", "Catalogue"]


def test_custom_resources_that_depend_on_each_other_are_refused(tmp_path: Path) -> None:
    circular = tmp_path / "circular.yaml"
    circular.write_text(
        TEMPLATE.read_text().replace(
            '      Version: "1"\n', "      Version: !GetAtt Catalogue.Version\n"
        )
    )
    resources = stack(tmp_path, circular)

    with pytest.raises(TemplateError, match="depend on each other: Catalogue, PilotMalls"):
        creation_order(resources.template, resources)


# ----------------------------------------------------------------------- through the runtime
def runtime_of(tmp_path: Path, handler: str, log: IO[str]) -> RuntimeProcess:
    """The template's runtime, with `handler` as the provider and markers under tmp_path."""
    markers = tmp_path / "markers"
    markers.mkdir()
    return RuntimeProcess(
        TEMPLATE,
        tmp_path,
        log=log,
        extra_args=(
            "--parameter",
            f"MarkerDir={markers}",
            "--parameter",
            f"ProviderHandler=custom_resource_probes.{handler}",
        ),
        startup_timeout=30,
    )


def marker(tmp_path: Path, logical_id: str) -> dict[str, Any]:
    result: dict[str, Any] = json.loads((tmp_path / "markers" / f"{logical_id}.json").read_text())
    return result


@pytest.fixture(scope="module")
def seeded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Api, Path]]:
    """A runtime whose custom resources answered SUCCESS."""
    tmp_path = tmp_path_factory.mktemp("seeded")
    log_path = tmp_path / "runtime.log"
    with log_path.open("w") as log, runtime_of(tmp_path, "succeed", log) as runtime:
        yield Api(runtime.api_url, runtime.client, runtime.aws_endpoint, log_path), tmp_path


@pytest.mark.e2e
def test_a_custom_resource_that_answers_success_ran_before_the_runtime_was_ready(
    seeded: tuple[Api, Path],
) -> None:
    api, tmp_path = seeded

    event = marker(tmp_path, "PilotMalls")["event"]

    control = api.runtime.control_url
    assert event["ResponseURL"] == f"{control}/cloudformation-responses/{event['RequestId']}"
    assert event["ResourceProperties"]["Count"] == "3"
    assert {"logicalId": "PilotMalls", "type": "Custom::PilotMalls"}.items() <= next(
        c for c in api.runtime.status()["customResources"] if c["logicalId"] == "PilotMalls"
    ).items()


@pytest.mark.e2e
def test_a_later_custom_resource_the_outputs_and_a_function_read_the_data_of_an_earlier_one(
    seeded: tuple[Api, Path],
) -> None:
    api, tmp_path = seeded

    catalogue = marker(tmp_path, "Catalogue")["event"]["ResourceProperties"]
    read = api.request("GET", "/read").json

    assert catalogue["MallCount"] == "3"
    assert api.runtime.status()["outputs"] == {
        "MallCount": "3",
        "PilotMalls": "PilotMalls-physical",
    }
    assert read == {"MALL_COUNT": "3", "PILOT_MALLS": "PilotMalls-physical"}


@pytest.mark.e2e
def test_the_runtime_says_which_custom_resource_it_creates_before_its_banner(
    seeded: tuple[Api, Path],
) -> None:
    api, _ = seeded
    lines = api.log_path.read_text().splitlines()
    banner = next(i for i, line in enumerate(lines) if line.startswith("HTTP API "))

    progress = " / ".join(lines[:banner])

    malls = "creating custom resource PilotMalls (Custom::PilotMalls) with ProviderFunction"
    catalogue = "creating custom resource Catalogue (AWS::CloudFormation::CustomResource)"
    assert malls in progress and catalogue in progress
    assert progress.index(malls) < progress.index(catalogue)
    assert "custom        PilotMalls (Custom::PilotMalls) = PilotMalls-physical" in lines


@pytest.mark.e2e
@pytest.mark.parametrize(
    ("handler", "reason"),
    [
        (
            "refuse",
            "custom resource PilotMalls (Custom::PilotMalls) failed: Received response status "
            "[FAILED] from custom resource. Message returned: the pilot malls cannot be seeded: "
            "no catalogue",
        ),
        (
            "forget",
            "custom resource PilotMalls (Custom::PilotMalls) failed: ProviderFunction sent no "
            "response within 3 seconds (its Timeout plus 2)",
        ),
        (
            "crash",
            "custom resource PilotMalls (Custom::PilotMalls) failed: ProviderFunction failed "
            "before it sent a response: RuntimeError: the provider crashed on purpose",
        ),
    ],
)
def test_a_custom_resource_that_fails_stops_the_start_with_its_reason(
    tmp_path: Path, handler: str, reason: str
) -> None:
    with (tmp_path / "runtime.log").open("w") as log:
        runtime = runtime_of(tmp_path, handler, log)

        with pytest.raises(RuntimeError, match="exited with 1"):
            runtime.start()

    text = (tmp_path / "runtime.log").read_text()
    assert f"cannot start the local runtime: {reason}" in text
    assert "CustomResourceFailed" not in text  # said, not thrown as a traceback
    assert "HTTP API " not in text  # no banner
    assert not (tmp_path / "runtime.json").exists()
    assert not (tmp_path / "markers" / "Catalogue.json").exists()  # nothing after it ran
    provider_pid = marker(tmp_path, "PilotMalls")["pid"]
    assert not Path(f"/proc/{provider_pid}").exists()  # its sandbox was stopped


@pytest.mark.e2e
def test_a_response_put_for_no_pending_request_answers_404(seeded: tuple[Api, Path]) -> None:
    api, _ = seeded
    request = urllib.request.Request(
        api.runtime.control_url + "/cloudformation-responses/unknown", data=b"{}", method="PUT"
    )

    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(request, timeout=5)  # noqa: S310 - loopback

    assert refused.value.code == 404
