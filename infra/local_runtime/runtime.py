"""LocalRuntime: template.yaml running on this machine, from moto to the HTTP API."""

from __future__ import annotations

import io
import json
import logging
import os
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import IO, Any

import boto3
from moto.moto_api._internal.models import moto_api_backend
from moto.moto_server.werkzeug_app import (
    DomainDispatcherApplication,
    MotoRequestHandler,
    create_backend_app,
)
from werkzeug.serving import BaseWSGIServer, make_server

from infra.local_runtime.authorizer import JwtAuthorizer, SigningKey, cognito_id_token_claims
from infra.local_runtime.cors import CorsPolicy
from infra.local_runtime.custom_resources import (
    RESPONSES_PATH,
    CreatedResource,
    CustomResourceCreator,
    ResponseInbox,
    creation_order,
    service_function,
)
from infra.local_runtime.dashboard import DashboardServer, site_directory
from infra.local_runtime.functions import FunctionConfig, FunctionPool, Invocation
from infra.local_runtime.gateway import HttpApiGateway, HttpResponse, Route, map_response
from infra.local_runtime.http_server import ServingThread, listening_socket
from infra.local_runtime.identity import USER_POOL, USER_POOL_CLIENT, IdentityProvider
from infra.local_runtime.resources import create_queues, create_tables
from infra.local_runtime.schedules import Schedule, Scheduler
from infra.local_runtime.stack import Stack, referenced_names
from infra.local_runtime.streams import ShardPoller, StreamMapping, shard_ids, table_of
from infra.local_runtime.template import (
    HTTP_API,
    LAYER,
    QUEUE,
    TABLE,
    FunctionDefinition,
    Template,
    TemplateError,
)
from infra.local_runtime.websocket import websocket_api
from infra.local_runtime.websocket_server import WebSocketServer
from infra.site_config import site_config

log = logging.getLogger("flexfleet.local")

# Where the runtime publishes its clock's offset for the functions, in its state directory.
CLOCK_FILE = "clock.json"
# The template parameter that names the dashboard's origin; the runtime sets it to its own.
DASHBOARD_ORIGIN = "DashboardOrigin"

LOCAL_CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing",
}


class Clock:
    """Wall-clock time that tests may move forward, for record ages, schedules and token expiry.

    The functions see it too: `publish()` writes the offset to `file` as
    `{"offsetSeconds": s}`, and every move rewrites it before `advance` returns. The file is
    written whole and renamed into place, so a function never reads half of it.
    """

    def __init__(self, file: Path | None = None) -> None:
        self.offset = 0.0
        self.file = file
        self._lock = threading.Lock()
        self._published = False
        self._moves: list[tuple[float, float]] = []  # (real time of a move, offset after it)

    def __call__(self) -> float:
        return time.time() + self.offset

    def at(self, real: float) -> float:
        """What this clock read at a real moment: moto stamps stream records with the real time,
        and a record made after a move must not look as old as the move."""
        offset = 0.0
        for moved_at, after in self._moves:
            if moved_at > real:
                break
            offset = after
        return real + offset

    def advance(self, seconds: float) -> None:
        # One move at a time: the file must end with the last offset, not a stale one.
        with self._lock:
            self.offset += seconds
            self._moves.append((time.time(), self.offset))
            self.publish()

    def publish(self) -> None:
        if self.file is None:
            return
        self.file.parent.mkdir(parents=True, exist_ok=True)
        fd, partial = tempfile.mkstemp(dir=self.file.parent, prefix=f".{self.file.name}.")
        with os.fdopen(fd, "w") as out:
            json.dump({"offsetSeconds": self.offset}, out)
        os.replace(partial, self.file)
        self._published = True

    def withdraw(self) -> None:
        """Removes the file this clock published; one it never wrote may be another runtime's."""
        if self.file is not None and self._published:
            self.file.unlink(missing_ok=True)
            self._published = False

    def follow(self) -> None:
        """Takes the offset the file holds, if any: a token minted beside a running runtime is
        minted at that runtime's time."""
        if self.file is not None and self.file.exists():
            self.offset = float(json.loads(self.file.read_text())["offsetSeconds"])


Tables = frozenset[str] | None  # the tables a write touched; None when it can't be told


