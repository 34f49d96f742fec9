"""The process that plays one Lambda execution environment.

The runtime starts it with the function's environment; it imports the handler
once (the init phase), then serves invocations one at a time: a JSON request
per line on stdin, a JSON response per line on the protocol channel. The
function's own prints and logs go to stderr, like Lambda's to CloudWatch.

Standard library only, and run as a script, so the function sees nothing of the
runtime on its sys.path.

`snapshot_restore_py`, which Lambda's Python managed runtimes include for
SnapStart's runtime hooks, is stood in for by a module placed in sys.modules
(never on sys.path), as Lambda's own bootstrap has it imported before the
handler's module. When the function is a SnapStart version
(AWS_LAMBDA_INITIALIZATION_TYPE=snap-start), the sandbox runs the
before-snapshot hooks after init, last registered first, then the
after-restore hooks in order, before the first event: the order Lambda runs
them in, with no snapshot between. A failing hook fails init with
Runtime.BeforeSnapshotError or Runtime.AfterRestoreError.
"""

import importlib
import json
import os
import signal
import sys
import time
import traceback
import types
from collections.abc import Callable
from typing import Any, TextIO

Hook = tuple[Callable[..., Any], tuple[Any, ...], dict[str, Any]]


class LambdaContext:
    def __init__(self, request: dict[str, Any]) -> None:
        self.function_name = os.environ["AWS_LAMBDA_FUNCTION_NAME"]
        self.function_version = os.environ["AWS_LAMBDA_FUNCTION_VERSION"]
        self.memory_limit_in_mb = int(os.environ["AWS_LAMBDA_FUNCTION_MEMORY_SIZE"])
        self.log_group_name = os.environ["AWS_LAMBDA_LOG_GROUP_NAME"]
        self.log_stream_name = os.environ["AWS_LAMBDA_LOG_STREAM_NAME"]
        self.invoked_function_arn = request["invokedFunctionArn"]
        self.aws_request_id = request["requestId"]
        self.identity = None
        self.client_context = None
        self._deadline_ms = int(request["deadlineMs"])

    def get_remaining_time_in_millis(self) -> int:
        return max(0, self._deadline_ms - int(time.time() * 1000))


def _error(exc: BaseException, error_type: str | None = None) -> dict[str, Any]:
    return {
        "errorMessage": str(exc),
        "errorType": error_type or type(exc).__name__,
        "stackTrace": traceback.format_tb(exc.__traceback__),
    }


def _snapshot_restore_module() -> types.ModuleType:
    """A stand-in for snapshot_restore_py 1.0, with its functions and registries."""
    module = types.ModuleType("snapshot_restore_py", "SnapStart runtime hooks (local stand-in).")
    before: list[Hook] = []
    after: list[Hook] = []

    def register_before_snapshot(func: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        before.append((func, args, kwargs))
        return func

    def register_after_restore(func: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        after.append((func, args, kwargs))
        return func

    vars(module).update(
        register_before_snapshot=register_before_snapshot,
        register_after_restore=register_after_restore,
        get_before_snapshot=lambda: before,
        get_after_restore=lambda: after,
        _before_snapshot_registry=before,
        _after_restore_registry=after,
    )
    return module


def _run_snapstart_hooks(hooks: types.ModuleType) -> dict[str, Any] | None:
    """Before-snapshot hooks last registered first, then after-restore hooks; an init error."""
    before: list[Hook] = hooks.get_before_snapshot()
    try:
        while before:
            func, args, kwargs = before.pop()
            func(*args, **kwargs)
    except Exception as exc:  # noqa: BLE001 - reported to the runtime as Lambda would
        traceback.print_exc()
        return _error(exc, "Runtime.BeforeSnapshotError")
    try:
        for func, args, kwargs in hooks.get_after_restore():
            func(*args, **kwargs)
    except Exception as exc:  # noqa: BLE001
        traceback.print_exc()
        return _error(exc, "Runtime.AfterRestoreError")
    return None


def _send(channel: TextIO, message: str) -> None:
    channel.write(message + "\n")
    channel.flush()


def main() -> None:
    # The runtime stops sandboxes itself; a Ctrl-C meant for it must not interrupt a handler.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    # Put the function's code and layers first, and the runtime's own folder nowhere.
    sys.path.pop(0)
    sys.path[0:0] = json.loads(os.environ.pop("_LOCAL_SANDBOX_PATH"))
    channel = os.fdopen(os.dup(1), "w", encoding="utf-8")
    os.dup2(2, 1)
    sys.stdout.reconfigure(line_buffering=True)  # type: ignore[union-attr]

    started = time.perf_counter()
    hooks = sys.modules["snapshot_restore_py"] = _snapshot_restore_module()
    module_name, _, handler_name = os.environ["_HANDLER"].rpartition(".")
    try:
        module = importlib.import_module(module_name.replace("/", "."))
    except Exception as exc:  # noqa: BLE001 - reported to the runtime as Lambda would
        traceback.print_exc()
        _send(channel, json.dumps({"initError": _error(exc, "Runtime.ImportModuleError")}))
        return
    handler = getattr(module, handler_name, None)
    if handler is None:
        missing = AttributeError(f"Handler '{handler_name}' missing on module '{module_name}'")
        _send(channel, json.dumps({"initError": _error(missing, "Runtime.HandlerNotFound")}))
        return
    if os.environ.get("AWS_LAMBDA_INITIALIZATION_TYPE") == "snap-start":
        failed = _run_snapstart_hooks(hooks)
        if failed is not None:
            _send(channel, json.dumps({"initError": failed}))
            return
    init_ms = (time.perf_counter() - started) * 1000
    _send(channel, json.dumps({"ready": True, "initMs": init_ms}))

    for line in sys.stdin.buffer:
        request = json.loads(line)
        try:
            result = handler(request["event"], LambdaContext(request))
        except Exception as exc:  # noqa: BLE001 - a function error, as Lambda reports it
            print(f"[ERROR] {type(exc).__name__}: {exc}", file=sys.stderr)
            traceback.print_exc()
            _send(channel, json.dumps({"error": _error(exc)}))
            continue
        try:
            payload = json.dumps(result)
        except (TypeError, ValueError) as exc:
            _send(channel, json.dumps({"error": _error(exc, "Runtime.MarshalError")}))
            continue
        _send(channel, '{"payload": ' + payload + "}")


if __name__ == "__main__":
    main()
