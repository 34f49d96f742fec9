"""The HTTP API resolver every API function uses."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayHttpResolver
from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter
from aws_lambda_powertools.utilities.typing import LambdaContext

from flexfleet.api.exception_handlers import error_payload, register_exception_handlers
from flexfleet.api.request_body import MAX_BODY_BYTES, as_routed, body_problem
from flexfleet.errors import DomainError, NotFound


class HttpApiResolver(APIGatewayHttpResolver):
    """Powertools' resolver, with request validation, our error mapping, and a body check first.

    The body check runs before routing and before Powertools' own validation, so
    that a body that is too large, not JSON, or not declared as JSON gets 413,
    400 or 415, whatever route it was sent to.
    """

    def __init__(self, *, max_body_bytes: int = MAX_BODY_BYTES) -> None:
        super().__init__(enable_validation=True)
        self._max_body_bytes = max_body_bytes
        register_exception_handlers(self)

    def resolve(self, event: Mapping[str, Any], context: LambdaContext) -> dict[str, Any]:
        problem = path_problem(event) or body_problem(event, self._max_body_bytes)
        if problem is not None:
            return error_payload(problem)
        return super().resolve(as_routed(event), context)


def path_problem(event: Mapping[str, Any]) -> DomainError | None:
    """A path with a control character matches no route. Powertools' route patterns end in `$`,
    which also matches before a final newline: without this, /deliveries/d-1%0A would be d-1."""
    path = str(event.get("rawPath") or "")
    if any(ord(char) < 0x20 or ord(char) == 0x7F for char in path):
        return NotFound("no such route")
    return None


def http_resolver(*, max_body_bytes: int = MAX_BODY_BYTES) -> HttpApiResolver:
    return HttpApiResolver(max_body_bytes=max_body_bytes)


def http_router() -> APIGatewayHttpRouter:
    """A router for one area of the API, for HttpApiResolver.include_router."""
    return APIGatewayHttpRouter()  # type: ignore[no-untyped-call]  # Powertools leaves it untyped
