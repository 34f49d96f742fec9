"""What template.yaml promises operations: log levels, alarms, a dashboard, retention, SnapStart.

These read the template (and the Makefile, .checkov.yaml and samconfig.toml beside it), so
that a change which would quietly stop an alarm, a log level or a snapshot fails here
rather than in production.
"""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import tomllib
from pathlib import Path

import pytest
import yaml

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
}


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

    The stub answers `uv export` with the committed requirements, so requirements-check
    passes and only the python3.13 rule decides. Credentials are dummies: nothing may reach AWS.
    """
    calls = tmp_path / "uv-calls.log"
    stub = tmp_path / "uv"
    stub.write_text(
        "#!/bin/sh\n"
        f'echo "$*" >> "{calls}"\n'
        f'if [ "$1" = export ]; then cat "{ROOT / "shared" / "requirements.txt"}"; fi\n',
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
