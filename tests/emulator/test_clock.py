"""The runtime's clock as the functions and the authorizer see it once a test moves it."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from infra.local_runtime.runtime import Clock
from tests import ROOT
from tests.emulator.conftest import FIXTURE_TEMPLATE
from tests.runtime_http import Api, start_runtime

pytestmark = pytest.mark.e2e

HOUR = 3600


@pytest.fixture(scope="module")
def state_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("clock")


@pytest.fixture(scope="module")
def clocked(state_dir: Path) -> Iterator[Api]:
    """A runtime of its own: hours of moves would age the shared runtime's stream records."""
    yield from start_runtime(FIXTURE_TEMPLATE, state_dir, state_dir / "runtime.log")


def published_offset(state_dir: Path) -> float:
    return float(json.loads((state_dir / "clock.json").read_text())["offsetSeconds"])


def test_the_clock_file_exists_from_start_with_an_offset_of_zero(
    clocked: Api, state_dir: Path
) -> None:
    assert json.loads((state_dir / "clock.json").read_text()) == {"offsetSeconds": 0.0}


def test_every_function_is_told_the_absolute_path_of_the_clock_file(
    clocked: Api, state_dir: Path
) -> None:
    expected = str((state_dir / "clock.json").resolve())

    for path in ("/context", "/aliased/context"):
        assert clocked.request("GET", path).json["env"]["LOCAL_RUNTIME_CLOCK_FILE"] == expected


def test_a_move_is_in_the_clock_file_by_the_time_the_control_endpoint_answers(
    clocked: Api, state_dir: Path
) -> None:
    before = published_offset(state_dir)

    clocked.runtime.advance_clock(90)

    assert published_offset(state_dir) == before + 90


def test_a_warm_function_reads_the_moved_offset_on_its_next_invocation(clocked: Api) -> None:
    before = clocked.request("GET", "/clock-file").json["contents"]["offsetSeconds"]

    clocked.runtime.advance_clock(120)
    after = clocked.request("GET", "/clock-file").json["contents"]["offsetSeconds"]

    assert after == before + 120


def test_a_token_minted_after_a_three_hour_move_is_accepted(clocked: Api) -> None:
    clocked.runtime.advance_clock(3 * HOUR)
    token = clocked.runtime.token("driver", "d-late")

    reply = clocked.request("GET", "/claims", token=token)

    assert reply.status == 200
    assert reply.json["sub"] == "d-late"


def test_a_token_minted_before_a_two_hour_move_has_expired_after_it(clocked: Api) -> None:
    token = clocked.runtime.token("driver", "d-early", ttl_seconds=HOUR)

    clocked.runtime.advance_clock(2 * HOUR)
    reply = clocked.request("GET", "/claims", token=token)

    assert reply.status == 401
    assert "the token has expired" in reply.headers["www-authenticate"]


def test_the_token_command_mints_at_the_running_runtimes_moved_time(
    clocked: Api, state_dir: Path
) -> None:
    clocked.runtime.advance_clock(3 * HOUR)

    token = subprocess.run(
        [
            sys.executable,
            "-m",
            "infra.local_runtime",
            "token",
            "--template",
            str(FIXTURE_TEMPLATE),
            "--state-dir",
            str(state_dir),
            "--sub",
            "d-cli",
        ],
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
    ).stdout.strip()

    assert clocked.request("GET", "/claims", token=token).json["sub"] == "d-cli"


def test_a_moment_reads_on_the_clock_as_it_stood_then() -> None:
    clock = Clock()
    before = time.time()
    clock.advance(7200)
    after = time.time() + 1

    assert clock.at(before - 1) == before - 1
    assert clock.at(after) == after + 7200


def test_a_record_written_just_before_a_move_reaches_its_function(clocked: Api) -> None:
    dynamodb = clocked.aws("dynamodb")
    table, key = "flexfleet-EventsTable", {"id": {"S": "just-before-a-move"}}
    dynamodb.put_item(TableName=table, Item=key)

    clocked.runtime.advance_clock(2 * HOUR)  # at once: the record has not been read yet

    assert clocked.runtime.drain(timeout=30)
    assert "seen" in dynamodb.get_item(TableName=table, Key=key)["Item"]
