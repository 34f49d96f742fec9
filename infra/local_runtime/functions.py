"""Function execution: a pool of sandbox processes per function, like Lambda's environments.

Each sandbox is a Python process with the function's own environment, so two
functions never share os.environ or imported modules. A pool grows to its
concurrency limit under load and reuses warm sandboxes. A sandbox that overruns
the function's Timeout is killed, as Lambda does, and the invocation fails.
"""

from __future__ import annotations

import json
import os
import select
import subprocess
import sys
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

SANDBOX_SCRIPT = Path(__file__).with_name("sandbox.py")
INIT_TIMEOUT_SECONDS = 10.0  # Lambda's limit on the init phase


@dataclass(frozen=True)
class FunctionConfig:
    logical_id: str
    name: str
    arn: str
    handler: str
    code_dir: Path
    layer_dirs: tuple[Path, ...]
    environment: dict[str, str]
    timeout: float
    memory_mb: int
    max_concurrency: int = 4


@dataclass(frozen=True)
class Invocation:
    function: str
    request_id: str
    payload: Any
    error: dict[str, Any] | None
    duration_ms: float
    cold_start: bool
    dispatched_at: float = 0.0  # epoch seconds: the event handed to the sandbox, handler starting

    @property
    def ok(self) -> bool:
        return self.error is None

    @property
    def error_type(self) -> str | None:
        return None if self.error is None else str(self.error.get("errorType"))


class SandboxError(Exception):
    def __init__(self, error: dict[str, Any]) -> None:
        super().__init__(error.get("errorMessage"))
        self.error = error


@dataclass(eq=False)
class Sandbox:
    config: FunctionConfig
    process: subprocess.Popen[bytes]
    _buffer: bytearray = field(default_factory=bytearray)
    dispatched_at: float = 0.0

    @classmethod
    def start(cls, config: FunctionConfig, log: IO[str] | None) -> Sandbox:
        env = dict(config.environment)
        env["_LOCAL_SANDBOX_PATH"] = json.dumps(
            [str(config.code_dir), *(str(d) for d in config.layer_dirs)]
        )
        process = subprocess.Popen(  # noqa: S603 - our own interpreter and script
            [sys.executable, "-u", str(SANDBOX_SCRIPT)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=log,
            env=env,
            cwd=config.code_dir,
            # Its own session: a Ctrl-C in the terminal stops the runtime, which then stops it.
            start_new_session=True,
        )
        sandbox = cls(config, process)
        hello = sandbox._read(time.monotonic() + INIT_TIMEOUT_SECONDS)
        if hello is None or "initError" in hello:
            sandbox.kill()
            raise SandboxError(
                (hello or {}).get("initError")
                or {"errorType": "Runtime.InitError", "errorMessage": "init did not finish"}
            )
        return sandbox

    def _read(self, deadline: float) -> dict[str, Any] | None:
        """One protocol line, or None if the deadline passes or the process dies."""
        assert self.process.stdout is not None
        fd = self.process.stdout.fileno()
        while b"\n" not in self._buffer:
            remaining = deadline - time.monotonic()
            if remaining <= 0 or not select.select([fd], [], [], remaining)[0]:
                return None
            chunk = os.read(fd, 1 << 16)
            if not chunk:
                return None
            self._buffer.extend(chunk)
        line, _, rest = bytes(self._buffer).partition(b"\n")
        self._buffer = bytearray(rest)
        message: dict[str, Any] = json.loads(line)
        return message

    def invoke(self, event: Any, request_id: str) -> tuple[Any, dict[str, Any] | None]:
        assert self.process.stdin is not None
        self.dispatched_at = time.time()
        timeout = self.config.timeout
        deadline_ms = int((time.time() + timeout) * 1000)
        request = {
            "event": event,
            "requestId": request_id,
            "deadlineMs": deadline_ms,
            "invokedFunctionArn": self.config.arn,
        }
        try:
            self.process.stdin.write(json.dumps(request).encode() + b"\n")
            self.process.stdin.flush()
        except BrokenPipeError:
            return None, {"errorType": "Runtime.ExitError", "errorMessage": "the sandbox exited"}
        reply = self._read(time.monotonic() + timeout)
        if reply is None:
            timed_out = self.process.poll() is None
            self.kill()
            if timed_out:
                message = f"{request_id} Task timed out after {timeout:.2f} seconds"
                return None, {"errorType": "Sandbox.Timedout", "errorMessage": message}
            return None, {"errorType": "Runtime.ExitError", "errorMessage": "the sandbox exited"}
        return reply.get("payload"), reply.get("error")

    @property
    def alive(self) -> bool:
        return self.process.poll() is None

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait()
        for stream in (self.process.stdin, self.process.stdout):
            if stream is not None:
                stream.close()


class FunctionPool:
    """The warm sandboxes of one function, grown on demand up to its concurrency limit."""

    def __init__(self, config: FunctionConfig, log: IO[str] | None = None) -> None:
        self.config = config
        self._log = log
        self._idle: list[Sandbox] = []
        self._running: set[Sandbox] = set()
        self._count = 0
        self._closed = False
        self._available = threading.Condition()

    def _acquire(self) -> tuple[Sandbox | None, bool]:
        with self._available:
            while not self._idle and self._count >= self.config.max_concurrency:
                self._available.wait()
            if self._closed:
                raise SandboxError({"errorType": "Runtime.Stopped", "errorMessage": "stopped"})
            if self._idle:
                sandbox = self._idle.pop()
                self._running.add(sandbox)
                return sandbox, False
            self._count += 1
        return None, True

    def _release(self, sandbox: Sandbox | None) -> None:
        with self._available:
            if sandbox is not None:
                self._running.discard(sandbox)
            if sandbox is not None and sandbox.alive and not self._closed:
                self._idle.append(sandbox)
            else:
                self._count -= 1
                if sandbox is not None:
                    sandbox.kill()
            self._available.notify()

    def prewarm(self) -> None:
        sandbox, _ = self._acquire()
        if sandbox is None:
            try:
                sandbox = Sandbox.start(self.config, self._log)
            except SandboxError:
                sandbox = None
        self._release(sandbox)

    def invoke(self, event: Any) -> Invocation:
        request_id = str(uuid.uuid4())
        started = time.perf_counter()
        sandbox, cold = self._acquire()
        payload: Any = None
        error: dict[str, Any] | None
        try:
            if sandbox is None:
                sandbox = Sandbox.start(self.config, self._log)
                with self._available:
                    self._running.add(sandbox)
            payload, error = sandbox.invoke(event, request_id)
        except SandboxError as exc:
            error = exc.error
        finally:
            self._release(sandbox)
        duration_ms = (time.perf_counter() - started) * 1000
        dispatched = sandbox.dispatched_at if sandbox is not None else time.time()
        return Invocation(
            self.config.logical_id, request_id, payload, error, duration_ms, cold, dispatched
        )

    @property
    def pids(self) -> list[int]:
        with self._available:
            return [s.process.pid for s in (*self._idle, *self._running)]

    def close(self) -> None:
        with self._available:
            self._closed = True
            doomed, self._idle = [*self._idle, *self._running], []
            self._available.notify_all()
        for sandbox in doomed:
            sandbox.kill()
