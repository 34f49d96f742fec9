"""Checks a request body before anything reads it: size, media type, JSON."""

from __future__ import annotations

import base64
import json
from collections.abc import Mapping
from typing import Any

from flexfleet.errors import BadRequest, DomainError, PayloadTooLarge, UnsupportedMediaType

MAX_BODY_BYTES = 64 * 1024


def _is_json_media_type(content_type: str | None) -> bool:
    media_type = (content_type or "").split(";", 1)[0].strip().lower()
    return media_type == "application/json" or (
        media_type.startswith("application/") and media_type.endswith("+json")
    )


def body_problem(event: Mapping[str, Any], max_bytes: int = MAX_BODY_BYTES) -> DomainError | None:
    """What is wrong with a non-empty body, if anything: it must be JSON, declared so, and small."""
    raw = event.get("body")
    if not raw:
        return None
    data = base64.b64decode(raw) if event.get("isBase64Encoded") else str(raw).encode()
    if len(data) > max_bytes:
        return PayloadTooLarge(f"the body is over {max_bytes} bytes", field="body")
    headers = {str(k).lower(): v for k, v in (event.get("headers") or {}).items()}
    if not _is_json_media_type(headers.get("content-type")):
        return UnsupportedMediaType(
            "the body must be sent as application/json", field="content-type"
        )
    try:
        json.loads(data)
    except (ValueError, RecursionError) as exc:
        return BadRequest(f"the body is not valid JSON: {exc}", field="body")
    return None
