"""Integration tests run against moto in-process, with the tables template.yaml declares."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws

from infra.local_runtime.resources import create_queues, create_tables
from infra.local_runtime.stack import Stack


@pytest.fixture
def aws(stack: Stack) -> Iterator[Stack]:
    """moto with every table and queue of the template created; yields the stack that names them."""
    with mock_aws():
        create_tables(stack, boto3.client("dynamodb"))
        create_queues(stack, boto3.client("sqs"))
        yield stack


@pytest.fixture
def dynamodb(aws: Stack) -> Any:
    return boto3.resource("dynamodb")
