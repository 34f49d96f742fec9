"""Typed domain errors. Services raise these; flexfleet.api.exception_handlers maps them to HTTP."""

from __future__ import annotations


class DomainError(Exception):
    """Base of every error a client may be told about."""

    code: str = "error"

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


class BadRequest(DomainError):
    """The request is malformed: not JSON, or a field that cannot be read."""

    code = "bad_request"


class Unauthenticated(DomainError):
    """No usable identity reached the function (the authorizer should have stopped it)."""

    code = "unauthenticated"


class TooManyConnections(DomainError):
    """The user has as many live WebSocket connections as one may have."""

    code = "too_many_connections"


class Forbidden(DomainError):
    """The caller's role may not use this operation."""

    code = "forbidden"


class OwnRecord(Forbidden):
    """The caller would act on their own record: ops never decide about themselves."""

    code = "own_record"


class NotFound(DomainError):
    """The resource does not exist, or belongs to someone else: the two look alike on purpose."""

    code = "not_found"


class Conflict(DomainError):
    """The request clashes with what is already recorded."""

    code = "conflict"


class AlreadyRated(Conflict):
    """The same rating was submitted before: it is stored once, and this attempt changed nothing."""

    code = "already_rated"


class Unprocessable(DomainError):
    """The request is well formed but the domain refuses it."""

    code = "unprocessable"


class RetailerNotOnboarded(Forbidden):
    """A retailer user whose store ops have not onboarded: it may not submit orders yet."""

    code = "retailer_not_onboarded"


class Deactivated(Forbidden):
    """Ops deactivated this driver after a review: they take no work until reinstated."""

    code = "deactivated"


class IllegalTransition(Conflict):
    """The order or block is not in a state from which this step can be taken."""

    code = "illegal_transition"


class BlockFull(Conflict):
    """Every place on the block is taken."""

    code = "block_full"


class Overlap(Conflict):
    """The driver already holds a block at that time."""

    code = "overlap"


class OfferExpired(Conflict):
    """An instant offer's window has passed: the order has moved on to the next driver."""

    code = "offer_expired"


class OfferClosed(Conflict):
    """An instant offer was accepted, declined or withdrawn already."""

    code = "offer_closed"


class OrderTaken(Conflict):
    """The order of an instant offer was assigned or cancelled elsewhere: the offer is withdrawn."""

    code = "order_taken"


class DriverBusy(Conflict):
    """The driver already works: they hold an order, or are checked in on a block that has not
    ended. One job at a time."""

    code = "driver_busy"
