"""The WebSocket API's routes: a connection recorded on $connect for the user the authorizer let
in, until its token expires, unless the user has MAX_CONNECTIONS_PER_USER already; forgotten on
$disconnect; and a client's messages answered on $default (a ping gets a pong, anything else an
error frame that names the problem)."""

from __future__ import annotations

import json
import math
from datetime import UTC, datetime
from typing import Any, Protocol

from flexfleet.clock import Clock, utc_now
from flexfleet.errors import TooManyConnections, Unauthenticated
from flexfleet.identity import parse_groups
from flexfleet.realtime import config
from flexfleet.realtime.model import Connection

PONG = {"type": "pong"}


class ConnectionStore(Protocol):
    def add(self, connection: Connection) -> None: ...
    def live_count(self, user_id: str) -> int: ...
    def remove(self, connection_id: str) -> None: ...


class Posting(Protocol):
    def post(self, connection_id: str, frame: bytes) -> bool:
        """False if the connection has gone."""


def error_frame(code: str, message: str) -> dict[str, str]:
    """What a client is told about a message it sent that could not be used."""
    return {"type": "error", "code": code, "message": message}


def answer_to(body: str | None) -> dict[str, str]:
    """The answer to one client message: a pong to {"action": "ping"}, else an error frame.

    Whatever a client sends gets a frame, never an exception: an exception here would be a
    failed invocation, an errors alarm and an "Internal server error" frame, for a message.
    """
    if not body:
        return error_frame("empty_message", 'a message is a JSON object such as {"action":"ping"}')
    if len(body.encode()) > config.MAX_CLIENT_MESSAGE_BYTES:
        return error_frame(
            "message_too_large",
            f"a message is at most {config.MAX_CLIENT_MESSAGE_BYTES} bytes",
        )
    try:
        value = json.loads(body)
    except RecursionError:
        # Some 3000 `[` fit in the size limit, and json recurses once a level: a stack overflow
        # that is not a ValueError.
        return error_frame("too_deep", 'a message nests too deep to read: send {"action":"ping"}')
    except ValueError:
        return error_frame("not_json", 'a message is a JSON object such as {"action":"ping"}')
    action = value.get("action") if isinstance(value, dict) else None
    if not isinstance(action, str):
        return error_frame("no_action", 'a message needs "action", a string: "ping"')
    if action != "ping":
        shown = action if len(action) <= 40 else action[:40] + "…"
        return error_frame("unknown_action", f'no action {shown!r}: the one action is "ping"')
    return PONG


def expiry(connected_at: datetime, token_exp: object) -> datetime:
    """When a connection stops being pushed to: its token's exp (the authorizer's context
    carries it, a string of epoch seconds), or API Gateway's two hours if those come first.

    Groups are read from the token once, at $connect; past the token's exp they may no longer be
    the user's (a driver deactivated, a role taken away), and a token lasts an hour where a
    connection may last two. The dashboard ends its session when its token expires and connects
    again with a fresh one. An exp missing or unreadable falls back to the two hours.
    """
    longest = connected_at + config.CONNECTION_LIFETIME
    try:
        exp = float(str(token_exp))
    except ValueError:
        return longest
    if not math.isfinite(exp) or exp >= longest.timestamp():
        return longest
    if exp <= connected_at.timestamp():
        return connected_at  # expired already
    return datetime.fromtimestamp(exp, UTC)


class Connections:
    def __init__(self, store: ConnectionStore, posting: Posting, clock: Clock = utc_now) -> None:
        self._store = store
        self._posting = posting
        self._clock = clock

    def connect(self, connection_id: str, authorizer: dict[str, Any] | None) -> Connection:
        """Records the connection of the user the REQUEST authorizer let in (its context), to be
        pushed to until its token expires; TooManyConnections if the user has as many unexpired
        ones as MAX_CONNECTIONS_PER_USER. Two $connects at once may both pass the count, one
        over: the notifier bounds what it posts to as well."""
        authorizer = authorizer or {}
        user = authorizer.get("sub") or authorizer.get("principalId")
        if not isinstance(user, str) or not user:
            raise Unauthenticated("the connection carries no verified identity")
        now = self._clock()
        expires_at = expiry(now, authorizer.get("exp"))
        if expires_at <= now:
            raise Unauthenticated("the connection's token has expired")
        if self._store.live_count(user) >= config.MAX_CONNECTIONS_PER_USER:
            raise TooManyConnections(
                f"a user has at most {config.MAX_CONNECTIONS_PER_USER} live connections"
            )
        connection = Connection(
            connection_id=connection_id,
            user_id=user,
            groups=parse_groups(authorizer.get("groups")),
            connected_at=now,
            expires_at=expires_at,
        )
        self._store.add(connection)
        return connection

    def disconnect(self, connection_id: str) -> None:
        self._store.remove(connection_id)

    def answer(self, connection_id: str, body: str | None) -> dict[str, str]:
        """Answers a client's message on its own connection; what was answered."""
        answer = answer_to(body)
        if not self._posting.post(connection_id, json.dumps(answer).encode()):
            self._store.remove(connection_id)
        return answer
