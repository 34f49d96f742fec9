"""The end of a human review: ops decide to keep, coach, deactivate or reinstate a driver.

A decision is stored on the driver's standing item, with who made it, when and why, and the
history of decisions beside it. Only a decision deactivates: nothing automatic ever does.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import Field, StringConstraints

from flexfleet.api_model import ApiModel, UtcDatetime

Decision = Literal["keep", "coach", "deactivate", "reinstate"]
DEACTIVATED = "deactivated"
ACTIVE = "active"


class ReviewDecisionRequest(ApiModel):
    """The body of POST /drivers/{driverId}/review-decision."""

    decision: Decision
    note: Annotated[
        str, StringConstraints(strip_whitespace=True, min_length=1, max_length=2000)
    ] = Field(description="why: the driver sees it in their standing")


class ReviewDecision(ReviewDecisionRequest):
    decided_by: str
    decided_at: UtcDatetime


def account_status(decision: Decision, current: str) -> str:
    """The account's status after a decision: only deactivate and reinstate change it."""
    return {"deactivate": DEACTIVATED, "reinstate": ACTIVE}.get(decision, current)


def is_deactivated(item: dict[str, Any]) -> bool:
    return item.get("accountStatus") == DEACTIVATED
