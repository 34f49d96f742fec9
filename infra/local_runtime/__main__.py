"""`python -m infra.local_runtime run | token | fire`: the local runtime's command line."""

from __future__ import annotations

import argparse
import json
import signal
import sys
import threading
import urllib.error
from pathlib import Path
from typing import Any

from infra.local_runtime.client import STATE_FILE, RuntimeClient
from infra.local_runtime.http_server import PortUnavailable

ROOT = Path(__file__).resolve().parents[2]


def _run(args: argparse.Namespace) -> int:
    # Importing moto and boto3 takes a second or two: say at once that something is happening.
    print("starting the local runtime …", file=sys.stderr, flush=True)
    from infra.local_runtime.control import control_server
    from infra.local_runtime.custom_resources import CustomResourceFailed
    from infra.local_runtime.runtime import LocalRuntime, configure_logging

    configure_logging()
    overrides = dict(item.split("=", 1) for item in args.parameter)
    runtime = LocalRuntime(
        args.template,
        host=args.host,
        port=args.port,
        aws_port=args.aws_port,
        websocket_port=args.websocket_port,
        dashboard_port=args.dashboard_port,
        identity_port=args.identity_port,
        state_dir=args.state_dir,
        parameter_overrides=overrides,
    )
    stopping = threading.Event()
    signal.signal(signal.SIGINT, lambda *_: stopping.set())
    signal.signal(signal.SIGTERM, lambda *_: stopping.set())
    state_file = args.state_dir / STATE_FILE
    try:
        # Every port is taken before anything starts, so a busy one fails at once.
        control = control_server(runtime, port=args.control_port)
    except PortUnavailable as refused:
        print(_cannot_listen(refused), file=sys.stderr)
        return 1
    # Serving before the runtime starts: custom resources PUT their responses to it at start.
    control.start()
    try:
        runtime.start(control_url=control.url)
    except PortUnavailable as refused:
        control.stop()
        print(_cannot_listen(refused), file=sys.stderr)
        return 1
    except CustomResourceFailed as failed:
        control.stop()
        print(f"cannot start the local runtime: {failed}", file=sys.stderr)
        return 1
    except BaseException:
        control.stop()
        raise
    try:
        state = {"api": runtime.api_url, "aws": runtime.aws_endpoint, "control": control.url}
        served = {
            "websocket": runtime.websocket_url,
            "dashboard": runtime.dashboard_url,
            "identity": runtime.identity_url,
        }
        state.update({name: url for name, url in served.items() if url is not None})
        # Written whole, then renamed: whoever polls for the file never reads half of it.
        partial = state_file.with_suffix(".partial")
        partial.write_text(json.dumps(state))
        partial.replace(state_file)
        _banner(runtime.status(), control.url)
        stopping.wait()
    finally:
        print("\nstopping the local runtime ...", file=sys.stderr)
        state_file.unlink(missing_ok=True)
        control.stop()
        runtime.stop()
    return 0


# Whose port it is, the option that sets it, and a command line that avoids the clash.
_ELSEWHERE = (
    'make run ARGS="--port 3100 --websocket-port 3101 --dashboard-port 3102 '
    '--identity-port 3103 --control-port 3104"'
)
_PORTS = {
    "http-api": ("the HTTP API", "--port", _ELSEWHERE),
    "websocket": ("the WebSocket API", "--websocket-port", _ELSEWHERE),
    "dashboard": ("the dashboard", "--dashboard-port", _ELSEWHERE),
    "identity": ("the identity provider", "--identity-port", _ELSEWHERE),
    "control": ("the control endpoint", "--control-port", _ELSEWHERE),
    "aws": ("AWS (moto)", "--aws-port", 'make run ARGS="--aws-port 0"  (0: any free port)'),
}


def _cannot_listen(refused: PortUnavailable) -> str:
    named, option, example = _PORTS[refused.service]
    problem = "is in use" if refused.in_use else f"cannot be used: {refused.strerror}"
    lines = [f"cannot start the local runtime: port {refused.port} ({named}, {option}) {problem}."]
    if refused.in_use:
        lines.append("Is the runtime running already? Stop it, or run this one on other ports:")
    else:
        lines.append("Run it on other ports:")
    lines.append(f"  {example}")
    return "\n".join(lines)


