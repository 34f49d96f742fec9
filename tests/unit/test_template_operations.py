"""What template.yaml promises operations: log levels, alarms, a dashboard, retention, SnapStart.

These read the template (and the Makefile, .checkov.yaml and samconfig.toml beside it), so
that a change which would quietly stop an alarm, a log level or a snapshot fails here
rather than in production.
"""

from __future__ import annotations

import json
import os
import shlex
import shutil
import subprocess
import tomllib
from pathlib import Path
from typing import Any

import pytest
import yaml

from flexfleet.metrics import Metric
from infra.local_runtime.stack import Stack
from infra.local_runtime.template import Template
from tests import ROOT

# Lambda's application log levels (LoggingConfig.ApplicationLogLevel).
LAMBDA_LOG_LEVELS = {"TRACE", "DEBUG", "INFO", "WARN", "ERROR", "FATAL"}
# The HTTP API functions that do work, where a cold start is felt by a person waiting.
SNAPSTART_FUNCTIONS = {
    "DeliveriesApiFunction",
    "RatingsApiFunction",
    "DisputesApiFunction",
    "StandingApiFunction",
    "CatalogueApiFunction",
    "BlocksApiFunction",
    "OrdersApiFunction",
    "InstantOffersApiFunction",
}
STREAM_EVENT_TYPES = {"DynamoDB", "Kinesis"}
# What the code counts with Powertools' Metrics (namespace FlexFleet, dimension service).
APPLICATION_METRICS = {metric.value for metric in Metric}


def _alarms(template: Template) -> dict[str, dict[str, Any]]:
    return {
        logical_id: template.properties(logical_id)
        for logical_id in template.of_type("AWS::CloudWatch::Alarm")
    }


