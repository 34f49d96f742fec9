"""Page cursors: what a listing gave out comes back; nothing else reaches DynamoDB."""

from __future__ import annotations

import base64
import json

import pytest

from flexfleet.dynamodb.cursors import decode_cursor, encode_cursor
from flexfleet.errors import BadRequest

KEYS = {"ratingId", "driverId", "ratedAt"}
KEY = {"ratingId": {"S": "r1"}, "driverId": {"S": "d-1"}, "ratedAt": {"S": "2026-11-21"}}


def raw(value: object) -> str:
    return base64.urlsafe_b64encode(json.dumps(value).encode()).decode().rstrip("=")


def test_a_cursor_comes_back_as_the_key_it_was_made_from() -> None:
    assert decode_cursor(encode_cursor(KEY), key_names=KEYS, must_match={"driverId": "d-1"}) == KEY


@pytest.mark.parametrize(
    "cursor",
    [
        raw({**KEY, "driverId": {"S": "d-2"}}),  # another driver's listing
        raw({**KEY, "ratingId": 123}),  # not an attribute value
        raw({**KEY, "ratingId": {"S": 1}}),  # not a string
        raw({"driverId": {"S": "d-1"}}),  # keys missing
        raw({**KEY, "extra": {"S": "x"}}),  # keys added
        raw([1, 2]),
        "!!!not-base64",
        raw("[" * 5000),
    ],
)
def test_anything_else_is_a_400_naming_the_cursor(cursor: str) -> None:
    with pytest.raises(BadRequest) as refused:
        decode_cursor(cursor, key_names=KEYS, must_match={"driverId": "d-1"})

    assert refused.value.field == "cursor"
