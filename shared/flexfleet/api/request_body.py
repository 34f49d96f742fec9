"""Checks every request body before any route sees it: size, media type, JSON."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable

from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response
from aws_lambda_powertools.event_handler.middlewares import NextMiddleware

from flexfleet.errors import BadRequest, PayloadTooLarge, UnsupportedMediaType

MAX_BODY_BYTES = 64 * 1024


def _is_json_media_type(content_type: str | None) -> bool:
    media_type = (content_type or "").split(";", 1)[0].strip().lower()
    return media_type == "application/json" or (
        media_type.startswith("application/") and media_type.endswith("+json")
    )


def json_body_guard(
    max_bytes: int = MAX_BODY_BYTES,
) -> Callable[[APIGatewayHttpResolver, NextMiddleware], Response[object]]:
    """A middleware: a non-empty body must be JSON, declared as such, and at most max_bytes."""

    def guard(app: APIGatewayHttpResolver, next_middleware: NextMiddleware) -> Response[object]:
        event = app.current_event
        raw = event.body
        if raw:
            data = base64.b64decode(raw) if event.is_base64_encoded else raw.encode()
            if len(data) > max_bytes:
                raise PayloadTooLarge(f"the body is over {max_bytes} bytes", field="body")
            if not _is_json_media_type(event.headers.get("content-type")):
                raise UnsupportedMediaType(
                    "the body must be sent as application/json", field="content-type"
                )
            try:
                json.loads(data)
            except ValueError as exc:
                raise BadRequest(f"the body is not valid JSON: {exc}", field="body") from exc
        return next_middleware(app)

    return guard
