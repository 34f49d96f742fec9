"""StandingChanged: published to EventBridge when a driver's tier moves."""

from __future__ import annotations

import json
from datetime import datetime
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from mypy_boto3_events import EventBridgeClient

SOURCE = "flexfleet.standing"
DETAIL_TYPE = "StandingChanged"


class StandingEvents:
    def __init__(self, client: EventBridgeClient, bus_name: str) -> None:
        self._client = client
        self._bus_name = bus_name

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
