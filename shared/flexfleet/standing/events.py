"""StandingChanged: published to EventBridge when a driver's tier moves."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime
from functools import cached_property
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from mypy_boto3_events import EventBridgeClient

SOURCE = "flexfleet.standing"
DETAIL_TYPE = "StandingChanged"


class StandingEvents:
    """Publishes tier changes. The client is made on the first change: most batches have none,
    and a second botocore client would add a tenth of a second to every cold start."""

    def __init__(self, client: Callable[[], EventBridgeClient], bus_name: str) -> None:
        self._make_client = client
        self._bus_name = bus_name

    @cached_property
    def _client(self) -> EventBridgeClient:
        return self._make_client()

    def tier_changed(self, driver_id: str, old: str | None, new: str, at: datetime) -> None:
        detail = {
            "driverId": driver_id,
            "oldTier": old,
            "newTier": new,
            "changedAt": at.isoformat(),
        }
        result = self._client.put_events(
            Entries=[
                {
                    "Source": SOURCE,
                    "DetailType": DETAIL_TYPE,
                    "Detail": json.dumps(detail),
                    "EventBusName": self._bus_name,
                }
            ]
        )
        if result.get("FailedEntryCount"):
            raise RuntimeError(
                f"EventBridge refused StandingChanged for {driver_id}: {result['Entries']}"
            )