def written_tables(operation: str, body: bytes) -> Tables:
    """The tables a DynamoDB write request names: its stream pollers are the ones to wake.
    None (wake them all) for PartiQL, whose tables are in its statements, and for a body that
    does not parse: the request then fails, or is moto's to judge."""
    try:
        request = json.loads(body)
        if operation in ("PutItem", "UpdateItem", "DeleteItem"):
            names = [request["TableName"]]
        elif operation == "BatchWriteItem":
            names = list(request["RequestItems"].keys())
        elif operation == "TransactWriteItems":
            names = [next(iter(item.values()))["TableName"] for item in request["TransactItems"]]
        else:
            return None
    except (ValueError, TypeError, KeyError, AttributeError, StopIteration, RecursionError):
        return None
    # DynamoDB takes a table's ARN wherever it takes its name.
    return frozenset(table_of(str(n)) for n in names)


def _sized(environ: dict[str, Any]) -> bool:
    """A body of a stated length (boto3's always is), not chunked: one that can be read ahead
    of moto. Any other is left to moto whole, and its write wakes every poller."""
    length = str(environ.get("CONTENT_LENGTH") or "")
    return length.isascii() and length.isdigit() and not environ.get("wsgi.input_terminated")


class DynamoDbSerialised:
    """moto's WSGI app, answering one DynamoDB (or DynamoDB Streams) request at a time.

    DynamoDB makes each conditional write and each transaction atomic, and the product's
    idempotency and capacity rest on that. moto's server answers on many threads, and its
    DynamoDB backend takes no lock: two conditional writes may both pass their check before
    either writes, and a refused transaction puts back a deep copy of each table it touched,
    over whatever other requests wrote meanwhile (and over their stream records). Run one at a
    time, each request is atomic, as in AWS. The other services stay concurrent; the streams
    API shares the lock because it reads the same tables. The whole answer is produced inside
    the lock: a WSGI app may defer its work to the iteration of its body.

    A write, once served, calls `on_write` with the tables it named, so that only the pollers
    of those tables' streams read again: waking all of them on every write made most of
    moto's requests under load GetRecords that found nothing."""

    TARGETS = ("DynamoDB_", "DynamoDBStreams_")  # X-Amz-Target of DynamoDB's JSON protocol
    # The operations that may add stream records: each wakes its tables' pollers once served.
    WRITES = frozenset(
        {
            "PutItem",
            "UpdateItem",
            "DeleteItem",
            "BatchWriteItem",
            "TransactWriteItems",
            "ExecuteStatement",
            "BatchExecuteStatement",
            "ExecuteTransaction",
        }
    )

    def __init__(self, app: Any, on_write: Callable[[Tables], None] = lambda _: None) -> None:
        self._app = app
        self._lock = threading.Lock()
        self.on_write = on_write

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        target = str(environ.get("HTTP_X_AMZ_TARGET", ""))
        if not target.startswith(self.TARGETS):
            return self._app(environ, start_response)
        operation = target.rsplit(".", 1)[-1]
        write = target.startswith("DynamoDB_") and operation in self.WRITES
        written: Tables = None
        if write and _sized(environ):
            # Read here to learn the tables, and handed on to moto unchanged.
            body = environ["wsgi.input"].read(int(environ["CONTENT_LENGTH"]))
            environ["wsgi.input"] = io.BytesIO(body)
            written = written_tables(operation, body)
        with self._lock:
            response = self._app(environ, start_response)
            try:
                answer = [b"".join(response)]
            finally:
                if hasattr(response, "close"):
                    response.close()
        if write:
            self.on_write(written)
        return answer


class MotoServer(ServingThread):
    """moto's server on its own thread, with DynamoDB's requests atomic (DynamoDbSerialised).
    Its port is taken in the caller's thread, so a busy one fails at once with PortUnavailable
    (moto's ThreadedMotoServer would wait forever)."""

    def __init__(
        self, host: str, port: int, on_write: Callable[[Tables], None] = lambda _: None
    ) -> None:
        listening = listening_socket("aws", host, port)
        try:
            server: BaseWSGIServer = make_server(
                host,
                listening.getsockname()[1],
                DynamoDbSerialised(DomainDispatcherApplication(create_backend_app), on_write),
                threaded=True,
                request_handler=MotoRequestHandler,
                fd=listening.fileno(),
            )
        finally:
            listening.close()  # the server holds its own duplicate of the socket
        super().__init__(server, "moto")


