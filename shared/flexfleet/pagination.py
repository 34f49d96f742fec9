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


def decode_cursor(cursor: str | None, *, must_match: dict[str, str]) -> dict[str, Any] | None:
    """The start key of the next page; BadRequest unless it came from the same listing."""
    if not cursor:
        return None
    try:
        key = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        valid = isinstance(key, dict) and all(
            key.get(name) == {"S": value} for name, value in must_match.items()
        )
    except ValueError:
        valid = False
    if not valid:
        raise BadRequest("the cursor is not one this listing gave out", field="cursor")
    return dict(key)
