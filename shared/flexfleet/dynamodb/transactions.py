"""All-or-nothing writes across items and tables, and which condition refused one."""

from __future__ import annotations

import random
import time
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient


def back_off(attempt: int) -> None:
    """Before retrying a contended transaction: full jitter, as AWS's SDKs back off, up to
    10 ms, doubling each attempt."""
    time.sleep(random.uniform(0, 0.01 * 2**attempt))  # noqa: S311 - jitter, not a secret


class TransactionRefused(Exception):
    """A condition of the transaction failed, or another transaction held one of its items.
    `reasons` has one code per item, in order: "None" for an item that was not the cause,
    "ConditionalCheckFailed" or "TransactionConflict" for one that was."""

    def __init__(self, reasons: list[str]) -> None:
        super().__init__(", ".join(reasons))
        self.reasons = reasons

    def failed(self, index: int) -> bool:
        return self.reasons[index] == "ConditionalCheckFailed"

    @property
    def contended(self) -> bool:
        """Refused only because another transaction was writing the same items: worth a retry."""
        return (
            "TransactionConflict" in self.reasons and "ConditionalCheckFailed" not in self.reasons
        )


def transact(client: DynamoDBClient, items: list[dict[str, Any]]) -> None:
    """Writes every item or none; TransactionRefused says which condition failed."""
    try:
        client.transact_write_items(TransactItems=items)  # type: ignore[arg-type]
    except client.exceptions.TransactionCanceledException as exc:
        reasons = exc.response.get("CancellationReasons", [])
        raise TransactionRefused([reason.get("Code", "None") for reason in reasons]) from exc
