"""The one place where errors become HTTP responses.

Every error body has the same shape as API Gateway's own ({"message": ...}),
plus a machine-readable `code` and, where one field is at fault, its name.
"""

from __future__ import annotations

import json
from http import HTTPStatus
from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response, content_types
from aws_lambda_powertools.event_handler.exceptions import NotFoundError
from aws_lambda_powertools.event_handler.openapi.exceptions import RequestValidationError
from aws_lambda_powertools.event_handler.openapi.types import OpenAPIResponse
from pydantic import BaseModel

from flexfleet import errors
from flexfleet.api.errors import PayloadTooLarge, UnsupportedMediaType

logger = Logger(child=True)


class ErrorBody(BaseModel):
    """Every error answer: API Gateway's own shape, plus a code and the field at fault."""

    message: str
    code: str
    field: str | None = None


class GatewayError(BaseModel):
    """An answer API Gateway writes itself, such as its 401 for a missing or refused token:
    {"message": "Unauthorized"}. Its shape cannot be changed."""

    message: str


class ValidationProblem(BaseModel):
    field: str
    message: str
    type: str


class ValidationErrorBody(ErrorBody):
    """A 422 from schema validation: the first problem on top, every problem in `errors`."""

    errors: list[ValidationProblem] = []


_MODEL_OF_STATUS: dict[int, Any] = {
    HTTPStatus.UNAUTHORIZED: GatewayError,  # the JWT authorizer's, before any function
    HTTPStatus.UNPROCESSABLE_ENTITY: ValidationErrorBody,
    # Ours, or API Gateway's own: a path with an invalid percent-escape is its 400; a path that,
    # once decoded, matches no route is its 404; a body over its 10 MB quota is its 413.
    HTTPStatus.BAD_REQUEST: ErrorBody | GatewayError,
    HTTPStatus.NOT_FOUND: ErrorBody | GatewayError,
    HTTPStatus.REQUEST_ENTITY_TOO_LARGE: ErrorBody | GatewayError,
}


def error_responses(*statuses: int) -> dict[int, OpenAPIResponse]:
    """OpenAPI entries for error answers. Every route may answer 400, 413, 415 and 422: the
    body checks run before routing, whatever the method, and validation covers every input."""
    return {
        status: {
            "description": HTTPStatus(status).phrase,
            "content": {"application/json": {"model": _MODEL_OF_STATUS.get(status, ErrorBody)}},
        }
        for status in sorted({*statuses, 400, 413, 415, 422})
    }


# A route that needs no token says so with this extension, which the OpenAPI document turns
# into `security: []`. Powertools drops a route's own `security=[]` (it tests the list for
# truth), which would leave the route under the global bearer requirement.
NO_TOKEN = {"x-no-token": True}


def documented(
    model: Any, *errors: int, status: int = 200, description: str = "OK"
) -> dict[int, OpenAPIResponse]:
    """A route's OpenAPI responses: its success with its model, and its errors."""
    return {
        status: {"description": description, "content": {"application/json": {"model": model}}},
        **error_responses(*errors),
    }


STATUS_BY_ERROR: dict[type[errors.DomainError], HTTPStatus] = {
    errors.BadRequest: HTTPStatus.BAD_REQUEST,
    errors.Unauthenticated: HTTPStatus.UNAUTHORIZED,
    errors.Forbidden: HTTPStatus.FORBIDDEN,
    errors.NotFound: HTTPStatus.NOT_FOUND,
    errors.Conflict: HTTPStatus.CONFLICT,
    PayloadTooLarge: HTTPStatus.REQUEST_ENTITY_TOO_LARGE,
    UnsupportedMediaType: HTTPStatus.UNSUPPORTED_MEDIA_TYPE,
    errors.Unprocessable: HTTPStatus.UNPROCESSABLE_ENTITY,
    errors.TooManyConnections: HTTPStatus.TOO_MANY_REQUESTS,
}


def _error_body(code: str, message: str, field: str | None) -> dict[str, Any]:
    body: dict[str, Any] = {"message": message, "code": code}
    if field is not None:
        body["field"] = field
    return body


def error_response(
    status: HTTPStatus, code: str, message: str, field: str | None = None, **extra: Any
) -> Response[dict[str, Any]]:
    body = {**_error_body(code, message, field), **extra}
    return Response(
        status_code=status.value, content_type=content_types.APPLICATION_JSON, body=body
    )


def _field_of(location: tuple[Any, ...]) -> str:
    # Powertools reports ("body", "factors", "timeliness") and ("query", "limit"); clients know
    # fields, not where Powertools found them: "factors.timeliness", "limit".
    parts = [str(p) for p in location if p not in ("body", "query", "path")]
    return ".".join(parts) or "body"


def _status_of(exc: errors.DomainError) -> HTTPStatus:
    return next(
        (status for kind, status in STATUS_BY_ERROR.items() if isinstance(exc, kind)),
        HTTPStatus.BAD_REQUEST,
    )


def domain_error(exc: errors.DomainError) -> Response[dict[str, Any]]:
    return error_response(_status_of(exc), exc.code, exc.message, exc.field)


def error_payload(exc: errors.DomainError) -> dict[str, Any]:
    """The same error as a raw HTTP API response, for answers given before routing."""
    body = _error_body(exc.code, exc.message, exc.field)
    return {
        "statusCode": _status_of(exc).value,
        "headers": {"Content-Type": "application/json"},
        "body": json.dumps(body, separators=(",", ":")),
        "isBase64Encoded": False,
    }


def validation_error(exc: RequestValidationError) -> Response[dict[str, Any]]:
    problems = [
        {"field": _field_of(tuple(e["loc"])), "message": e["msg"], "type": e["type"]}
        for e in exc.errors()
    ]
    first = problems[0] if problems else {"field": "body", "message": "invalid request"}
    return error_response(
        HTTPStatus.UNPROCESSABLE_ENTITY,
        "validation_error",
        f"{first['field']}: {first['message']}",
        first["field"],
        errors=problems,
    )


def route_not_found(_: NotFoundError) -> Response[dict[str, Any]]:
    return error_response(HTTPStatus.NOT_FOUND, "not_found", "no such route")


def unexpected(exc: Exception) -> Response[dict[str, Any]]:
    # Logged with its stack trace for us; the client gets no internals.
    logger.exception("unhandled error")
    return error_response(HTTPStatus.INTERNAL_SERVER_ERROR, "internal", "internal error")


def register_exception_handlers(app: APIGatewayHttpResolver) -> None:
    app.exception_handler(errors.DomainError)(domain_error)
    app.exception_handler(RequestValidationError)(validation_error)
    app.not_found(route_not_found)
    app.exception_handler(Exception)(unexpected)
