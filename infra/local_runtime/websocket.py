"""A WebSocket API read from the template, and the events API Gateway sends its functions.

The API is the template's AWS::ApiGatewayV2::Api with ProtocolType WEBSOCKET:
its Stage, its Routes and their AWS_PROXY Integrations (IntegrationUri names a
function of the template), its REQUEST Authorizer, and its
RouteSelectionExpression (`$request.body.<field>`). Nothing is listed twice.

Shapes follow API Gateway's own documents and live captures:
- the REQUEST authorizer's input for a WebSocket API (the developer guide's
  "Control access to WebSocket APIs with AWS Lambda REQUEST authorizers"): type,
  methodArn ending in `/$connect`, headers and multiValueHeaders,
  queryStringParameters and multiValueQueryStringParameters, stageVariables,
  and a requestContext with routeKey `$connect` and eventType CONNECT;
- the integration events: aws/aws-lambda-go's testdata
  `apigw-websocket-request*.json` (captures of CONNECT, MESSAGE and DISCONNECT),
  with `disconnectStatusCode` and `disconnectReason` on DISCONNECT;
- the authorizer's context and principalId reach every route of the
  connection, not $connect alone (dherault/serverless-offline#1379);
- the authorizer's answer: an IAM policy that must Allow `execute-api:Invoke`
  on the methodArn; a Deny or no matching statement is 403, the error
  "Unauthorized" is 401, anything else (an error, a malformed answer, a context
  value that is not a string, number or boolean) is 500
  (serverless/examples#557);
- a missing identity source is 401 without invoking the authorizer (the
  developer guide: "If you attempt to connect without a valid identity value,
  you'll receive a 401 response").
"""

from __future__ import annotations

import base64
import fnmatch
import json
import re
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from infra.local_runtime.stack import Stack
from infra.local_runtime.template import TemplateError

API = "AWS::ApiGatewayV2::Api"
ROUTE = "AWS::ApiGatewayV2::Route"
INTEGRATION = "AWS::ApiGatewayV2::Integration"
AUTHORIZER = "AWS::ApiGatewayV2::Authorizer"
STAGE = "AWS::ApiGatewayV2::Stage"

CONNECT, DISCONNECT, DEFAULT = "$connect", "$disconnect", "$default"
_SELECTION = re.compile(r"^\$\{?request\.body\.([A-Za-z0-9_.\-]+)\}?$")
_IDENTITY = re.compile(r"^route\.request\.(querystring|header)\.([A-Za-z0-9._\-]+)$")
_FUNCTION_IN_URI = re.compile(r"functions/(?P<arn>arn:[^/]+)/invocations$")


def new_id() -> str:
    """An id shaped as API Gateway's connection and request ids: 16 characters of base64, the
    last one `=` ('L0SM9cOFvHcCIhw='). URL-safe, so that it sits in a path as it is."""
    return base64.urlsafe_b64encode(secrets.token_bytes(11)).decode()


@dataclass(frozen=True)
class IdentitySource:
    """One `route.request.querystring.X` or `route.request.header.X` of an authorizer."""

    location: str  # "querystring" or "header"
    name: str

    def present(self, query: Mapping[str, list[str]], headers: Mapping[str, list[str]]) -> bool:
        if self.location == "querystring":
            values = query.get(self.name, [])
        else:
            values = next((v for k, v in headers.items() if k.lower() == self.name.lower()), [])
        return any(value != "" for value in values)


@dataclass(frozen=True)
class RequestAuthorizer:
    logical_id: str
    function_id: str
    identity_sources: tuple[IdentitySource, ...]

    def identity_missing(
        self, query: Mapping[str, list[str]], headers: Mapping[str, list[str]]
    ) -> bool:
        return not all(source.present(query, headers) for source in self.identity_sources)


@dataclass(frozen=True)
class WebSocketRoute:
    key: str
    function_id: str | None  # None: a route with no integration, which API Gateway refuses
    authorizer: RequestAuthorizer | None = None
    # With a RouteResponseSelectionExpression, API Gateway sends the function's body back to
    # the client (two-way); without one it drops it.
    responds: bool = False


