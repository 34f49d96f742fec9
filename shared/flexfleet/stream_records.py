"""Pydantic models of the stream records the functions consume."""

from __future__ import annotations

from aws_lambda_powertools.utilities.parser.models import (
    DynamoDBStreamChangedRecordModel,
    DynamoDBStreamRecordModel,
)
from pydantic import BaseModel, ConfigDict


class RatingImage(BaseModel):
    model_config = ConfigDict(extra="allow")

    ratingId: str  # noqa: N815 - DynamoDB attribute names are camelCase
    driverId: str  # noqa: N815


class RatingChange(DynamoDBStreamChangedRecordModel):
    NewImage: RatingImage | None = None
    OldImage: RatingImage | None = None


class RatingStreamRecord(DynamoDBStreamRecordModel):
    dynamodb: RatingChange

    @property
    def driver_id(self) -> str:
        image = self.dynamodb.NewImage or self.dynamodb.OldImage
        if image is None:
            raise ValueError(
                "a ratings stream record without an image: the stream must carry images"
            )
        return image.driverId
