"""Checks a request body before anything reads it: size, media type, encoding, JSON."""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Mapping
from typing import Any

from flexfleet.api.errors import PayloadTooLarge, UnsupportedMediaType
from flexfleet.errors import BadRequest, DomainError

MAX_BODY_BYTES = 64 * 1024


def _is_json_media_type(content_type: str | None) -> bool:
    media_type = (content_type or "").split(";", 1)[0].strip().lower()
    return media_type == "application/json" or (
        media_type.startswith("application/") and media_type.endswith("+json")
    )


def _not_a_number(constant: str) -> Any:
    raise ValueError(f"{constant} is not a JSON number (RFC 8259)")


def _unique_names(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    names = [name for name, _ in pairs]
    if len(set(names)) != len(names):
        repeated = sorted({name for name in names if names.count(name) > 1})
        raise ValueError(f"a name appears twice in one object: {', '.join(repeated)}")
    return dict(pairs)


def body_problem(event: Mapping[str, Any], max_bytes: int = MAX_BODY_BYTES) -> DomainError | None:
    """What is wrong with a non-empty body, if anything: it must be JSON, declared so, and small.

    JSON on the wire is UTF-8 (RFC 8259, section 8.1): a body in UTF-16 or UTF-32, or with a
    byte order mark, is refused, as are NaN and Infinity, which JSON does not have, although
    Python's parser takes them, and an object with a name twice, whose meaning RFC 8259 leaves
    to each parser.
    """
    raw = event.get("body")
    if not raw:
        return None
    try:
        data = base64.b64decode(raw, validate=True) if event.get("isBase64Encoded") else None
    except (binascii.Error, ValueError):
        return BadRequest("the body is marked base64 but is not", field="body")
    if data is None:
        data = str(raw).encode("utf-8", "surrogatepass")
    if len(data) > max_bytes:
        return PayloadTooLarge(f"the body is over {max_bytes} bytes", field="body")
    headers = {str(k).lower(): v for k, v in (event.get("headers") or {}).items()}
    if not _is_json_media_type(headers.get("content-type")):
        return UnsupportedMediaType(
            "the body must be sent as application/json", field="content-type"
        )
    try:
        # NUL bytes are valid UTF-8, but no JSON text has them outside a string: they are the
        # mark of UTF-16 or UTF-32.
        text = data.decode("utf-8") if b"\x00" not in data else None
    except UnicodeDecodeError:
        text = None
    if text is None:
        return BadRequest("the body is not UTF-8, as JSON must be", field="body")
    if text.startswith("\ufeff"):
        return BadRequest(
            "the body starts with a byte order mark, which JSON forbids", field="body"
        )
    try:
        json.loads(text, parse_constant=_not_a_number, object_pairs_hook=_unique_names)
    except (ValueError, RecursionError) as exc:
        return BadRequest(f"the body is not valid JSON: {exc}", field="body")
    return None


def as_routed(event: Mapping[str, Any]) -> Mapping[str, Any]:
    """The event as the routes read it, once body_problem has passed it.

    Media types are case-insensitive and may carry parameters or a +json suffix, but
    Powertools' validation only reads a body declared with a literal "application/json"
    prefix: any body that has passed the checks is declared so, and so is no body at all
    (its content type says nothing then).
    """
    headers = {k: v for k, v in (event.get("headers") or {}).items() if k.lower() != "content-type"}
    return {**event, "headers": {**headers, "content-type": "application/json"}}