@dataclass(frozen=True)
class WebSocketApiDefinition:
    logical_id: str
    api_id: str
    stage: str
    selection_field: tuple[str, ...] | None  # the body's field path that names the route
    routes: dict[str, WebSocketRoute] = field(default_factory=dict)

    def select(self, body: str | None) -> WebSocketRoute | None:
        """The route a message goes to: the one its selection field names, or $default when
        the body is not JSON (or nests too deep to read), has no such field, or names no route;
        None with no $default."""
        key = self._selected_key(body)
        if key is not None and key in self.routes and key not in (CONNECT, DISCONNECT):
            return self.routes[key]
        return self.routes.get(DEFAULT)

    def _selected_key(self, body: str | None) -> str | None:
        if body is None or self.selection_field is None:
            return None
        try:
            value: Any = json.loads(body)
        except (ValueError, RecursionError):
            # Nesting deeper than Python's json recurses (some 3000 `[`) is a RecursionError:
            # left out, the message killed the socket, where API Gateway routes it to $default.
            return None
        for name in self.selection_field:
            if not isinstance(value, dict) or name not in value:
                return None
            value = value[name]
        if isinstance(value, bool) or not isinstance(value, str | int | float):
            return None
        return str(value)

    def method_arn(self, stack: Stack, route_key: str = CONNECT) -> str:
        return (
            f"arn:aws:execute-api:{stack.region}:{stack.account_id}:"
            f"{self.api_id}/{self.stage}/{route_key}"
        )


def _function_of(stack: Stack, uri: Any, where: str) -> str:
    """The template function an IntegrationUri or AuthorizerUri invokes."""
    text = str(stack.resolve(uri))
    found = _FUNCTION_IN_URI.search(text)
    arn = found.group("arn") if found else text
    by_arn = {stack.function_arn(f.logical_id): f.logical_id for f in stack.template.functions}
    unqualified = ":".join(arn.split(":")[:7])  # without a version or alias qualifier
    if unqualified not in by_arn:
        raise TemplateError(f"{where}: {text} invokes no function of the template")
    return by_arn[unqualified]


def _refers_to(stack: Stack, value: Any, logical_id: str) -> bool:
    return bool(value == {"Ref": logical_id} or stack.resolve(value) == stack.ref(logical_id))


def _websocket_api_id(stack: Stack) -> str | None:
    apis = [
        logical_id
        for logical_id, resource in stack.template.of_type(API).items()
        if str((resource.get("Properties") or {}).get("ProtocolType", "")).upper() == "WEBSOCKET"
        and stack.is_active(logical_id)
    ]
    if len(apis) > 1:
        raise TemplateError(f"the local runtime serves one WebSocket API, not {len(apis)}")
    return apis[0] if apis else None


def _of_api(stack: Stack, kind: str, api: str) -> dict[str, dict[str, Any]]:
    """The api's resources of one kind, by logical id, with their properties."""
    return {
        logical_id: stack.template.properties(logical_id)
        for logical_id in stack.template.of_type(kind)
        if stack.is_active(logical_id)
        and _refers_to(stack, stack.template.properties(logical_id).get("ApiId"), api)
    }


def _authorizers(stack: Stack, api: str) -> dict[str, RequestAuthorizer]:
    authorizers = {}
    for logical_id, props in _of_api(stack, AUTHORIZER, api).items():
        if str(props.get("AuthorizerType", "")).upper() != "REQUEST":
            raise TemplateError(f"{logical_id}: a WebSocket API's authorizer is a REQUEST one")
        sources = []
        for source in stack.resolve(props.get("IdentitySource") or []):
            matched = _IDENTITY.match(str(source))
            if not matched:
                raise TemplateError(f"{logical_id}: no local support for identity source {source}")
            sources.append(IdentitySource(matched.group(1), matched.group(2)))
        authorizers[logical_id] = RequestAuthorizer(
            logical_id,
            _function_of(stack, props.get("AuthorizerUri"), logical_id),
            tuple(sources),
        )
    return authorizers


def _route(
    stack: Stack,
    logical_id: str,
    props: dict[str, Any],
    integrations: dict[str, str],
    authorizers: dict[str, RequestAuthorizer],
) -> WebSocketRoute:
    key = str(stack.resolve(props["RouteKey"]))
    target = str(stack.resolve(props.get("Target", "")))
    function_id = next(
        (
            fn
            for integration, fn in integrations.items()
            if target == f"integrations/{stack.ref(integration)}"
        ),
        None,
    )
    if target and function_id is None:
        raise TemplateError(f"{logical_id}: its Target {target} is no integration of the API")
    authorization = str(props.get("AuthorizationType", "NONE")).upper()
    authorizer = None
    if authorization == "CUSTOM":
        if key != CONNECT:
            raise TemplateError(f"{logical_id}: only $connect can have an authorizer")
        authorizer = next(
            (a for lid, a in authorizers.items() if _refers_to(stack, props["AuthorizerId"], lid)),
            None,
        )
        if authorizer is None:
            raise TemplateError(f"{logical_id}: its AuthorizerId is no authorizer of the API")
    elif authorization != "NONE":
        raise TemplateError(f"{logical_id}: no local support for {authorization} authorization")
    return WebSocketRoute(
        key,
        function_id,
        authorizer,
        responds=bool(props.get("RouteResponseSelectionExpression")),
    )


