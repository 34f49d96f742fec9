"""Items the code cannot read: a table written by hand or by an older version. One such item is
logged and counted, and then treated as absent; it never turns a read into a 500."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any, TypeVar

from aws_lambda_powertools import Logger

from flexfleet.metrics import Metric, count

T = TypeVar("T")
logger = Logger(child=True)


class UnreadableItem(ValueError):
    def __init__(self, table: str, key: Mapping[str, Any], reason: str) -> None:
        super().__init__(f"{table} item {dict(key)} cannot be read: {reason}")
        self.table, self.key, self.reason = table, dict(key), reason


def report(problem: UnreadableItem) -> None:
    logger.error(
        "unreadable item",
        extra={"table": problem.table, "key": problem.key, "reason": problem.reason},
    )
    count(Metric.UNREADABLE_ITEMS)


def read(reader: Callable[[dict[str, Any]], T], item: dict[str, Any]) -> T | None:
    """The item read, or None (reported) if it cannot be."""
    try:
        return reader(item)
    except UnreadableItem as problem:
        report(problem)
        return None


def read_all(reader: Callable[[dict[str, Any]], T], items: Iterable[dict[str, Any]]) -> list[T]:
    """Every item that can be read; the others are reported and skipped."""
    return [value for value in (read(reader, item) for item in items) if value is not None]
