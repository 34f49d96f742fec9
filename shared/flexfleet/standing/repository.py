"""Standing in DynamoDB: one item per driver, each component written by its own recompute.

A component is written only if it is newer than the one stored (its `asOf`, the
moment its sources were read): a redelivered or overtaken batch is refused, never
counted twice. The tier is then derived from the stored components' tiers.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from flexfleet.dynamodb.attribute_values import from_item as plain_item
from flexfleet.dynamodb.attribute_values import to_attribute, to_item
from flexfleet.dynamodb.pages import all_items
from flexfleet.standing.model import overall_tier
from flexfleet.tiers import Tier

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

BY_WARNING_INDEX = "byWarning"
AS_OF_NAMES = ("ratingsAsOf", "deliveriesAsOf", "bookingsAsOf")
WARNED = "warned"  # the one partition of the sparse byWarning index
# Where each component's tier is stored.
TIER_ATTRIBUTES = {
    "customerRating": "ratingTier",
    "onTimeRate": "onTimeTier",
    "completionRate": "completionTier",
    "reliability": "reliabilityTier",
}


def stored_tiers(item: dict[str, Any]) -> dict[str, Tier]:
    """The tiers of the components stored in the item; one never computed is left out.
    ValueError for a tier that is not one of the levels (a number, 0 to 3)."""
    tiers = {}
    for component, attribute in TIER_ATTRIBUTES.items():
        value = item.get(attribute)
        if value is None:
            continue
        if isinstance(value, bool) or not isinstance(value, int | Decimal) or value != int(value):
            raise ValueError(f"{attribute} is not a tier: {value!r}")
        tiers[component] = Tier(int(value))
    return tiers


def stored_tier(item: dict[str, Any]) -> Tier:
    """The tier the stored components give: the model's derivation, from what is stored."""
    return overall_tier(stored_tiers(item))