def websocket_api(stack: Stack) -> WebSocketApiDefinition | None:
    """The template's WebSocket API, or None without one; TemplateError for what cannot run."""
    api = _websocket_api_id(stack)
    if api is None:
        return None
    stages = _of_api(stack, STAGE, api)
    if not stages:
        raise TemplateError(f"{api}: a WebSocket API needs an AWS::ApiGatewayV2::Stage")
    stage = str(stack.resolve(next(iter(stages.values()))["StageName"]))
    properties = stack.template.properties(api)
    expression = str(stack.resolve(properties.get("RouteSelectionExpression", "")))
    selected = _SELECTION.match(expression)
    if expression and not selected:
        raise TemplateError(
            f"{api}: the local runtime selects routes by $request.body.<field>, not {expression}"
        )
    integrations = {}
    for logical_id, props in _of_api(stack, INTEGRATION, api).items():
        if str(props.get("IntegrationType", "")).upper() != "AWS_PROXY":
            raise TemplateError(f"{logical_id}: only AWS_PROXY integrations run locally")
        integrations[logical_id] = _function_of(stack, props.get("IntegrationUri"), logical_id)
    authorizers = _authorizers(stack, api)
    routes = [
        _route(stack, logical_id, props, integrations, authorizers)
        for logical_id, props in _of_api(stack, ROUTE, api).items()
    ]
    return WebSocketApiDefinition(
        logical_id=api,
        api_id=str(stack.ref(api)),
        stage=stage,
        selection_field=tuple(selected.group(1).split(".")) if selected else None,
        routes={route.key: route for route in routes},
    )


# ------------------------------------------------------------------------------- events
@dataclass(frozen=True)
class ConnectionRequest:
    """What API Gateway keeps of a connection's opening request, for every event of it."""

    connection_id: str
    connected_at_ms: int
    domain_name: str
    source_ip: str
    user_agent: str
    headers: tuple[tuple[str, str], ...]
    query: tuple[tuple[str, str], ...]

    def multi_headers(self) -> dict[str, list[str]]:
        return _multi(self.headers)

    def multi_query(self) -> dict[str, list[str]]:
        return _multi(self.query)


def _multi(pairs: tuple[tuple[str, str], ...]) -> dict[str, list[str]]:
    multi: dict[str, list[str]] = {}
    for name, value in pairs:
        multi.setdefault(name, []).append(value)
    return multi


def _request_time(epoch_ms: int) -> str:
    return datetime.fromtimestamp(epoch_ms / 1000, UTC).strftime("%d/%b/%Y:%H:%M:%S +0000")


def _request_parameters(request: ConnectionRequest) -> dict[str, Any]:
    """Headers and query string as a WebSocket API hands them on: the last value of a
    repeated name in the single-value map, every value in the multi-value one."""
    multi_headers, multi_query = request.multi_headers(), request.multi_query()
    fields: dict[str, Any] = {
        "headers": {name: values[-1] for name, values in multi_headers.items()},
        "multiValueHeaders": multi_headers,
    }
    if multi_query:
        fields["queryStringParameters"] = {name: values[-1] for name, values in multi_query.items()}
        fields["multiValueQueryStringParameters"] = multi_query
    return fields


def _context(
    api: WebSocketApiDefinition,
    request: ConnectionRequest,
    *,
    route_key: str,
    event_type: str,
    now_ms: int,
    request_id: str,
) -> dict[str, Any]:
    return {
        "routeKey": route_key,
        "eventType": event_type,
        "extendedRequestId": request_id,
        "requestTime": _request_time(now_ms),
        "messageDirection": "IN",
        "stage": api.stage,
        "connectedAt": request.connected_at_ms,
        "requestTimeEpoch": now_ms,
        "identity": {"userAgent": request.user_agent, "sourceIp": request.source_ip},
        "requestId": request_id,
        "domainName": request.domain_name,
        "connectionId": request.connection_id,
        "apiId": api.api_id,
    }


