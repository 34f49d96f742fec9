"""Schedule events (EventBridge rules and Scheduler schedules) that fire on their own.

rate() and cron() expressions follow EventBridge: cron has six fields with a
year, `?` in one of the day fields, and days of the week numbered 1 (SUN) to 7
(SAT). croniter computes the times once the expression is in its dialect.
"""

from __future__ import annotations

import json
import re
import threading
import time
import uuid
from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from croniter import croniter

from infra.local_runtime.functions import Invocation
from infra.local_runtime.stack import Stack
from infra.local_runtime.template import EventSource, TemplateError, as_bool

_RATE = re.compile(r"^rate\((\d+) (minute|minutes|hour|hours|day|days)\)$")
_CRON = re.compile(r"^cron\((.+)\)$")
_UNIT_SECONDS = {"minute": 60, "hour": 3600, "day": 86400}
_DAY_NAMES = ("SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT")

Invoke = Callable[[str, dict[str, Any], str], Invocation]


class ScheduleExpression:
    """The next fire time after a moment, for one rate() or cron() expression."""

    def __init__(self, expression: str) -> None:
        self.expression = expression.strip()
        rate = _RATE.match(self.expression)
        cron = _CRON.match(self.expression)
        if rate:
            amount, unit = int(rate.group(1)), rate.group(2).rstrip("s")
            if amount < 1 or (amount == 1) != (not rate.group(2).endswith("s")):
                raise TemplateError(f"{expression}: use 1 {unit} or N {unit}s")
            self.rate_seconds: float | None = amount * _UNIT_SECONDS[unit]
            self._cron: str | None = None
        elif cron:
            self.rate_seconds = None
            self._cron = self._to_croniter(cron.group(1))
        else:
            raise TemplateError(f"not a schedule expression: {expression}")

    @staticmethod
    def _to_croniter(body: str) -> str:
        fields = body.split()
        if len(fields) != 6:
            raise TemplateError(f"cron({body}) needs six fields: min hour day month weekday year")
        minute, hour, day, month, weekday, year = fields
        if "?" not in (day, weekday):
            raise TemplateError(f"cron({body}): one of day-of-month and day-of-week must be ?")

        def shift_day(match: re.Match[str]) -> str:
            # EventBridge counts 1 = SUN ... 7 = SAT; croniter counts 0 = SUN ... 6 = SAT.
            return str((int(match.group(0)) - 1) % 7)

        weekday = re.sub(r"(?<![#\d])\d(?!\d)", shift_day, weekday.replace("?", "*"))
        for number, name in enumerate(_DAY_NAMES):
            weekday = weekday.replace(name, str(number))
        day = day.replace("?", "*")
        if year != "*":
            raise TemplateError(f"cron({body}): the local runtime fires only on every year (*)")
        return " ".join((minute, hour, day, month, weekday))

    def next_after(self, moment: float) -> float:
        if self.rate_seconds is not None:
            return moment + self.rate_seconds
        assert self._cron is not None
        start = datetime.fromtimestamp(moment, UTC)
        return float(croniter(self._cron, start).get_next(float))


