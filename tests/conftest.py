"""Fixtures shared by every layer of the test pyramid."""

from __future__ import annotations

import os
from collections.abc import Iterator

import boto3
import pytest
from hypothesis import HealthCheck, settings
from moto import mock_aws

from infra.local_runtime.resources import create_queues, create_tables
from infra.local_runtime.stack import Stack
from infra.local_runtime.template import Template
from tests import TEMPLATE
from tests.runtime_http import Api, start_runtime

# CI machines are shared and noisy: a property test is judged on what it finds, not on time.
settings.register_profile("flexfleet", deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("flexfleet")


# Handlers read the template's global environment (Powertools' service and namespace) at
# import, as in Lambda; tests import them with the same values, taken from the template.
_template = Template(TEMPLATE)
_globals = _template.globals.get("Function", {}).get("Environment", {}).get("Variables", {})
for _name, _value in Stack(_template).resolve(_globals).items():
    os.environ.setdefault(_name, str(_value))


@pytest.fixture(autouse=True)
def _no_real_aws(monkeypatch: pytest.MonkeyPatch) -> None:
    """No test may reach AWS or read the developer's credentials."""
    for name in list(os.environ):
        if name.startswith("AWS_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.setenv("AWS_CONFIG_FILE", os.devnull)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", os.devnull)


@pytest.fixture(scope="session")
def template() -> Template:
    return Template(TEMPLATE)


@pytest.fixture
def stack(template: Template) -> Iterator[Stack]:
    yield Stack(template)


@pytest.fixture
def aws(stack: Stack) -> Iterator[Stack]:
    """moto with every table and queue of the template created; yields the stack that names them."""
    with mock_aws():
        create_tables(stack, boto3.client("dynamodb"))
        create_queues(stack, boto3.client("sqs"))
        yield stack


@pytest.fixture(scope="session")
def app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Api]:
    """template.yaml running in the local runtime, as `make run` starts it, once for the session."""
    state = tmp_path_factory.mktemp("app")
    yield from start_runtime(TEMPLATE, state, state / "runtime.log")
