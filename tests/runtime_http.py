"""A keep-alive HTTP client of a local runtime as `make run` starts it, for tests over HTTP."""

from __future__ import annotations

import http.client
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import boto3

from infra.local_runtime.client import RuntimeClient, RuntimeProcess


@dataclass(frozen=True)
class Reply:
    status: int
    headers: dict[str, str]
    body: bytes

    @property
    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class Api:
    """A keep-alive HTTP client of one local runtime."""

    base_url: str
    runtime: RuntimeClient
    aws_endpoint: str
    log_path: Path

    def request(
        self,
        method: str,
        path: str,
        *,
        token: str | None = None,
        body: bytes | str | None = None,
        headers: dict[str, str] | None = None,
    ) -> Reply:
        url = urlsplit(self.base_url)
        connection = http.client.HTTPConnection(url.hostname or "127.0.0.1", url.port, timeout=30)
        sent = dict(headers or {})
        if token is not None:
            sent["Authorization"] = f"Bearer {token}"
        data = body.encode() if isinstance(body, str) else body
        try:
            connection.request(method, path, body=data, headers=sent)
            response = connection.getresponse()
            return Reply(
                response.status, {k.lower(): v for k, v in response.getheaders()}, response.read()
            )
        finally:
            connection.close()

    def aws(self, service: str) -> Any:
        return boto3.client(service, endpoint_url=self.aws_endpoint, region_name="us-east-1")  # type: ignore[call-overload]


def start_runtime(template: Path, state_dir: Path, log_path: Path) -> Iterator[Api]:
    with log_path.open("w") as log, RuntimeProcess(template, state_dir, log=log) as runtime:
        yield Api(runtime.api_url, runtime.client, runtime.aws_endpoint, log_path)