@dataclass
class Schedule:
    """One schedule event of one function."""

    function_id: str
    event_name: str
    expression: ScheduleExpression
    rule_arn: str
    input: Any | None
    enabled: bool
    region: str
    account_id: str
    function_arn: str = ""
    retries: int = 2  # the function's EventInvokeConfig.MaximumRetryAttempts, Lambda's default 2
    on_failure_queue_url: str | None = None  # its EventInvokeConfig OnFailure queue
    next_fire: float = 0.0

    @classmethod
    def from_event(cls, stack: Stack, event: EventSource) -> Schedule:
        props = stack.resolve(event.properties)
        expression = props.get("Schedule") or props.get("ScheduleExpression")
        if not expression:
            raise TemplateError(f"{event.function_id}.{event.name}: no schedule expression")
        raw_input = props.get("Input")
        try:
            payload = json.loads(raw_input) if isinstance(raw_input, str) else raw_input
        except ValueError as exc:
            raise TemplateError(
                f"{event.function_id}.{event.name}: Input is not JSON: {exc}"
            ) from exc
        state = str(props.get("State", "ENABLED")).upper()
        name = props.get("Name") or f"{stack.name}-{event.function_id}{event.name}"
        invoke_config = stack.resolve(
            stack.template.function(event.function_id).properties.get("EventInvokeConfig") or {}
        )
        on_failure = (invoke_config.get("DestinationConfig") or {}).get("OnFailure") or {}
        return cls(
            function_id=event.function_id,
            event_name=event.name,
            expression=ScheduleExpression(str(expression)),
            rule_arn=stack.arn("events", f"rule/{name}"),
            input=payload,
            enabled=as_bool(props.get("Enabled", True)) and state == "ENABLED",
            region=stack.region,
            account_id=stack.account_id,
            function_arn=stack.function_arn(event.function_id),
            retries=int(invoke_config.get("MaximumRetryAttempts", 2)),
            on_failure_queue_url=stack.queue_url_of(on_failure.get("Destination"))
            if on_failure.get("Type") == "SQS"
            else None,
        )

    @property
    def name(self) -> str:
        return f"{self.function_id}.{self.event_name}"

    def payload(self, at: float) -> Any:
        """The template's Input if it has one, else EventBridge's "Scheduled Event"."""
        if self.input is not None:
            return self.input
        return {
            "version": "0",
            "id": str(uuid.uuid4()),
            "detail-type": "Scheduled Event",
            "source": "aws.events",
            "account": self.account_id,
            "time": datetime.fromtimestamp(at, UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "region": self.region,
            "resources": [self.rule_arn],
            "detail": {},
        }


def async_failure_record(
    schedule: Schedule, payload: Any, invocation: Invocation, attempts: int
) -> str:
    """Lambda's record of an asynchronous invocation it gave up on, for an OnFailure destination."""
    return json.dumps(
        {
            "version": "1.0",
            "timestamp": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z",
            "requestContext": {
                "requestId": invocation.request_id,
                "functionArn": f"{schedule.function_arn}:$LATEST",
                "condition": "RetriesExhausted",
                "approximateInvokeCount": attempts,
            },
            "requestPayload": payload,
            "responseContext": {
                "statusCode": 200,
                "executedVersion": "$LATEST",
                "functionError": "Unhandled",
            },
            "responsePayload": invocation.error,
        }
    )


@dataclass
class Scheduler:
    """Fires every enabled schedule at its time, on the runtime's clock."""

    schedules: list[Schedule]
    invoke: Invoke
    clock: Callable[[], float] = time.time
    tick_seconds: float = 0.2
    # The runtime counts a fire, retries and all, as one piece of work, so drain() waits for it.
    busy: Callable[[], AbstractContextManager[None]] = nullcontext
    send_failure: Callable[[str, str], None] = lambda queue_url, body: None
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None

    def start(self) -> None:
        now = self.clock()
        for schedule in self.schedules:
            schedule.next_fire = schedule.expression.next_after(now)
        self._thread = threading.Thread(target=self._run, name="scheduler", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=10)

    def find(self, name: str) -> Schedule:
        """A schedule by `Function.Event`, or by function when it has only one."""
        matches = [s for s in self.schedules if name in (s.name, s.function_id)]
        if len(matches) != 1:
            known = ", ".join(s.name for s in self.schedules) or "none"
            raise KeyError(f"no single schedule named {name!r}; the template has: {known}")
        return matches[0]

    def fire(self, schedule: Schedule, at: float | None = None) -> Invocation:
        """Invokes the function as EventBridge does: asynchronously, with Lambda's retries."""
        with self.busy():
            moment = self.clock() if at is None else at
            payload = schedule.payload(moment)
            trigger = f"schedule {schedule.event_name}"
            invocation = self.invoke(schedule.function_id, payload, trigger)
            attempts = 1
            while not invocation.ok and attempts <= schedule.retries:
                if self._stop.wait(min(1.0, 0.1 * 2 ** (attempts - 1))):
                    return invocation
                invocation = self.invoke(schedule.function_id, payload, f"{trigger} retry")
                attempts += 1
            if not invocation.ok and schedule.on_failure_queue_url:
                record = async_failure_record(schedule, payload, invocation, attempts)
                self.send_failure(schedule.on_failure_queue_url, record)
            return invocation

    def _run(self) -> None:
        while not self._stop.wait(self.tick_seconds):
            now = self.clock()
            for schedule in self.schedules:
                if schedule.enabled and schedule.next_fire <= now:
                    due = schedule.next_fire
                    schedule.next_fire = schedule.expression.next_after(max(now, due))
                    threading.Thread(
                        target=self.fire,
                        args=(schedule, due),
                        name=f"fire-{schedule.name}",
                        daemon=True,
                    ).start()
