"""Errors of the transport itself: a body too large, or not declared as JSON. Domain errors are in
flexfleet.errors; both reach the client through flexfleet.api.exception_handlers."""

from __future__ import annotations

from flexfleet.errors import DomainError


class PayloadTooLarge(DomainError):
    """The body is over the API's size limit."""

    code = "payload_too_large"


class UnsupportedMediaType(DomainError):
    """The body is not declared as JSON."""

    code = "unsupported_media_type"
