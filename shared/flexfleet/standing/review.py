"""The end of a human review: ops decide to keep, coach, deactivate or reinstate a driver.

A decision is stored on the driver's standing item, with who made it, when and why, and the
history of decisions beside it. Only a decision deactivates: nothing automatic ever does.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import Field, StringConstraints

from flexfleet.api_model import ApiModel, UtcDatetime
from flexfleet.dynamodb import unreadable
from flexfleet.standing.repository import stored_tier
from flexfleet.tiers import DriverStanding

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


def driver_standing(driver_id: str, item: dict[str, Any] | None) -> DriverStanding:
    """A driver's tier and status from their standing item, as blocks read it; the tier derived
    exactly as GET /drivers/{driverId}/standing derives it. A driver with no standing yet stands
    at the tier the priors give. An item that cannot be read is reported and read as that too:
    never a 500, and never a better tier than earned (the priors give Great, not Fantastic)."""
    item = item or {}
    try:
        tier = stored_tier(item)
    except ValueError as exc:
        unreadable.report(unreadable.UnreadableItem("standing", {"driverId": driver_id}, str(exc)))
        tier = stored_tier({})
    return DriverStanding(tier=tier, deactivated=is_deactivated(item))