def _banner(status: dict[str, Any], control_url: str) -> None:
    lines = [f"HTTP API      {status['api']}"]
    if status.get("websocket"):
        lines.append(f"WebSocket     {status['websocket']}?token=<ID token>")
    if status.get("dashboard"):
        lines.append(f"dashboard     {status['dashboard']}   (open it in a browser and sign in)")
    if status.get("identity"):
        lines.append(f"identity      {status['identity']}   (OAuth 2.0 sign-in, JWKS)")
    lines += [
        f"AWS (moto)    {status['aws']}   (AWS_ENDPOINT_URL for the aws CLI and boto3)",
        f"control       {control_url}",
        "functions     " + ", ".join(status["functions"]),
    ]
    lines += [f"stream        {s['function']} <- {s['streamArn']}" for s in status["streams"]]
    lines += [f"schedule      {s['name']} {s['expression']}" for s in status["schedules"]]
    lines += [
        f"custom        {c['logicalId']} ({c['type']}) = {c['physicalId']}"
        for c in status["customResources"]
    ]
    lines += [f"output        {k} = {v}" for k, v in status["outputs"].items()]
    lines.append("ready; Ctrl-C stops it")
    print("\n".join(lines), file=sys.stderr, flush=True)


def _token(args: argparse.Namespace) -> int:
    from infra.local_runtime.runtime import LocalRuntime

    runtime = LocalRuntime(args.template, state_dir=args.state_dir)
    if (args.state_dir / STATE_FILE).exists():
        runtime.clock.follow()  # a runtime runs: mint at its time, which tests may have moved
    print(runtime.token(args.role.split(","), args.sub, ttl_seconds=args.ttl))
    return 0


def _fire(args: argparse.Namespace) -> int:
    try:
        client = RuntimeClient.from_state(args.state_dir)
    except FileNotFoundError:
        print("no local runtime is running: start it with `make run`", file=sys.stderr)
        return 1
    try:
        result = client.fire(args.name)
    except urllib.error.HTTPError as refused:
        print(json.loads(refused.read() or b"{}").get("message", refused.reason), file=sys.stderr)
        return 1
    print(json.dumps(result, indent=2))
    return 0 if result.get("error") is None else 1


def main(argv: list[str] | None = None) -> int:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--template", type=Path, default=ROOT / "template.yaml")
    common.add_argument(
        "--state-dir", type=Path, default=ROOT / ".local", help="signing key and runtime.json"
    )
    parser = argparse.ArgumentParser(prog="python -m infra.local_runtime")
    commands = parser.add_subparsers(dest="command", required=True)

    run = commands.add_parser(
        "run",
        parents=[common],
        help="run the template: API, moto, streams, schedules, custom resources",
    )
    run.add_argument("--host", default="127.0.0.1")
    run.add_argument("--port", type=int, default=3000, help="the HTTP API's port (0: any free one)")
    run.add_argument("--aws-port", type=int, default=0, help="moto's port (0: any free one)")
    run.add_argument(
        "--websocket-port",
        type=int,
        default=3001,
        help="the WebSocket API's port (0: any free one)",
    )
    run.add_argument(
        "--dashboard-port", type=int, default=3002, help="the dashboard's port (0: any free one)"
    )
    run.add_argument(
        "--identity-port",
        type=int,
        default=3003,
        help="the identity provider's port (0: any free one)",
    )
    run.add_argument("--control-port", type=int, default=3004, help="the control endpoint's port")
    run.add_argument("--parameter", action="append", default=[], metavar="NAME=VALUE")
    run.set_defaults(action=_run)

    token = commands.add_parser(
        "token", parents=[common], help="print a bearer token the local authorizer accepts"
    )
    token.add_argument("--role", default="driver", help="one group, or several separated by commas")
    token.add_argument("--sub", default="d-123", help="the caller's id")
    token.add_argument("--ttl", type=int, default=3600, help="seconds until it expires")
    token.set_defaults(action=_token)

    fire = commands.add_parser(
        "fire", parents=[common], help="fire a schedule now on the running runtime"
    )
    fire.add_argument("name", help="Function, or Function.Event")
    fire.set_defaults(action=_fire)

    args = parser.parse_args(argv)
    args.state_dir.mkdir(parents=True, exist_ok=True)
    return int(args.action(args))


if __name__ == "__main__":
    raise SystemExit(main())