def authorizer_event(
    api: WebSocketApiDefinition, stack: Stack, request: ConnectionRequest, now_ms: int
) -> dict[str, Any]:
    """The REQUEST authorizer's input for a connection."""
    context = _context(
        api,
        request,
        route_key=CONNECT,
        event_type="CONNECT",
        now_ms=now_ms,
        request_id=new_id(),
    )
    return {
        "type": "REQUEST",
        "methodArn": api.method_arn(stack),
        **_request_parameters(request),
        "stageVariables": {},
        "requestContext": context,
    }


def connect_event(
    api: WebSocketApiDefinition,
    request: ConnectionRequest,
    authorizer: dict[str, Any] | None,
    now_ms: int,
) -> dict[str, Any]:
    context = _context(
        api, request, route_key=CONNECT, event_type="CONNECT", now_ms=now_ms, request_id=new_id()
    )
    context["messageId"] = None
    if authorizer is not None:
        context["authorizer"] = authorizer
    return {**_request_parameters(request), "requestContext": context, "isBase64Encoded": False}


def message_event(
    api: WebSocketApiDefinition,
    request: ConnectionRequest,
    authorizer: dict[str, Any] | None,
    *,
    route_key: str,
    data: str | bytes,
    now_ms: int,
) -> dict[str, Any]:
    context = _context(
        api, request, route_key=route_key, event_type="MESSAGE", now_ms=now_ms, request_id=new_id()
    )
    context["messageId"] = new_id()
    if authorizer is not None:
        context["authorizer"] = authorizer
    binary = isinstance(data, bytes)
    body = base64.b64encode(data).decode() if isinstance(data, bytes) else data
    return {"requestContext": context, "body": body, "isBase64Encoded": binary}


def disconnect_event(
    api: WebSocketApiDefinition,
    request: ConnectionRequest,
    authorizer: dict[str, Any] | None,
    *,
    status_code: int,
    reason: str,
    now_ms: int,
) -> dict[str, Any]:
    """$disconnect's event: API Gateway's own few headers, not the client's."""
    context = _context(
        api,
        request,
        route_key=DISCONNECT,
        event_type="DISCONNECT",
        now_ms=now_ms,
        request_id=new_id(),
    )
    context["disconnectStatusCode"] = status_code
    context["disconnectReason"] = reason
    if authorizer is not None:
        context["authorizer"] = authorizer
    headers = {
        "Host": request.domain_name,
        "x-api-key": "",
        "X-Forwarded-For": "",
        "x-restapi": "",
    }
    return {
        "headers": headers,
        "multiValueHeaders": {k: [v] for k, v in headers.items()},
        "requestContext": context,
        "isBase64Encoded": False,
    }


# ------------------------------------------------------------------- authorizer output
class Refused(Exception):
    """API Gateway refuses the connection with this status."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


def _listed(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _matches(pattern: Any, value: str) -> bool:
    return isinstance(pattern, str) and fnmatch.fnmatchcase(value, pattern)


def authorizer_decision(payload: Any, method_arn: str) -> dict[str, Any]:
    """The authorizer's answer as requestContext.authorizer (principalId and context), or
    Refused: 403 for a Deny or no statement allowing the methodArn, 500 for a malformed answer."""
    if not isinstance(payload, dict) or not isinstance(payload.get("policyDocument"), dict):
        raise Refused(500, "the authorizer returned no policyDocument")
    if "principalId" not in payload:
        raise Refused(500, "the authorizer returned no principalId")
    context = payload.get("context") or {}
    if not isinstance(context, dict) or any(
        not isinstance(v, str | int | float | bool) for v in context.values()
    ):
        raise Refused(500, "the authorizer's context holds a value that is not a scalar")
    allowed = False
    for statement in _listed(payload["policyDocument"].get("Statement") or []):
        if not isinstance(statement, dict):
            raise Refused(500, "the authorizer's policy has a malformed statement")
        actions = _listed(statement.get("Action", []))
        resources = _listed(statement.get("Resource", []))
        applies = any(_matches(a, "execute-api:Invoke") for a in actions) and any(
            _matches(r, method_arn) for r in resources
        )
        if not applies:
            continue
        if statement.get("Effect") == "Deny":
            raise Refused(403, "Forbidden")
        allowed = allowed or statement.get("Effect") == "Allow"
    if not allowed:
        raise Refused(403, "Forbidden")
    return {**context, "principalId": payload["principalId"]}
