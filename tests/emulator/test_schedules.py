"""EventBridge schedule expressions, and the payload a scheduled function receives."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from infra.local_runtime.schedules import Schedule, ScheduleExpression
from infra.local_runtime.stack import Stack
from infra.local_runtime.template import TemplateError


def at(text: str) -> float:
    return datetime.fromisoformat(text).replace(tzinfo=UTC).timestamp()


def iso(moment: float) -> str:
    return datetime.fromtimestamp(moment, UTC).strftime("%Y-%m-%d %H:%M %a")


@pytest.mark.parametrize(
    ("expression", "seconds"),
    [
        ("rate(1 minute)", 60),
        ("rate(5 minutes)", 300),
        ("rate(2 hours)", 7200),
        ("rate(1 day)", 86400),
    ],
)
def test_a_rate_fires_one_period_after_the_last_time(expression: str, seconds: int) -> None:
    assert ScheduleExpression(expression).next_after(1000.0) == 1000.0 + seconds


@pytest.mark.parametrize(
    "expression", ["rate(1 minutes)", "rate(5 minute)", "rate(0 days)", "every day"]
)
def test_a_malformed_expression_is_refused(expression: str) -> None:
    with pytest.raises(TemplateError):
        ScheduleExpression(expression)


def test_a_daily_cron_fires_at_its_utc_time() -> None:
    assert iso(ScheduleExpression("cron(15 3 * * ? *)").next_after(at("2026-11-21T10:00:00"))) == (
        "2026-11-22 03:15 Sun"
    )


def test_cron_days_of_the_week_count_from_sunday_as_one() -> None:
    # 2 is Monday in EventBridge (it would be Tuesday in Unix cron).
    assert iso(ScheduleExpression("cron(0 9 ? * 2 *)").next_after(at("2026-11-21T10:00:00"))) == (
        "2026-11-23 09:00 Mon"
    )
    assert iso(
        ScheduleExpression("cron(0 9 ? * MON-FRI *)").next_after(at("2026-11-21T10:00:00"))
    ) == ("2026-11-23 09:00 Mon")


def test_cron_needs_a_question_mark_in_one_day_field() -> None:
    with pytest.raises(TemplateError, match=r"\?"):
        ScheduleExpression("cron(0 9 * * * *)")


def test_a_schedule_without_input_sends_the_scheduled_event(stack: Stack) -> None:
    schedule = Schedule.from_event(stack, stack.template.event_sources("Schedule")[0])
    schedule.input = None

    payload = schedule.payload(at("2026-11-21T03:15:00"))

    assert payload["detail-type"] == "Scheduled Event"
    assert payload["source"] == "aws.events"
    assert payload["time"] == "2026-11-21T03:15:00Z"
    assert payload["resources"] == [schedule.rule_arn]
    assert payload["detail"] == {}


def test_a_schedule_with_input_sends_the_input(stack: Stack) -> None:
    schedule = Schedule.from_event(stack, stack.template.event_sources("Schedule")[0])

    assert schedule.payload(0.0) == {"job": "standing-recalculation"}