class StandingRepository:
    def __init__(self, client: DynamoDBClient, table_name: str) -> None:
        self._client = client
        self.table_name = table_name

    def write_component(
        self, driver_id: str, fields: dict[str, Any], as_of_name: str, as_of: int, now: datetime
    ) -> dict[str, Any] | None:
        """Sets a component's fields unless a newer one is stored; the whole new item, or None."""
        names = {f"#f{i}": name for i, name in enumerate(fields)}
        values = {f":f{i}": to_attribute(value) for i, value in enumerate(fields.values())}
        assignments = ", ".join(f"#f{i} = :f{i}" for i in range(len(fields)))
        try:
            result = self._client.update_item(
                TableName=self.table_name,
                Key={"driverId": {"S": driver_id}},
                UpdateExpression=f"SET {assignments}, #asOf = :asOf, updatedAt = :now",
                ConditionExpression="attribute_not_exists(#asOf) OR #asOf <= :asOf",
                ExpressionAttributeNames={**names, "#asOf": as_of_name},
                ExpressionAttributeValues={
                    **values,
                    ":asOf": {"N": str(as_of)},
                    ":now": {"S": now.isoformat()},
                },
                ReturnValues="ALL_NEW",
            )
        except self._client.exceptions.ConditionalCheckFailedException:
            return None
        return plain_item(result["Attributes"])

    def write_tier(
        self,
        driver_id: str,
        seen: dict[str, Any],
        new: Tier,
        now: datetime,
        change: dict[str, Any] | None = None,
    ) -> bool:
        """Moves the tier to `new` from the item as `seen`; False if the item changed since.

        The condition covers the tier and both components' asOf: a tier is only ever
        derived from components that are still the stored ones. Entering At Risk
        records the warning, once (if_not_exists); leaving clears it. `change`, the event
        to publish, is kept in the item until published (an outbox), so a failed publish is
        retried by the next recompute instead of being lost.
        """
        values: dict[str, Any] = {":new": {"S": new.label}, ":now": {"S": now.isoformat()}}
        if new is Tier.AT_RISK:
            update = (
                "SET tier = :new, tierChangedAt = :now, "
                "warnedAt = if_not_exists(warnedAt, :now), warnedBucket = :warned"
            )
            values[":warned"] = {"S": WARNED}
        else:
            update = "SET tier = :new, tierChangedAt = :now REMOVE warnedAt, warnedBucket"
        if change is not None:
            update = update.replace("SET ", "SET pendingChange = :change, ", 1)
            values[":change"] = to_attribute(change)
        conditions = []
        for name in ("tier", *AS_OF_NAMES):
            if seen.get(name) is None:
                conditions.append(f"attribute_not_exists({name})")
            else:
                conditions.append(f"{name} = :seen_{name}")
                values[f":seen_{name}"] = to_attribute(seen[name])
        try:
            self._client.update_item(
                TableName=self.table_name,
                Key={"driverId": {"S": driver_id}},
                UpdateExpression=update,
                ConditionExpression=" AND ".join(conditions),
                ExpressionAttributeValues=values,
            )
        except self._client.exceptions.ConditionalCheckFailedException:
            return False
        return True

    def clear_pending_change(self, driver_id: str, change: dict[str, Any]) -> None:
        """Forgets a published change, unless a newer one has taken its place."""
        try:
            self._client.update_item(
                TableName=self.table_name,
                Key={"driverId": {"S": driver_id}},
                UpdateExpression="REMOVE pendingChange",
                ConditionExpression="pendingChange.changedAt = :at",
                ExpressionAttributeValues={":at": {"S": str(change["changedAt"])}},
            )
        except self._client.exceptions.ConditionalCheckFailedException:
            return

    def get(self, driver_id: str) -> dict[str, Any] | None:
        item = self._client.get_item(
            TableName=self.table_name, Key={"driverId": {"S": driver_id}}, ConsistentRead=True
        ).get("Item")
        return plain_item(item) if item else None

    def record_decision(
        self, driver_id: str, decision: dict[str, Any], status: str, seen: dict[str, Any] | None
    ) -> bool:
        """Stores a review decision as the latest, appends it to the history and sets the account
        status, if the latest decision is still the one read (`seen`); False otherwise."""
        values: dict[str, Any] = {
            ":decision": to_attribute(decision),
            ":one": to_attribute([decision]),
            ":empty": {"L": []},
            ":status": {"S": status},
        }
        if seen is None:
            condition = "attribute_not_exists(reviewDecision)"
        else:
            condition = "reviewDecision.decidedAt = :seen"
            values[":seen"] = {"S": seen["decidedAt"]}
        try:
            self._client.update_item(
                TableName=self.table_name,
                Key={"driverId": {"S": driver_id}},
                UpdateExpression=(
                    "SET reviewDecision = :decision, accountStatus = :status, "
                    "reviewHistory = list_append(if_not_exists(reviewHistory, :empty), :one)"
                ),
                ConditionExpression=condition,
                ExpressionAttributeValues=values,
            )
        except self._client.exceptions.ConditionalCheckFailedException:
            return False
        return True

    def warned_between(self, after: datetime, until: datetime) -> list[dict[str, Any]]:
        """Drivers warned between the two moments, inclusive, from the sparse byWarning index."""
        query: dict[str, Any] = {
            "TableName": self.table_name,
            "IndexName": BY_WARNING_INDEX,
            "KeyConditionExpression": (
                "warnedBucket = :warned AND warnedAt BETWEEN :after AND :until"
            ),
            "ExpressionAttributeValues": {
                ":warned": {"S": WARNED},
                ":after": {"S": after.isoformat()},
                ":until": {"S": until.isoformat()},
            },
        }
        return [plain_item(i) for i in all_items(self._client, **query)]


class HistoryRepository:
    """The standing history: one item per point, keyed (driverId, pointId), pointId beginning
    with the point's moment, so that a driver's window is one query in time order."""

    def __init__(self, client: DynamoDBClient, table_name: str) -> None:
        self._client = client
        self.table_name = table_name

    def add(self, item: dict[str, Any]) -> bool:
        """Writes a point unless it is written already (a redelivered record); whether it was."""
        try:
            self._client.put_item(
                TableName=self.table_name,
                Item=to_item(item),
                ConditionExpression="attribute_not_exists(pointId)",
            )
        except self._client.exceptions.ConditionalCheckFailedException:
            return False
        return True

    def newest_since(self, driver_id: str, since: str, limit: int) -> list[dict[str, Any]]:
        """The driver's points from `since` (an ISO moment) on, the newest `limit` of them,
        newest first: one query, read in pages until `limit`."""
        query: dict[str, Any] = {
            "TableName": self.table_name,
            "KeyConditionExpression": "driverId = :driver AND pointId >= :since",
            "ExpressionAttributeValues": {":driver": {"S": driver_id}, ":since": {"S": since}},
            "ScanIndexForward": False,
        }
        found: list[dict[str, Any]] = []
        while len(found) < limit:
            page = self._client.query(**query, Limit=limit - len(found))
            found += [plain_item(i) for i in page["Items"]]
            if "LastEvaluatedKey" not in page:
                break
            query["ExclusiveStartKey"] = page["LastEvaluatedKey"]
        return found
