"""Function execution: a pool of sandbox processes per function, like Lambda's environments.

Each sandbox is a Python process with the function's own environment, so two
functions never share os.environ or imported modules. A pool grows to its
concurrency limit under load and reuses warm sandboxes. A sandbox that overruns
the function's Timeout is killed, as Lambda does, and the invocation fails with
Sandbox.Timedout. A sandbox that dies during an invocation (an exit, a signal)
fails it as Lambda reports a runtime exit: Runtime.ExitError, "Runtime exited
with error: exit status 3" or "signal: killed" (Go's words, as Lambda's are).
A sandbox that died while idle is never handed an event: the next invocation
gets a fresh one, a cold start.
"""

from __future__ import annotations

import contextlib
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
# How Lambda's runtime exit message names a signal: Go's ProcessState wording.
_SIGNAL_WORDS = {
    1: "hangup",
    2: "interrupt",
    3: "quit",
    4: "illegal instruction",
    5: "trace/breakpoint trap",
    6: "aborted",
    7: "bus error",
    8: "floating point exception",
    9: "killed",
    10: "user defined signal 1",
    11: "segmentation fault",
    12: "user defined signal 2",
    13: "broken pipe",
    14: "alarm clock",
    15: "terminated",
}


def exit_reason(returncode: int) -> str:
    """How Lambda words a runtime's exit: "Runtime exited with error: signal: killed" and so on."""
    if returncode == 0:
        return "Runtime exited without providing a reason"
    if returncode < 0:
        return "Runtime exited with error: signal: " + _SIGNAL_WORDS.get(
            -returncode, f"signal {-returncode}"
        )
    return f"Runtime exited with error: exit status {returncode}"


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


class _SandboxExited(Exception):
    """The sandbox closed its protocol channel: it has exited, or is exiting."""


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
        try:
            hello = sandbox._read(time.monotonic() + INIT_TIMEOUT_SECONDS)
        except _SandboxExited:
            hello = None
        if hello is None or "initError" in hello:
            sandbox.kill()
            raise SandboxError(
                (hello or {}).get("initError")
                or {"errorType": "Runtime.InitError", "errorMessage": "init did not finish"}
            )
        return sandbox

    def _read(self, deadline: float) -> dict[str, Any] | None:
        """One protocol line, or None if the deadline passes; _SandboxExited if it dies."""
        assert self.process.stdout is not None
        fd = self.process.stdout.fileno()
        while b"\n" not in self._buffer:
            remaining = deadline - time.monotonic()
            if remaining <= 0 or not select.select([fd], [], [], remaining)[0]:
                return None
            chunk = os.read(fd, 1 << 16)
            if not chunk:
                raise _SandboxExited
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
            reply = self._read(time.monotonic() + timeout)
        except (_SandboxExited, BrokenPipeError):
            return None, self._exit_error(request_id)
        if reply is None:
            self.kill()
            message = f"{request_id} Task timed out after {timeout:.2f} seconds"
            return None, {"errorType": "Sandbox.Timedout", "errorMessage": message}
        return reply.get("payload"), reply.get("error")

    def _exit_error(self, request_id: str) -> dict[str, Any]:
        """The error Lambda reports when the runtime process ends during an invocation."""
        try:
            returncode = self.process.wait(timeout=INIT_TIMEOUT_SECONDS)
        except subprocess.TimeoutExpired:
            # It closed its channel yet lives on: it can serve no one, so it goes.
            self.kill()
            returncode = self.process.returncode
        message = f"RequestId: {request_id} Error: {exit_reason(returncode)}"
        return {"errorType": "Runtime.ExitError", "errorMessage": message}

    @property
    def alive(self) -> bool:
        return self.process.poll() is None

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait()
        for stream in (self.process.stdin, self.process.stdout):
            if stream is not None:
                # Closing flushes: a request it never read must not raise here.
                with contextlib.suppress(OSError):
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
        """A warm sandbox, or (None, True): the caller starts one, counted already."""
        dead: list[Sandbox] = []
        try:
            with self._available:
                while True:
                    while not self._idle and self._count >= self.config.max_concurrency:
                        self._available.wait()
                    if self._closed:
                        raise SandboxError(
                            {"errorType": "Runtime.Stopped", "errorMessage": "stopped"}
                        )
                    if not self._idle:
                        self._count += 1
                        return None, True
                    sandbox = self._idle.pop()
                    if sandbox.alive:
                        self._running.add(sandbox)
                        return sandbox, False
                    # It died while idle (killed, out of memory): it is no environment any more.
                    self._count -= 1
                    dead.append(sandbox)
        finally:
            for sandbox in dead:
                sandbox.kill()

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
