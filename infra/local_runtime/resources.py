"""Creates the template's tables and queues, through whatever DynamoDB and SQS clients it is given.

The local runtime hands it clients of the moto server; integration tests hand
it clients inside `mock_aws`. Either way the tables are the template's own.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from infra.local_runtime.stack import Stack
from infra.local_runtime.template import QUEUE, TABLE

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient
    from mypy_boto3_sqs import SQSClient

_TABLE_API_KEYS = (
    "AttributeDefinitions",
    "KeySchema",
    "BillingMode",
    "ProvisionedThroughput",
    "GlobalSecondaryIndexes",
    "LocalSecondaryIndexes",
    "TableClass",
    "DeletionProtectionEnabled",
)
# Queue properties that CreateQueue takes as attributes, by the same name.
_QUEUE_ATTRIBUTES = (
    "DelaySeconds",
    "MaximumMessageSize",
    "MessageRetentionPeriod",
    "ReceiveMessageWaitTimeSeconds",
    "VisibilityTimeout",
    "FifoQueue",
    "ContentBasedDeduplication",
    "SqsManagedSseEnabled",
    "KmsMasterKeyId",
)


def create_table_request(stack: Stack, logical_id: str) -> dict[str, Any]:
    """The CreateTable request for a template table: the CloudFormation properties in API shape."""
    props = stack.resolve(stack.template.properties(logical_id))
    request: dict[str, Any] = {k: props[k] for k in _TABLE_API_KEYS if k in props}
    request["TableName"] = stack.table_name(logical_id)
    if "StreamSpecification" in props:
        request["StreamSpecification"] = {
            "StreamEnabled": True,
            "StreamViewType": props["StreamSpecification"]["StreamViewType"],
        }
    sse = props.get("SSESpecification")
    if sse:
        request["SSESpecification"] = {
            "Enabled": bool(sse.get("SSEEnabled")),
            **{k: sse[k] for k in ("SSEType", "KMSMasterKeyId") if k in sse},
        }
    if props.get("Tags"):
        request["Tags"] = props["Tags"]
    return request


def create_tables(stack: Stack, dynamodb: DynamoDBClient) -> None:
    for logical_id in stack.template.of_type(TABLE):
        if not stack.is_active(logical_id):
            continue
        props = stack.resolve(stack.template.properties(logical_id))
        name = stack.table_name(logical_id)
        description = dynamodb.create_table(**create_table_request(stack, logical_id))
        stack.attributes[(logical_id, "Arn")] = description["TableDescription"]["TableArn"]
        stream_arn = description["TableDescription"].get("LatestStreamArn")
        if stream_arn:
            stack.attributes[(logical_id, "StreamArn")] = stream_arn
        ttl = props.get("TimeToLiveSpecification")
        if ttl and ttl.get("Enabled"):
            dynamodb.update_time_to_live(
                TableName=name,
                TimeToLiveSpecification={"Enabled": True, "AttributeName": ttl["AttributeName"]},
            )
        pitr = props.get("PointInTimeRecoverySpecification") or {}
        if pitr.get("PointInTimeRecoveryEnabled"):
            dynamodb.update_continuous_backups(
                TableName=name,
                PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": True},
            )


def create_queues(stack: Stack, sqs: SQSClient) -> None:
    for logical_id in stack.template.of_type(QUEUE):
        if not stack.is_active(logical_id):
            continue
        props = stack.resolve(stack.template.properties(logical_id))
        attributes: Any = {
            k: str(props[k]).lower() if isinstance(props[k], bool) else str(props[k])
            for k in _QUEUE_ATTRIBUTES
            if k in props
        }
        url = sqs.create_queue(QueueName=stack.physical_ids[logical_id], Attributes=attributes)[
            "QueueUrl"
        ]
        stack.attributes[(logical_id, "QueueUrl")] = url
