"""The scheduled function, fed the golden scheduled event and the template's Input."""

from __future__ import annotations

from functions.standing_schedule import app as standing_schedule
from tests.factories import lambda_context, scheduled_event


def test_a_plain_scheduled_event_runs_the_job_named_by_its_detail_type() -> None:
    result = standing_schedule.lambda_handler(scheduled_event(), lambda_context())

    assert result["job"] == "Scheduled Event"
    assert result["requestId"] == lambda_context().aws_request_id


def test_the_templates_input_names_the_job() -> None:
    result = standing_schedule.lambda_handler({"job": "standing-recalculation"}, lambda_context())

    assert result["job"] == "standing-recalculation"
