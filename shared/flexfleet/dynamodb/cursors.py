"""Opaque page cursors: DynamoDB's LastEvaluatedKey, sealed so that clients treat it as a token."""

from __future__ import annotations

import base64
import json
from typing import Any

from flexfleet.errors import BadRequest


def encode_cursor(last_evaluated_key: dict[str, Any] | None) -> str | None:
    if not last_evaluated_key:
        return None
    raw = json.dumps(last_evaluated_key, separators=(",", ":"), sort_keys=True).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(
    cursor: str | None, *, key_names: set[str], must_match: dict[str, str]
) -> dict[str, Any] | None:
    """The start key of the next page; BadRequest unless it came from the same listing.

    A start key must have exactly the index's key attributes, all strings, with the
    listing's partition: anything else would reach DynamoDB as a malformed request.
    """
    if not cursor:
        return None
    try:
        key = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        valid = (
            isinstance(key, dict)
            and set(key) == key_names
            and all(
                isinstance(v, dict) and set(v) == {"S"} and isinstance(v["S"], str)
                for v in key.values()
            )
            and all(key[name] == {"S": value} for name, value in must_match.items())
        )
    except (ValueError, RecursionError):
        valid = False
    if not valid:
        raise BadRequest("the cursor is not one this listing gave out", field="cursor")
    return dict(key)
