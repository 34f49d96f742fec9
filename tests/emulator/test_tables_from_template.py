"""The tables that tests and the local runtime use are exactly the ones template.yaml declares."""

from __future__ import annotations

import boto3

from infra.local_runtime.stack import Stack


def test_every_table_has_the_template_keys_indexes_stream_and_ttl(aws: Stack) -> None:
    client = boto3.client("dynamodb")

    ratings = client.describe_table(TableName=aws.table_name("RatingsTable"))["Table"]

    assert ratings["KeySchema"] == [{"AttributeName": "ratingId", "KeyType": "HASH"}]
    indexes = {i["IndexName"]: i["KeySchema"] for i in ratings["GlobalSecondaryIndexes"]}
    assert sorted(indexes) == ["byDay", "byDisputeStatus", "byDriver"]
    assert indexes["byDriver"] == [
        {"AttributeName": "driverId", "KeyType": "HASH"},
        {"AttributeName": "ratedAt", "KeyType": "RANGE"},
    ]
    assert ratings["StreamSpecification"] == {
        "StreamEnabled": True,
        "StreamViewType": "NEW_AND_OLD_IMAGES",
    }
    ttl = client.describe_time_to_live(TableName=aws.table_name("RatingsTable"))
    assert ttl["TimeToLiveDescription"] == {
        "TimeToLiveStatus": "ENABLED",
        "AttributeName": "purgeAt",
    }
    backups = client.describe_continuous_backups(TableName=aws.table_name("RatingsTable"))
    pitr = backups["ContinuousBackupsDescription"]["PointInTimeRecoveryDescription"]
    assert pitr["PointInTimeRecoveryStatus"] == "ENABLED"


def test_the_stream_arn_is_known_to_the_stack_for_getatt(aws: Stack) -> None:
    stream_arn = aws.resolve({"Fn::GetAtt": ["RatingsTable", "StreamArn"]})

    assert (
        stream_arn
        == boto3.client("dynamodb").describe_table(TableName=aws.table_name("RatingsTable"))[
            "Table"
        ]["LatestStreamArn"]
    )


def test_a_queue_ref_resolves_to_its_url(aws: Stack) -> None:
    url = aws.resolve({"Ref": "StreamFailureQueue"})

    assert boto3.client("sqs").get_queue_attributes(QueueUrl=url, AttributeNames=["All"])[
        "Attributes"
    ]
