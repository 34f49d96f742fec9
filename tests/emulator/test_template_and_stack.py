"""The runtime reads template.yaml itself: tags, Globals and intrinsics resolve as SAM's would."""

from __future__ import annotations

from pathlib import Path

import pytest

from infra.local_runtime.stack import Stack
from infra.local_runtime.streams import StreamMapping
from infra.local_runtime.template import (
    EventSource,
    Template,
    TemplateError,
    as_bool,
    merge_globals,
)
from tests.emulator.conftest import REALTIME_TEMPLATE


def test_globals_merge_maps_add_lists_and_override_scalars() -> None:
    merged = merge_globals(
        {"Timeout": 10, "Layers": ["a"], "Environment": {"Variables": {"A": "1", "B": "2"}}},
        {"Timeout": 3, "Layers": ["b"], "Environment": {"Variables": {"B": "3"}}},
    )

    assert merged == {
        "Timeout": 3,
        "Layers": ["a", "b"],
        "Environment": {"Variables": {"A": "1", "B": "3"}},
    }


def test_an_intrinsic_in_a_function_overrides_the_global_instead_of_merging() -> None:
    assert merge_globals({"Ref": "A"}, {"Fn::Sub": "x"}) == {"Fn::Sub": "x"}


def test_every_function_gets_the_global_runtime_layer_and_environment(template: Template) -> None:
    for function in template.functions:
        assert function.properties["Runtime"] == "python3.13"
        assert function.properties["Architectures"] == ["arm64"]
        assert {"Ref": "SharedLayer"} in function.properties["Layers"]
        assert "POWERTOOLS_SERVICE_NAME" in function.properties["Environment"]["Variables"]


def test_a_function_keeps_its_own_timeout_over_the_global(template: Template) -> None:
    health = next(f for f in template.functions if f.logical_id == "HealthFunction")

    assert health.timeout == 3


def test_refs_and_getatts_resolve_to_local_names_and_arns(stack: Stack) -> None:
    resolved = stack.resolve(
        {
            "table": {"Ref": "RatingsTable"},
            "arn": {"Fn::GetAtt": ["RatingsTable", "Arn"]},
            "issuer": {"Fn::Sub": "https://cognito-idp.${AWS::Region}.amazonaws.com/${UserPool}"},
            "joined": {"Fn::Join": ["-", [{"Ref": "AWS::StackName"}, "x"]]},
            "gone": {"Ref": "AWS::NoValue"},
            "topic": {"Ref": "AlarmTopic"},
        }
    )

    assert resolved == {
        "table": "flexfleet-RatingsTable",
        "topic": "arn:aws:sns:us-east-1:123456789012:flexfleet-AlarmTopic",
        "arn": "arn:aws:dynamodb:us-east-1:123456789012:table/flexfleet-RatingsTable",
        "issuer": "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_UserPool",
        "joined": "flexfleet-x",
    }


def test_a_parameter_resolves_to_its_default_or_its_override(template: Template) -> None:
    assert Stack(template).resolve({"Ref": "LogLevel"}) == "INFO"
    assert (
        Stack(template, parameter_overrides={"LogLevel": "DEBUG"}).resolve({"Ref": "LogLevel"})
        == "DEBUG"
    )


def test_the_short_form_tags_read_as_long_forms(tmp_path: Path) -> None:
    path = tmp_path / "t.yaml"
    path.write_text(
        "Resources:\n  T:\n    Type: AWS::DynamoDB::Table\n    Properties:\n"
        "      A: !GetAtt X.StreamArn\n      B: !Sub '${AWS::Region}'\n      C: !Ref Y\n"
    )

    props = Template(path).properties("T")

    assert props == {
        "A": {"Fn::GetAtt": ["X", "StreamArn"]},
        "B": {"Fn::Sub": "${AWS::Region}"},
        "C": {"Ref": "Y"},
    }


def test_an_unsupported_intrinsic_is_a_clear_error(stack: Stack) -> None:
    with pytest.raises(TemplateError, match="Fn::ImportValue"):
        stack.resolve({"Fn::ImportValue": "elsewhere"})


@pytest.mark.parametrize(
    ("value", "expected"),
    [(True, True), ("true", True), ("True", True), (False, False), ("false", False), ("no", False)],
)
def test_cloudformation_booleans_may_be_strings(value: object, expected: bool) -> None:
    assert as_bool(value) is expected


def test_a_stream_setting_the_runtime_cannot_honour_is_refused(stack: Stack) -> None:
    event = stack.template.event_sources("DynamoDB")[0]
    filtered = EventSource(
        event.function_id, event.name, event.type, {**event.properties, "FilterCriteria": {}}
    )

    with pytest.raises(TemplateError, match="FilterCriteria"):
        StreamMapping.from_event(stack, filtered)


def test_a_resource_whose_condition_is_false_is_not_created(tmp_path: Path) -> None:
    path = tmp_path / "t.yaml"
    path.write_text(
        "Parameters:\n  Env:\n    Type: String\n    Default: dev\n"
        "Conditions:\n  IsProd: !Equals [!Ref Env, prod]\n"
        "Resources:\n  Q:\n    Type: AWS::SQS::Queue\n    Condition: IsProd\n"
        "  R:\n    Type: AWS::SQS::Queue\n"
    )
    stack = Stack(Template(path))

    assert (stack.is_active("Q"), stack.is_active("R")) == (False, True)
    assert Stack(Template(path), parameter_overrides={"Env": "prod"}).is_active("Q")


def test_the_websocket_endpoint_and_provider_url_resolve_as_aws_gives_them_unless_running() -> None:
    stack = Stack(Template(REALTIME_TEMPLATE))
    endpoint = {"Fn::Sub": "${WebSocketApi.ApiEndpoint}/${WebSocketStage}"}

    assert stack.resolve(endpoint) == (
        "wss://flexfleet-WebSocketApi.execute-api.us-east-1.amazonaws.com/live"
    )
    assert stack.get_att("UserPool", "ProviderURL") == (
        "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_UserPool"
    )
    assert stack.ref("UserPoolDomain") == "flexfleet-probes"
    assert stack.ref("DashboardBucket") == "flexfleet-dashboardbucket"

    stack.attributes[("WebSocketApi", "ApiEndpoint")] = "ws://127.0.0.1:3001"
    assert stack.resolve(endpoint) == "ws://127.0.0.1:3001/live"