@dataclass(frozen=True)
class _Published:
    """What a function's triggers invoke: $LATEST, or the version behind AutoPublishAlias."""

    version: str
    qualifier: str  # appended to the function's ARN: "" or ":live"
    snap_start: bool


def _published(props: dict[str, Any]) -> _Published:
    """With AutoPublishAlias, SAM points every trigger at the alias, so Lambda invokes the
    version it names: the context's ARN ends with `:live` and the version is a number. Locally
    that is always version 1. SnapStart applies to published versions only."""
    alias = props.get("AutoPublishAlias")
    if not alias:
        return _Published("$LATEST", "", snap_start=False)
    apply_on = (props.get("SnapStart") or {}).get("ApplyOn")
    return _Published("1", f":{alias}", snap_start=apply_on == "PublishedVersions")


def _log_controls(logging_config: dict[str, Any]) -> dict[str, str]:
    """What Lambda's advanced logging controls put in the environment of a JSON-logging function.

    Lambda sets AWS_LAMBDA_LOG_FORMAT and AWS_LAMBDA_LOG_LEVEL (INFO unless ApplicationLogLevel
    says otherwise); Powertools' Logger lets the latter win over POWERTOOLS_LOG_LEVEL. Lambda
    also drops application logs below that level and system logs below SystemLogLevel; here
    the function's own logs go to the terminal unfiltered, and there are no system logs.
    """
    if str(logging_config.get("LogFormat", "Text")).upper() != "JSON":
        return {}
    level = str(logging_config.get("ApplicationLogLevel") or "INFO").upper()
    return {"AWS_LAMBDA_LOG_FORMAT": "JSON", "AWS_LAMBDA_LOG_LEVEL": level}


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


@dataclass(frozen=True)
class InvocationEntry:
    sequence: int
    function: str
    trigger: str
    request_id: str
    started: float  # epoch seconds, on the runtime's clock
    duration_ms: float
    outcome: str
    cold_start: bool
    status: int | None = None  # the HTTP status the client got, for an HTTP trigger


@dataclass
class Activity:
    """Counts what happens, so that drain() can tell a quiet runtime from a busy one."""

    events: int = 0
    in_flight: int = 0

    def __post_init__(self) -> None:
        self.lock = threading.Lock()

    def touch(self) -> None:
        with self.lock:
            self.events += 1

    @contextmanager
    def busy(self) -> Iterator[None]:
        with self.lock:
            self.in_flight += 1
            self.events += 1
        try:
            yield
        finally:
            with self.lock:
                self.in_flight -= 1
                self.events += 1


def _error(invocation: Invocation) -> str:
    return f"error {invocation.error_type}: {(invocation.error or {}).get('errorMessage', '')}"


def _outcome(invocation: Invocation) -> str:
    if invocation.ok:
        failures = (
            invocation.payload.get("batchItemFailures")
            if isinstance(invocation.payload, dict)
            else None
        )
        return f"ok, {len(failures)} item failures" if failures else "ok"
    return _error(invocation)[:200]


def _http_outcome(invocation: Invocation, status: int) -> str:
    """What an HTTP caller got: the status, and the function's error when there was one."""
    return (str(status) if invocation.ok else f"{status} {_error(invocation)}")[:200]


