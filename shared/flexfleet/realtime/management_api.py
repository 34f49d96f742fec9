"""The WebSocket API's @connections management API, through boto3's apigatewaymanagementapi
client: a message posted to one connection, and whether the connection is gone (410)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from mypy_boto3_apigatewaymanagementapi import ApiGatewayManagementApiClient


def endpoint_url(websocket_endpoint: str) -> str:
    """The management API's URL from the stage's WebSocket URL: wss://<id>.execute-api.<region>.
    amazonaws.com/live is posted to at https://… the same; locally ws://127.0.0.1:3001/live at
    http://… the same."""
    for socket_scheme, http_scheme in (("wss://", "https://"), ("ws://", "http://")):
        if websocket_endpoint.startswith(socket_scheme):
            return http_scheme + websocket_endpoint.removeprefix(socket_scheme)
    raise ValueError(f"not a WebSocket URL: {websocket_endpoint!r}")


class ManagementApi:
    def __init__(self, client: Callable[[], ApiGatewayManagementApiClient]) -> None:
        # Made on the first push, not at a cold start that may have nothing to push.
        self._client = client

    def post(self, connection_id: str, frame: bytes) -> bool:
        """Sends one text frame; False if the connection has gone (410 GoneException)."""
        client = self._client()
        try:
            client.post_to_connection(ConnectionId=connection_id, Data=frame)
        except client.exceptions.GoneException:
            return False
        return True
