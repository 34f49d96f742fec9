"""Drives a local runtime from outside: the test hooks, `make fire`, and the benchmark.

`RuntimeProcess` starts `python -m infra.local_runtime run` as `make run` does,
on free ports, and stops it; `RuntimeClient` talks to its control endpoint.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any
from urllib.parse import urlencode

from websockets.sync.client import ClientConnection, connect

STATE_FILE = "runtime.json"


@dataclass(frozen=True)
class RuntimeClient:
    control_url: str

    @classmethod
    def from_state(cls, state_dir: Path) -> RuntimeClient:
        state = json.loads((state_dir / STATE_FILE).read_text())
        return cls(state["control"])

    def _call(
        self, method: str, path: str, body: dict[str, Any] | None = None, timeout: float = 60
    ) -> Any:
        request = urllib.request.Request(
            self.control_url + path,
            data=json.dumps(body).encode() if body is not None else None,
            method=method,
            headers={"content-type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310 - loopback
            return json.loads(response.read())

    def status(self) -> dict[str, Any]:
        result: dict[str, Any] = self._call("GET", "/status")
        return result

    def drain(self, timeout: float = 30) -> bool:
        return bool(self._call("POST", "/drain", {"timeout": timeout}, timeout=timeout + 5)["idle"])

    def fire(self, name: str) -> dict[str, Any]:
        result: dict[str, Any] = self._call("POST", f"/schedules/{name}/fire")
        return result

    def advance_clock(self, seconds: float) -> None:
        self._call("POST", "/clock", {"advanceSeconds": seconds})

    def token(self, role: str | list[str], sub: str, ttl_seconds: int = 3600, **claims: Any) -> str:
        body = {"role": role, "sub": sub, "ttlSeconds": ttl_seconds, "claims": claims}
        return str(self._call("POST", "/tokens", body)["token"])

    def invocations(self, since: int = 0) -> list[dict[str, Any]]:
        result: list[dict[str, Any]] = self._call("GET", f"/invocations?since={since}")
        return result

    def websocket(
        self,
        token: str | None = None,
        *,
        query: dict[str, str] | None = None,
        headers: dict[str, str] | None = None,
    ) -> ClientConnection:
        """A client of the runtime's WebSocket API, with the token in the `token` query-string
        parameter as a browser sends it; the handshake's refusal raises InvalidStatus."""
        url = str(self.status()["websocket"])
        params = {**({"token": token} if token is not None else {}), **(query or {})}
        if params:
            url += "?" + urlencode(params)
        return connect(url, additional_headers=headers, open_timeout=30, close_timeout=5)


class RuntimeProcess:
    """`python -m infra.local_runtime run` in a child process, on free ports by default."""

    def __init__(
        self,
        template: Path,
        state_dir: Path,
        *,
        port: int = 0,
        log: IO[str] | None = None,
        extra_args: tuple[str, ...] = (),
        startup_timeout: float = 60,
    ) -> None:
        self.template, self.state_dir, self.port = template, state_dir, port
        self._log, self._extra_args, self._startup_timeout = log, extra_args, startup_timeout
        self._process: subprocess.Popen[bytes] | None = None
        self.state: dict[str, Any] = {}

    def start(self) -> RuntimeProcess:
        state_file = self.state_dir / STATE_FILE
        state_file.unlink(missing_ok=True)
        root = Path(__file__).resolve().parents[2]
        self._process = subprocess.Popen(  # noqa: S603 - our own module
            [
                sys.executable,
                "-m",
                "infra.local_runtime",
                "run",
                "--template",
                str(self.template),
                "--port",
                str(self.port),
                "--control-port",
                "0",
                # Every server on a free port, so that a test runtime never meets `make run`'s.
                "--websocket-port",
                "0",
                "--dashboard-port",
                "0",
                "--identity-port",
                "0",
                "--state-dir",
                str(self.state_dir),
                *self._extra_args,
            ],
            cwd=root,
            stdout=self._log or subprocess.DEVNULL,
            stderr=subprocess.STDOUT if self._log else None,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
            # Its own process group, as a terminal gives `make run`: stop() may signal it whole.
            start_new_session=True,
        )
        deadline = time.monotonic() + self._startup_timeout
        while not state_file.exists():
            if self._process.poll() is not None:
                raise RuntimeError(f"the local runtime exited with {self._process.returncode}")
            if time.monotonic() > deadline:
                self.stop()
                raise TimeoutError("the local runtime did not start in time")
            time.sleep(0.05)
        try:
            self.state = json.loads(state_file.read_text())
        except (OSError, ValueError):
            self.stop()  # never leave a runtime behind that nobody can reach
            raise
        return self

    @property
    def client(self) -> RuntimeClient:
        return RuntimeClient(self.state["control"])

    @property
    def api_url(self) -> str:
        return str(self.state["api"])

    @property
    def aws_endpoint(self) -> str:
        return str(self.state["aws"])

    @property
    def websocket_url(self) -> str | None:
        return self.state.get("websocket")

    @property
    def dashboard_url(self) -> str | None:
        return self.state.get("dashboard")

    @property
    def identity_url(self) -> str | None:
        return self.state.get("identity")

    def stop(self, *, whole_group: bool = False) -> int | None:
        """SIGINT, as Ctrl-C; to the whole process group, as a terminal sends it, if asked."""
        if self._process is None:
            return None
        if self._process.poll() is None:
            if whole_group:
                os.killpg(self._process.pid, signal.SIGINT)
            else:
                self._process.send_signal(signal.SIGINT)
            try:
                self._process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()
        return self._process.returncode

    def __enter__(self) -> RuntimeProcess:
        return self.start()

    def __exit__(self, *_: object) -> None:
        self.stop()