class LocalRuntime:
    def __init__(
        self,
        template_path: Path,
        *,
        host: str = "127.0.0.1",
        port: int = 3000,
        aws_port: int = 0,
        websocket_port: int = 3001,
        dashboard_port: int = 3002,
        identity_port: int = 3003,
        state_dir: Path = Path(".local"),
        function_log: IO[str] | None = None,
        stack_name: str = "flexfleet",
        region: str = "us-east-1",
        parameter_overrides: dict[str, str] | None = None,
        max_concurrency: int = 4,
        poll_interval: float = 0.05,
        prewarm: bool = True,
    ) -> None:
        self.template = Template(template_path)
        self.clock = Clock(state_dir.resolve() / CLOCK_FILE)
        self.stack = Stack(
            self.template,
            name=stack_name,
            region=region,
            parameter_overrides=parameter_overrides or {},
        )
        self.state_dir = state_dir
        self.signing_key = SigningKey(state_dir)
        self._host, self._port, self._aws_port = host, port, aws_port
        self._websocket_port, self._dashboard_port = websocket_port, dashboard_port
        self._identity_port = identity_port
        self._function_log = function_log
        self._max_concurrency = max_concurrency
        self._poll_interval = poll_interval
        self._prewarm = prewarm
        self.activity = Activity()
        self.invocations: list[InvocationEntry] = []
        self._log_lock = threading.Lock()
        self.pools: dict[str, FunctionPool] = {}
        self.pollers: list[ShardPoller] = []
        self.scheduler: Scheduler | None = None
        self.gateway: HttpApiGateway | None = None
        self.websocket: WebSocketServer | None = None
        self.dashboard: DashboardServer | None = None
        self.identity: IdentityProvider | None = None
        self._moto: MotoServer | None = None
        # Custom resources PUT their responses to the control endpoint, which hands them here.
        self.responses = ResponseInbox()
        self.custom_resources: list[CreatedResource] = []
        self.ready = False  # True from the end of start() to stop()

    # ---------------------------------------------------------------- start
    def start(self, control_url: str | None = None) -> LocalRuntime:
        """Starts everything; on any failure, stops what had started and raises.

        `control_url` is the control endpoint, serving already: the template's custom resources
        PUT their responses to it (custom_resources.py). A template with none can do without.
        """
        try:
            return self._start(control_url)
        except BaseException:
            self.stop()
            raise

    def _start(self, control_url: str | None) -> LocalRuntime:
        # Every port is taken before anything starts, so that a busy one fails at once.
        self._listen()
        self._moto = MotoServer("127.0.0.1", self._aws_port, on_write=self._wake_pollers)
        self.clock.publish()
        log.info("starting moto on %s …", self._moto.url)
        self._moto.start()
        tables = [t for t in self.template.of_type(TABLE) if self.stack.is_active(t)]
        queues = [q for q in self.template.of_type(QUEUE) if self.stack.is_active(q)]
        log.info("creating %s and %s …", _count(len(tables), "table"), _count(len(queues), "queue"))
        create_tables(self.stack, self.client("dynamodb"))
        create_queues(self.stack, self.client("sqs"))
        custom = creation_order(self.template, self.stack)
        functions = [f for f in self.template.functions if self.stack.is_active(f.logical_id)]
        # A function that references a custom resource needs it created first, as on AWS.
        later = [f for f in functions if referenced_names(f.properties) & set(custom)]
        self._add_functions([f for f in functions if f not in later], "")
        self._create_custom_resources(custom, control_url)
        self._add_functions(later, " that reference custom resources")
        self._start_streams()
        schedules = [
            Schedule.from_event(self.stack, e)
            for e in self.template.event_sources("Schedule", "ScheduleV2")
            if self.stack.is_active(e.function_id)
        ]
        sqs = self.client("sqs")
        self.scheduler = Scheduler(
            schedules,
            self.invoke,
            clock=self.clock,
            busy=self.activity.busy,
            send_failure=lambda url, body: sqs.send_message(QueueUrl=url, MessageBody=body),
        )
        self.scheduler.start()
        assert self.gateway is not None
        self.gateway.server.start()
        for server in (self.dashboard, self.identity):
            if server is not None:
                server.server.start()
        if self.websocket is not None:
            self.websocket.start()
        self.ready = True
        return self

    def _listen(self) -> None:
        """Takes the servers' ports, and gives the stack the addresses they make: the dashboard's
        origin first, since the CORS configuration and the sign-in's callback URLs name it."""
        site = site_directory(self.stack)
        if site is not None:
            self.dashboard = DashboardServer(
                site, self.site_config, host=self._host, port=self._dashboard_port
            )
            if (
                DASHBOARD_ORIGIN in self.template.parameters
                and DASHBOARD_ORIGIN not in self.stack.parameter_overrides
            ):
                self.stack.parameter_overrides[DASHBOARD_ORIGIN] = self.dashboard.url
        self.gateway = HttpApiGateway(
            self._routes(),
            self.invoke_http,
            account_id=self.stack.account_id,
            api_id=self._api_id(),
            host=self._host,
            port=self._port,
            cors=self._cors(),
        )
        api = websocket_api(self.stack)
        if api is not None:
            self.websocket = WebSocketServer(
                api,
                self.stack,
                self.invoke,
                clock=self.clock,
                host=self._host,
                port=self._websocket_port,
            )
            self.stack.attributes[(api.logical_id, "ApiEndpoint")] = self.websocket.url
        pools = [p for p in self.template.of_type(USER_POOL) if self.stack.is_active(p)]
        if pools:
            self.identity = IdentityProvider(
                self.stack,
                self.signing_key,
                clock=self.clock,
                host=self._host,
                port=self._identity_port,
            )
            for pool in pools:
                url = self.identity.provider_url(str(self.stack.ref(pool)))
                self.stack.attributes[(pool, "ProviderURL")] = url

    def _cors(self) -> CorsPolicy | None:
        """The CORS configuration of the template's HttpApi (the local gateway serves one)."""
        for api_id in self.template.of_type(HTTP_API):
            configuration = self.template.http_api_properties(api_id).get("CorsConfiguration")
            if configuration is not None:
                return CorsPolicy.from_configuration(self.stack.resolve(configuration))
        return None

    def site_config(self) -> dict[str, Any]:
        """The dashboard's /config.json, with the runtime's addresses."""
        clients = [c for c in self.template.of_type(USER_POOL_CLIENT) if self.stack.is_active(c)]
        return site_config(
            api=self.api_url,
            websocket=self.websocket.stage_url if self.websocket else "",
            sign_in=self.identity.url if self.identity else "",
            client_id=str(self.stack.ref(clients[0])) if clients else "",
        )

    def _add_functions(self, functions: list[FunctionDefinition], which: str) -> None:
        if not functions:
            return
        added = [FunctionPool(self._function_config(fn), self._function_log) for fn in functions]
        self.pools.update((p.config.logical_id, p) for p in added)
        if self._prewarm:
            log.info("warming %s%s …", _count(len(added), "function"), which)
            with ThreadPoolExecutor(max_workers=4) as pool:
                list(pool.map(lambda p: p.prewarm(), added))

    def _create_custom_resources(self, order: list[str], control_url: str | None) -> None:
        if not order:
            return
        if control_url is None:
            raise TemplateError(
                "the template has custom resources: start the runtime with the control "
                "endpoint's URL, where their responses come"
            )
        creator = CustomResourceCreator(
            self.stack, self.invoke, self.responses, control_url + RESPONSES_PATH
        )
        for logical_id in order:
            token = self.stack.resolve(self.template.properties(logical_id).get("ServiceToken"))
            function_id = service_function(self.stack, logical_id, token, self.pools)
            log.info(
                "creating custom resource %s (%s) with %s …",
                logical_id,
                self.template.resources[logical_id]["Type"],
                function_id,
            )
            created = creator.create(
                logical_id, function_id, self.pools[function_id].config.timeout
            )
            creator.record(created)
            self.custom_resources.append(created)

    @property
    def aws_endpoint(self) -> str:
        assert self._moto is not None, "start() first"
        return self._moto.url

    @property
    def api_url(self) -> str:
        assert self.gateway is not None, "start() first"
        return self.gateway.url

    def client(self, service: str) -> Any:
        """A boto3 client of the runtime's moto server."""
        return boto3.client(
            service,  # type: ignore[call-overload]
            region_name=self.stack.region,
            endpoint_url=self.aws_endpoint,
            aws_access_key_id=LOCAL_CREDENTIALS["AWS_ACCESS_KEY_ID"],
            aws_secret_access_key=LOCAL_CREDENTIALS["AWS_SECRET_ACCESS_KEY"],
            aws_session_token=LOCAL_CREDENTIALS["AWS_SESSION_TOKEN"],
        )

    def _function_config(self, template_fn: FunctionDefinition) -> FunctionConfig:
        """The function's sandbox configuration: its template environment, then what Lambda
        sets itself, then one variable of the local runtime's own:

        LOCAL_RUNTIME_CLOCK_FILE, the absolute path of a file in the state directory
        (`clock.json`, beside runtime.json) holding `{"offsetSeconds": s}`: how far the
        runtime's clock runs ahead of the real time. It exists from start (offset 0) to stop,
        and `POST /clock` rewrites it, atomically, before it answers, so an invocation after
        the answer reads the new offset. A function that wants the moved time reads the file
        at each call; in AWS the variable is not set and the real time is the time.
        """
        # Timeout, MemorySize, CodeUri and Handler may be intrinsics too: read them resolved.
        fn = FunctionDefinition(template_fn.logical_id, self.stack.resolve(template_fn.properties))
        props = fn.properties
        name = self.stack.function_name(fn.logical_id)
        logging_config = props.get("LoggingConfig") or {}
        log_group = logging_config.get("LogGroup") or f"/aws/lambda/{name}"
        layer_dirs = []
        for layer in props.get("Layers") or []:
            owner = next(
                (lid for lid in self.template.of_type(LAYER) if self.stack.ref(lid) == layer), None
            )
            if owner is None:
                raise TemplateError(
                    f"{fn.logical_id}: the local runtime runs only the template's own layers"
                )
            layer_dirs.append(
                self.template.root / str(self.template.properties(owner)["ContentUri"])
            )
        variables = {
            k: str(v) for k, v in ((props.get("Environment") or {}).get("Variables") or {}).items()
        }
        code_dir = self.template.root / fn.code_uri
        published = _published(props)
        environment = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "LANG": "C.UTF-8",
            "TZ": ":UTC",
            **variables,
            # What Lambda sets itself, which a template cannot override.
            **LOCAL_CREDENTIALS,
            "AWS_REGION": self.stack.region,
            "AWS_DEFAULT_REGION": self.stack.region,
            "AWS_ENDPOINT_URL": self.aws_endpoint,
            "AWS_CONFIG_FILE": os.devnull,
            "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
            "AWS_LAMBDA_FUNCTION_NAME": name,
            "AWS_LAMBDA_FUNCTION_VERSION": published.version,
            "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(fn.memory_mb),
            "AWS_LAMBDA_LOG_GROUP_NAME": str(log_group),
            "AWS_LAMBDA_LOG_STREAM_NAME": f"{time.strftime('%Y/%m/%d')}/[{published.version}]local",
            "AWS_LAMBDA_INITIALIZATION_TYPE": (
                "snap-start" if published.snap_start else "on-demand"
            ),
            "AWS_EXECUTION_ENV": f"AWS_Lambda_{props.get('Runtime', 'python')}",
            "AWS_SAM_LOCAL": "true",
            # Not Lambda's: the runtime's own, as the docstring says.
            "LOCAL_RUNTIME_CLOCK_FILE": str(self.clock.file),
            "LAMBDA_TASK_ROOT": str(code_dir),
            "_HANDLER": fn.handler,
            **_log_controls(logging_config),
        }
        reserved = props.get("ReservedConcurrentExecutions")
        return FunctionConfig(
            logical_id=fn.logical_id,
            name=name,
            arn=self.stack.function_arn(fn.logical_id) + published.qualifier,
            handler=fn.handler,
            code_dir=code_dir,
            layer_dirs=tuple(layer_dirs),
            environment=environment,
            timeout=fn.timeout,
            memory_mb=fn.memory_mb,
            max_concurrency=int(reserved) if reserved else self._max_concurrency,
        )

    def _api_id(self) -> str:
        apis = list(self.template.of_type(HTTP_API))
        return self.stack.ref(apis[0]) if apis else "localapi"

    def authorizers(self) -> dict[str, JwtAuthorizer]:
        """Every JWT authorizer of every HttpApi, by `Api.Authorizer`."""
        found = {}
        for api_id in self.template.of_type(HTTP_API):
            auth = self.stack.resolve(self.template.http_api_properties(api_id).get("Auth") or {})
            for name, config in (auth.get("Authorizers") or {}).items():
                jwt_config = config.get("JwtConfiguration")
                if not jwt_config:
                    raise TemplateError(f"{api_id}.{name}: only JWT authorizers run locally")
                source = str(config.get("IdentitySource", "$request.header.Authorization"))
                found[f"{api_id}.{name}"] = JwtAuthorizer(
                    name=name,
                    issuer=str(jwt_config["issuer"]),
                    audience=tuple(str(a) for a in jwt_config.get("audience") or []),
                    jwks=self.signing_key.jwks,
                    identity_header=source.rsplit(".", 1)[-1].lower(),
                    clock=self.clock,
                )
        return found

    def _routes(self) -> list[Route]:
        authorizers = self.authorizers()
        apis = list(self.template.of_type(HTTP_API))
        routes = []
        for event in self.template.event_sources("HttpApi"):
            props = event.properties
            if str(props.get("PayloadFormatVersion", "2.0")) != "2.0":
                raise TemplateError(
                    f"{event.function_id}.{event.name}: only payload format 2.0 runs locally"
                )
            api_ref = props.get("ApiId")
            api_id = api_ref["Ref"] if isinstance(api_ref, dict) else (apis[0] if apis else None)
            api_auth = (
                (self.template.http_api_properties(api_id).get("Auth") or {}) if api_id else {}
            )
            name = (props.get("Auth") or {}).get("Authorizer") or api_auth.get("DefaultAuthorizer")
            if name not in (None, "NONE") and f"{api_id}.{name}" not in authorizers:
                raise TemplateError(
                    f"{event.function_id}.{event.name}: {name} is not a JWT authorizer of "
                    f"{api_id}; the local runtime runs JWT authorizers and NONE"
                )
            authorizer = None if name in (None, "NONE") else authorizers[f"{api_id}.{name}"]
            routes.append(
                Route(
                    method=str(props.get("Method", "ANY"))
                    .upper()
                    .replace("X-AMAZON-APIGATEWAY-ANY-METHOD", "ANY"),
                    path=str(props.get("Path", "$default")),
                    function_id=event.function_id,
                    authorizer=authorizer,
                )
            )
        return routes

    def _start_streams(self) -> None:
        streams, sqs = self.client("dynamodbstreams"), self.client("sqs")
        for event in self.template.event_sources("DynamoDB"):
            mapping = StreamMapping.from_event(self.stack, event)
            if not mapping.enabled:
                continue
            for shard_id in shard_ids(streams, mapping.stream_arn):
                poller = ShardPoller(
                    mapping=mapping,
                    shard_id=shard_id,
                    streams=streams,
                    sqs=sqs,
                    invoke=self.invoke,
                    region=self.stack.region,
                    clock=self.clock,
                    stamp=self.clock.at,
                    poll_interval=self._poll_interval,
                    on_activity=self.activity.touch,
                )
                poller.start()
                self.pollers.append(poller)

    # ------------------------------------------------------------- running
    def _wake_pollers(self, tables: Tables = None) -> None:
        """Wakes the pollers of the streams of `tables`, or every poller."""
        for poller in self.pollers:
            if tables is None or poller.mapping.table_name in tables:
                poller.wake()

    def invoke(self, function_id: str, event: dict[str, Any], trigger: str) -> Invocation:
        """Invokes a function for a stream, a schedule or a test hook, and logs the outcome."""
        with self.activity.busy():
            invocation = self.pools[function_id].invoke(event)
        self._record(function_id, trigger, invocation, _outcome(invocation))
        return invocation

    def invoke_http(self, function_id: str, event: dict[str, Any], trigger: str) -> HttpResponse:
        """Invokes a function for the HTTP API: its answer as HTTP, logged with its status."""
        with self.activity.busy():
            invocation = self.pools[function_id].invoke(event)
        response = map_response(invocation)
        outcome = _http_outcome(invocation, response.status)
        self._record(function_id, trigger, invocation, outcome, response.status)
        return response

    def _record(
        self,
        function_id: str,
        trigger: str,
        invocation: Invocation,
        outcome: str,
        status: int | None = None,
    ) -> None:
        with self._log_lock:
            entry = InvocationEntry(
                sequence=len(self.invocations),
                function=function_id,
                trigger=trigger,
                request_id=invocation.request_id,
                started=invocation.dispatched_at + self.clock.offset,
                duration_ms=round(invocation.duration_ms, 3),
                outcome=outcome,
                cold_start=invocation.cold_start,
                status=status,
            )
            self.invocations.append(entry)
        log.info(
            "%-26s %-34s %9.1f ms  %s%s",
            function_id,
            trigger,
            invocation.duration_ms,
            entry.outcome,
            " (cold start)" if invocation.cold_start else "",
        )

    def fire(self, name: str) -> Invocation:
        """Fires one schedule now: `Function.Event`, or a function with one schedule."""
        assert self.scheduler is not None, "start() first"
        return self.scheduler.fire(self.scheduler.find(name))

    def drain(self, timeout: float = 30.0) -> bool:
        """Waits until every stream is read to its end and nothing is running; False on timeout."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            marker = self.activity.events
            polls = {id(p): p.quiet_polls for p in self.pollers}
            while time.monotonic() < deadline:
                self._wake_pollers()  # read now rather than at the idle interval
                # Two polls: one that began after the snapshot has surely seen every earlier write.
                quiet = all(p.quiet_polls >= polls[id(p)] + 2 and not p.busy for p in self.pollers)
                if quiet and self.activity.in_flight == 0:
                    break
                time.sleep(0.01)
            else:
                return False
            if self.activity.events == marker:
                return True
        return False

    def token(
        self, role: str | list[str], sub: str, *, ttl_seconds: int = 3600, **overrides: Any
    ) -> str:
        """A signed bearer token that the template's first JWT authorizer accepts."""
        authorizer = next(iter(self.authorizers().values()))
        claims = cognito_id_token_claims(
            issuer=authorizer.issuer,
            audience=authorizer.audience[0],
            sub=sub,
            groups=[role] if isinstance(role, str) else role,
            ttl_seconds=ttl_seconds,
            now=self.clock(),
        )
        claims.update(overrides)
        return self.signing_key.sign(claims)

    def outputs(self) -> dict[str, Any]:
        """The template's Outputs, resolved locally: ApiUrl and HttpApiUrl point at the local
        gateway, and SignInDomainUrl (a Cognito domain in AWS) at the local identity provider."""
        resolved = {
            name: self.stack.resolve(o.get("Value")) for name, o in self.template.outputs.items()
        }
        if "ApiUrl" in resolved:
            resolved["ApiUrl"] = self.api_url + "/"
        if "HttpApiUrl" in resolved:
            resolved["HttpApiUrl"] = self.api_url
        if "SignInDomainUrl" in resolved and self.identity is not None:
            resolved["SignInDomainUrl"] = self.identity.url
        return resolved

    @property
    def websocket_url(self) -> str | None:
        """Where clients connect: the WebSocket API's endpoint and stage."""
        return self.websocket.stage_url if self.websocket else None

    @property
    def dashboard_url(self) -> str | None:
        return self.dashboard.url if self.dashboard else None

    @property
    def identity_url(self) -> str | None:
        return self.identity.url if self.identity else None

    def status(self) -> dict[str, Any]:
        return {
            "api": self.api_url,
            "websocket": self.websocket_url,
            "dashboard": self.dashboard_url,
            "identity": self.identity_url,
            "aws": self.aws_endpoint,
            "region": self.stack.region,
            "stateDir": str(self.state_dir.resolve()),
            "outputs": self.outputs(),
            "functions": sorted(self.pools),
            "streams": [
                {
                    "function": p.mapping.function_id,
                    "event": p.mapping.event_name,
                    "streamArn": p.mapping.stream_arn,
                    "shardId": p.shard_id,
                    "discarded": len(p.discarded),
                }
                for p in self.pollers
            ],
            "schedules": [
                {
                    "name": s.name,
                    "expression": s.expression.expression,
                    "enabled": s.enabled,
                    "nextFire": s.next_fire,
                }
                for s in (self.scheduler.schedules if self.scheduler else [])
            ],
            "customResources": [
                {"logicalId": c.logical_id, "type": c.resource_type, "physicalId": c.physical_id}
                for c in self.custom_resources
            ],
            "websocketConnections": self.websocket.connection_ids() if self.websocket else [],
            "invocations": len(self.invocations),
            "sandboxPids": sorted(pid for pool in self.pools.values() for pid in pool.pids),
            "sandboxes": {name: sorted(pool.pids) for name, pool in sorted(self.pools.items())},
        }

    def invocation_log(self, since: int = 0) -> list[dict[str, Any]]:
        with self._log_lock:
            return [asdict(e) for e in self.invocations[since:]]

    # ---------------------------------------------------------------- stop
    def stop(self) -> None:
        self.ready = False
        if self.gateway is not None:
            self.gateway.server.stop()
            self.gateway = None
        if self.websocket is not None:
            # Before the functions go: closing the connections invokes $disconnect.
            self.websocket.stop()
            self.websocket = None
        for server in (self.dashboard, self.identity):
            if server is not None:
                server.server.stop()
        self.dashboard = self.identity = None
        if self.scheduler is not None:
            self.scheduler.stop()
        for poller in self.pollers:
            poller.stop()
        for pool in self.pools.values():
            pool.close()
        self.clock.withdraw()
        if self._moto is not None:
            self._moto.stop()
            self._moto = None
            # moto keeps its state per process: a later runtime in this process starts empty.
            moto_api_backend.reset()

    def __enter__(self) -> LocalRuntime:
        return self.start()

    def __exit__(self, *_: object) -> None:
        self.stop()


def configure_logging(stream: IO[str] = sys.stderr) -> None:
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logging.Formatter("%(asctime)s.%(msecs)03d %(message)s", "%H:%M:%S"))
    log.addHandler(handler)
    log.setLevel(logging.INFO)
    log.propagate = False
    # moto's server logs every AWS call it serves; the invocation lines are what matter here.
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
