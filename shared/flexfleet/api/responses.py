"""The answer of a route that creates: 201 for what this request created, 200 for what was there
already, which a client's resubmit finds unchanged."""

from __future__ import annotations

from typing import TypeVar

from aws_lambda_powertools.event_handler import Response, content_types

T = TypeVar("T")


def created_or_found(body: T, created: bool) -> Response[T]:
    return Response(
        status_code=201 if created else 200,
        content_type=content_types.APPLICATION_JSON,
        body=body,
    )