def _alarms_on(
    template: Template, namespace: str, metric: str, dimensions: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    return [
        alarm
        for alarm in _alarms(template).values()
        if alarm["Namespace"] == namespace
        and alarm["MetricName"] == metric
        and alarm["Dimensions"] == dimensions
    ]


# ------------------------------------------------------------------ log level (13)
def test_the_log_level_parameter_offers_only_lambdas_application_log_levels(
    template: Template,
) -> None:
    parameter = template.parameters["LogLevel"]

    assert set(parameter["AllowedValues"]) <= LAMBDA_LOG_LEVELS
    assert parameter["Default"] in parameter["AllowedValues"]


def test_every_function_logs_json_at_the_log_level_parameter(template: Template) -> None:
    for function in template.functions:
        logging_config = function.properties["LoggingConfig"]
        assert logging_config["LogFormat"] == "JSON", function.logical_id
        assert logging_config["ApplicationLogLevel"] == {"Ref": "LogLevel"}, function.logical_id


def test_no_function_sets_a_powertools_log_level_that_lambdas_would_override(
    template: Template,
) -> None:
    for function in template.functions:
        variables = (function.properties.get("Environment") or {}).get("Variables") or {}
        assert "POWERTOOLS_LOG_LEVEL" not in variables, function.logical_id


def test_the_deploy_configuration_asks_for_an_allowed_log_level(template: Template) -> None:
    config = tomllib.loads((ROOT / "infra" / "samconfig.toml").read_text(encoding="utf-8"))
    overrides = dict(
        item.split("=", 1)
        for item in shlex.split(config["default"]["deploy"]["parameters"]["parameter_overrides"])
    )

    assert overrides["LogLevel"] in template.parameters["LogLevel"]["AllowedValues"]


# -------------------------------------------------------------------- alarms (14)
def test_every_function_has_an_alarm_on_its_errors_and_one_on_its_throttles(
    template: Template,
) -> None:
    for function in template.functions:
        dimensions = [{"Name": "FunctionName", "Value": {"Ref": function.logical_id}}]
        for metric in ("Errors", "Throttles"):
            alarms = _alarms_on(template, "AWS/Lambda", metric, dimensions)
            assert len(alarms) == 1, (function.logical_id, metric)
            assert alarms[0]["Statistic"] == "Sum"
            assert alarms[0]["Threshold"] == 1
            assert alarms[0]["ComparisonOperator"] == "GreaterThanOrEqualToThreshold"


def test_every_stream_triggered_function_has_an_alarm_on_its_iterator_age(
    template: Template,
) -> None:
    stream_functions = {event.function_id for event in template.event_sources(*STREAM_EVENT_TYPES)}
    assert stream_functions

    for logical_id in stream_functions:
        dimensions = [{"Name": "FunctionName", "Value": {"Ref": logical_id}}]
        (alarm,) = _alarms_on(template, "AWS/Lambda", "IteratorAge", dimensions)
        assert alarm["Statistic"] == "Maximum"
        assert alarm["Threshold"] == 60_000
        assert alarm["Period"] * alarm["EvaluationPeriods"] >= 180


def test_every_failure_queue_has_an_alarm_on_its_first_visible_message(
    template: Template,
) -> None:
    queues = template.of_type("AWS::SQS::Queue")
    assert queues

    for logical_id in queues:
        dimensions = [{"Name": "QueueName", "Value": {"Fn::GetAtt": [logical_id, "QueueName"]}}]
        (alarm,) = _alarms_on(template, "AWS/SQS", "ApproximateNumberOfMessagesVisible", dimensions)
        assert alarm["Threshold"] == 1
        assert alarm["ComparisonOperator"] == "GreaterThanOrEqualToThreshold"


def test_the_http_api_has_5xx_and_p99_latency_alarms_on_its_api_id_alone(
    template: Template,
) -> None:
    # A metric alarm matches one published dimension set exactly: HTTP APIs publish ApiId alone.
    dimensions = [{"Name": "ApiId", "Value": {"Ref": "HttpApi"}}]

    (errors,) = _alarms_on(template, "AWS/ApiGateway", "5xx", dimensions)
    (latency,) = _alarms_on(template, "AWS/ApiGateway", "Latency", dimensions)

    assert errors["Statistic"] == "Sum"
    assert latency["ExtendedStatistic"] == "p99"
    assert "Statistic" not in latency


def test_every_alarm_tells_the_topic_when_it_fires_and_when_it_clears(
    template: Template,
) -> None:
    alarms = _alarms(template)
    assert alarms

    for logical_id, alarm in alarms.items():
        assert alarm["AlarmActions"] == [{"Ref": "AlarmTopic"}], logical_id
        assert alarm["OKActions"] == [{"Ref": "AlarmTopic"}], logical_id
        assert alarm["TreatMissingData"] == "notBreaching", logical_id


def test_the_alarm_topic_is_encrypted_with_a_key_that_cloudwatch_alarms_may_use(
    template: Template,
) -> None:
    # CloudWatch cannot publish to a topic under the AWS managed aws/sns key: its policy,
    # which nobody can edit, does not grant CloudWatch the key. The topic needs its own.
    key_ref = template.properties("AlarmTopic")["KmsMasterKeyId"]
    key = template.resources[key_ref["Ref"]]
    statements = key["Properties"]["KeyPolicy"]["Statement"]

    assert key["Type"] == "AWS::KMS::Key"
    assert key["Properties"]["EnableKeyRotation"] is True
    assert any(
        statement["Effect"] == "Allow"
        and statement["Principal"] == {"Service": "cloudwatch.amazonaws.com"}
        and {"kms:Decrypt", "kms:GenerateDataKey*"} <= set(statement["Action"])
        for statement in statements
    )


def test_the_alarm_email_is_subscribed_only_when_one_is_given(template: Template) -> None:
    subscription = template.resources["AlarmEmailSubscription"]

    assert subscription["Properties"]["TopicArn"] == {"Ref": "AlarmTopic"}
    assert subscription["Properties"]["Endpoint"] == {"Ref": "AlarmEmail"}
    assert not Stack(template).is_active("AlarmEmailSubscription")
    assert Stack(template, parameter_overrides={"AlarmEmail": "ops@example.com"}).is_active(
        "AlarmEmailSubscription"
    )


def _dashboard_metrics(stack: Stack) -> list[tuple[Any, ...]]:
    (logical_id,) = stack.template.of_type("AWS::CloudWatch::Dashboard")
    body = json.loads(stack.resolve(stack.template.properties(logical_id)["DashboardBody"]))
    metrics = []
    for widget in body["widgets"]:
        default_stat = widget["properties"].get("stat")
        for metric in widget["properties"]["metrics"]:
            options = metric[-1] if isinstance(metric[-1], dict) else {}
            names = tuple(m for m in metric if not isinstance(m, dict))
            metrics.append((*names, options.get("stat", default_stat)))
    return metrics


def test_the_dashboard_shows_the_api_every_function_the_stream_and_the_failure_queues(
    stack: Stack,
) -> None:
    metrics = _dashboard_metrics(stack)
    api = stack.ref("HttpApi")

    for name, stat in [("Count", "Sum"), ("5xx", "Sum"), ("Latency", "p50"), ("Latency", "p99")]:
        assert ("AWS/ApiGateway", name, "ApiId", api, stat) in metrics
    for function in stack.template.functions:
        name = stack.function_name(function.logical_id)
        for metric in ("Errors", "Throttles", "Duration"):
            assert any(m[:4] == ("AWS/Lambda", metric, "FunctionName", name) for m in metrics)
    for event in stack.template.event_sources(*STREAM_EVENT_TYPES):
        name = stack.function_name(event.function_id)
        assert ("AWS/Lambda", "IteratorAge", "FunctionName", name, "Maximum") in metrics
    for queue in stack.template.of_type("AWS::SQS::Queue"):
        queue_name = stack.get_att(queue, "QueueName")
        assert any(
            m[:4] == ("AWS/SQS", "ApproximateNumberOfMessagesVisible", "QueueName", queue_name)
            for m in metrics
        )


def test_the_dashboard_shows_every_application_metric_of_the_flexfleet_service(
    stack: Stack,
) -> None:
    metrics = _dashboard_metrics(stack)

    for name in APPLICATION_METRICS:
        assert ("FlexFleet", name, "service", "flexfleet", "Sum") in metrics


def test_the_outputs_give_the_operations_dashboard_url_and_the_alarm_topic(stack: Stack) -> None:
    outputs = stack.template.outputs
    url = stack.resolve(outputs["OperationsDashboardUrl"]["Value"])

    assert outputs["AlarmTopicArn"]["Value"] == {"Ref": "AlarmTopic"}
    assert url.startswith("https://us-east-1.console.aws.amazon.com/cloudwatch/")
    assert url.endswith(stack.ref("OperationsDashboard"))


# ----------------------------------------------------------------- user pool (16)
def test_the_user_pool_outlives_the_stack_and_refuses_deletion(template: Template) -> None:
    pool = template.resources["UserPool"]

    assert pool["DeletionPolicy"] == "Retain"
    assert pool["UpdateReplacePolicy"] == "Retain"
    assert pool["Properties"]["DeletionProtection"] == "ACTIVE"


# -------------------------------------------------------------------- deploy (17)
@pytest.fixture
def no_tools_env(tmp_path: Path) -> tuple[dict[str, str], Path]:
    """An environment where sam cannot be reached and uv is a stub that records its calls.

    The stub answers `uv export` with the committed requirements (the solver group's for the
    solver layer), so requirements-check passes and only the python3.13 rule decides.
    Credentials are dummies: nothing may reach AWS.
    """
    calls = tmp_path / "uv-calls.log"
    stub = tmp_path / "uv"
    stub.write_text(
        "#!/bin/sh\n"
        f'echo "$*" >> "{calls}"\n'
        'if [ "$1" = export ]; then case "$*" in\n'
        f'  *"--only-group solver"*) cat "{ROOT / "layers" / "solver" / "requirements.txt"}" ;;\n'
        f'  *) cat "{ROOT / "shared" / "requirements.txt"}" ;;\n'
        "esac; fi\n",
        encoding="utf-8",
    )
    stub.chmod(0o755)
    tool_dirs = {
        str(Path(shutil.which(tool) or f"/usr/bin/{tool}").parent) for tool in ("make", "bash")
    }
    path = os.pathsep.join([*sorted(tool_dirs), "/usr/bin", "/bin"])
    assert shutil.which("sam", path=path) is None
    env = {
        "PATH": path,
        "HOME": str(tmp_path),
        "UV_STUB": str(stub),
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SESSION_TOKEN": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_CONFIG_FILE": os.devnull,
        "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
        "SAM_CLI_TELEMETRY": "0",
    }
    return env, calls


def _make(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["make", "--no-print-directory", "-C", str(ROOT), *args, "PY313=", f"UV={env['UV_STUB']}"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_make_deploy_without_python313_refuses_and_deploys_nothing(
    no_tools_env: tuple[dict[str, str], Path],
) -> None:
    env, calls = no_tools_env

    result = _make(env, "deploy")

    assert result.returncode != 0
    assert "make deploy: refused" in result.stderr
    assert "python3.13" in result.stderr
    assert not calls.exists() or "deploy" not in calls.read_text(encoding="utf-8")


def test_make_sam_build_without_python313_still_skips_for_make_test(
    no_tools_env: tuple[dict[str, str], Path],
) -> None:
    env, _ = no_tools_env

    result = _make(env, "sam-build")

    assert result.returncode == 0, result.stderr
    assert "SKIPPED: sam build" in result.stdout


# ------------------------------------------------------------------- checkov (18)
def test_checkov_settings_skip_no_check_for_the_whole_template() -> None:
    settings = yaml.safe_load((ROOT / ".checkov.yaml").read_text(encoding="utf-8"))

    assert "skip-check" not in settings
    assert "check" not in settings


def test_every_checkov_skip_in_the_template_names_a_check_and_says_why(
    template: Template,
) -> None:
    skips = [
        (logical_id, skip)
        for logical_id, resource in template.resources.items()
        for skip in ((resource.get("Metadata") or {}).get("checkov") or {}).get("skip", [])
    ]
    assert skips

    for logical_id, skip in skips:
        assert skip["id"].startswith("CKV_"), logical_id
        assert len(skip["comment"].split()) >= 5, (logical_id, skip["id"])


# ------------------------------------------------------------------ SnapStart (19)
def test_the_working_api_functions_restore_from_snapstart_behind_a_live_alias(
    template: Template,
) -> None:
    for logical_id in SNAPSTART_FUNCTIONS:
        properties = template.function(logical_id).properties
        assert properties["SnapStart"] == {"ApplyOn": "PublishedVersions"}, logical_id
        assert properties["AutoPublishAlias"] == "live", logical_id
        assert any(event.type == "HttpApi" for event in template.function(logical_id).events)


def test_a_replaced_snapstart_version_is_deleted_so_its_snapshot_stops_costing(
    template: Template,
) -> None:
    for logical_id in SNAPSTART_FUNCTIONS:
        assert template.function(logical_id).properties["VersionDeletionPolicy"] == "Delete"


def test_a_new_shared_layer_publishes_new_versions_of_the_snapstart_functions(
    template: Template,
) -> None:
    # PublishLambdaVersion counts only for functions that hash all their properties.
    assert template.properties("SharedLayer")["PublishLambdaVersion"] is True
    for logical_id in SNAPSTART_FUNCTIONS:
        properties = template.function(logical_id).properties
        assert properties["AutoPublishAliasAllProperties"] is True, logical_id
        assert {"Ref": "SharedLayer"} in properties["Layers"], logical_id


def test_a_new_log_level_publishes_new_versions_of_the_snapstart_functions(
    template: Template,
) -> None:
    # A version keeps its log level, and SAM's version hash ignores parameter values; a
    # version's Description cannot be updated in place, so naming the level replaces it.
    for logical_id in SNAPSTART_FUNCTIONS:
        description = template.function(logical_id).properties["VersionDescription"]
        assert "${LogLevel}" in description["Fn::Sub"], logical_id


def test_the_snapstart_functions_use_nothing_snapstart_does_not_support(
    template: Template,
) -> None:
    for logical_id in SNAPSTART_FUNCTIONS:
        properties = template.function(logical_id).properties
        major, minor = properties["Runtime"].removeprefix("python").split(".")
        assert (int(major), int(minor)) >= (3, 12), logical_id
        assert "ProvisionedConcurrencyConfig" not in properties, logical_id
        assert "FileSystemConfigs" not in properties, logical_id
        assert properties.get("EphemeralStorage", {}).get("Size", 512) <= 512, logical_id


def test_the_other_functions_publish_no_snapshot_that_would_cost_without_a_user_waiting(
    template: Template,
) -> None:
    for function in template.functions:
        if function.logical_id not in SNAPSTART_FUNCTIONS:
            assert "SnapStart" not in function.properties, function.logical_id
            assert "AutoPublishAlias" not in function.properties, function.logical_id
