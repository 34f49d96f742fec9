"""CloudFormation custom resources, created at start: the Create request to the function that
a resource's ServiceToken names, and the response object that function PUTs back.

On AWS, CloudFormation invokes the function asynchronously with a Create request and waits for
the response object at a presigned S3 URL for up to the resource's ServiceTimeout (3600 seconds,
an hour, unless it says less). A response of FAILED, or none in time, fails the stack.

Locally the runtime sends the same request, after the functions are warm and before it reports
ready, one resource at a time in template order (a resource waits for the custom resources it
names in DependsOn or references). It invokes the function synchronously. The ResponseURL is
the control endpoint's `/cloudformation-responses/<request id>`; the function PUTs its response
object there as it would to S3, and the runtime waits for it for the function's Timeout plus
RESPONSE_MARGIN_SECONDS (or ServiceTimeout, if that is less). These stop the start, naming the
resource and the reason:
- a FAILED response;
- no response in time;
- a function error before any response. CloudFormation would instead wait out ServiceTimeout,
  while Lambda retried the event.

After SUCCESS, Ref of the resource is its PhysicalResourceId and `GetAtt Resource.Key` is its
Data's Key, for later custom resources, the Outputs, and the functions that reference the
resource (the runtime sets those up after the custom resources). NoEcho is accepted and has no
effect locally.

Only Create is sent. No Update happens, since each start is a new stack, and no Delete is sent
at stop, since the runtime throws its state away. Service tokens must be Lambda functions of the
template itself; SNS topics are not supported.
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections.abc import Callable, Collection
from dataclasses import dataclass
from typing import Any

from infra.local_runtime.functions import Invocation
from infra.local_runtime.stack import Stack, referenced_names
from infra.local_runtime.template import Template, TemplateError

CUSTOM_RESOURCE = "AWS::CloudFormation::CustomResource"
RESPONSES_PATH = "/cloudformation-responses/"
# Enough for a response PUT as the function returns to arrive. The function's own Timeout
# bounds the rest.
RESPONSE_MARGIN_SECONDS = 2.0
MAX_RESPONSE_BYTES = 4096  # CloudFormation's limit on a response object


def is_custom_resource(resource_type: Any) -> bool:
    return resource_type == CUSTOM_RESOURCE or str(resource_type).startswith("Custom::")


class CustomResourceFailed(Exception):
    """A custom resource that CloudFormation would have failed to create: the start stops."""

    def __init__(self, logical_id: str, resource_type: str, reason: str) -> None:
        super().__init__(f"custom resource {logical_id} ({resource_type}) failed: {reason}")
        self.logical_id, self.reason = logical_id, reason


def creation_order(template: Template, stack: Stack) -> list[str]:
    """The active custom resources, in template order, each after those it depends on."""
    custom = [
        logical_id
        for logical_id, resource in template.resources.items()
        if is_custom_resource(resource.get("Type")) and stack.is_active(logical_id)
    ]
    needs = {
        logical_id: _dependencies(template.resources[logical_id]) & set(custom)
        for logical_id in custom
    }
    ordered: list[str] = []
    while len(ordered) < len(custom):
        ready = next(
            (r for r in custom if r not in ordered and needs[r] <= set(ordered)),
            None,
        )
        if ready is None:
            circle = ", ".join(r for r in custom if r not in ordered)
            raise TemplateError(f"custom resources that depend on each other: {circle}")
        ordered.append(ready)
    return ordered


def _dependencies(resource: dict[str, Any]) -> set[str]:
    depends_on = resource.get("DependsOn") or []
    named = {depends_on} if isinstance(depends_on, str) else set(depends_on)
    return named | referenced_names(resource.get("Properties") or {})


def resource_properties(value: Any) -> Any:
    """The properties as CloudFormation hands them to a custom resource: every number and
    boolean made a string ("3", "true"), so that a handler that works here works there."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    if isinstance(value, dict):
        return {k: resource_properties(v) for k, v in value.items()}
    if isinstance(value, list):
        return [resource_properties(v) for v in value]
    return value


def service_function(stack: Stack, logical_id: str, token: Any, functions: Collection[str]) -> str:
    """The function a resolved ServiceToken names: its ARN (with or without a qualifier), or
    its name."""
    for function_id in functions:
        arn = stack.function_arn(function_id)
        if token in (arn, stack.function_name(function_id)) or str(token).startswith(arn + ":"):
            return function_id
    raise TemplateError(
        f"{logical_id}: its ServiceToken {token} is none of the functions the custom resources"
        " can use: the local runtime runs Lambda service tokens of the template's own"
        " functions, not SNS topics, and not functions that reference a custom resource"
    )


class ResponseInbox:
    """Response objects PUT to the control endpoint, kept for the creation that waits on them."""

    def __init__(self) -> None:
        self._changed = threading.Condition()
        self._expected: set[str] = set()
        self._received: dict[str, bytes] = {}

    def expect(self, request_id: str) -> None:
        with self._changed:
            self._expected.add(request_id)

    def deliver(self, request_id: str, body: bytes) -> bool:
        """False for a request no creation waits for (unknown, or given up on)."""
        with self._changed:
            if request_id not in self._expected:
                return False
            self._received.setdefault(request_id, body)  # the first response counts
            self._changed.notify_all()
            return True

    def wait(self, request_id: str, deadline: float) -> bytes | None:
        """The response, once it comes; None if it has not come by `deadline` (monotonic)."""
        with self._changed:
            self._changed.wait_for(
                lambda: request_id in self._received, timeout=max(0.0, deadline - time.monotonic())
            )
            return self._received.get(request_id)

    def forget(self, request_id: str) -> None:
        with self._changed:
            self._expected.discard(request_id)
            self._received.pop(request_id, None)


@dataclass(frozen=True)
class CreatedResource:
    logical_id: str
    resource_type: str
    physical_id: str
    data: dict[str, Any]


def _response_object(body: bytes) -> dict[str, Any]:
    """The body as a JSON object, or ValueError saying what it is instead."""
    if len(body) > MAX_RESPONSE_BYTES:
        raise ValueError(f"Response object is too long ({len(body)} bytes; at most 4096)")
    try:
        response = json.loads(body)
    except ValueError as exc:
        raise ValueError(f"the response object is not JSON: {exc}") from exc
    if not isinstance(response, dict):
        raise ValueError("the response object is not a JSON object")
    return response


Invoke = Callable[[str, dict[str, Any], str], Invocation]


@dataclass(frozen=True)
class CustomResourceCreator:
    """Sends Create requests on behalf of a stack and reads the responses that come back."""

    stack: Stack
    invoke: Invoke
    inbox: ResponseInbox
    responses_url: str  # the control endpoint's URL and RESPONSES_PATH

    def create(self, logical_id: str, function_id: str, timeout: float) -> CreatedResource:
        resource_type = str(self.stack.template.resources[logical_id]["Type"])
        properties = self.stack.resolve(self.stack.template.properties(logical_id))
        request_id = str(uuid.uuid4())
        request = {
            "RequestType": "Create",
            "ServiceToken": properties["ServiceToken"],
            "ResponseURL": self.responses_url + request_id,
            "StackId": self.stack.ref("AWS::StackId"),
            "RequestId": request_id,
            "ResourceType": resource_type,
            "LogicalResourceId": logical_id,
            "ResourceProperties": resource_properties(properties),
        }
        wait = timeout + RESPONSE_MARGIN_SECONDS
        if "ServiceTimeout" in properties:
            wait = min(wait, float(properties["ServiceTimeout"]))
        self.inbox.expect(request_id)
        try:
            deadline = time.monotonic() + wait
            invocation = self.invoke(function_id, request, f"custom resource {logical_id}")
            # A function that failed sends nothing more; what it sent before still counts.
            body = self.inbox.wait(request_id, deadline if invocation.ok else time.monotonic())
        finally:
            self.inbox.forget(request_id)
        if body is not None:
            return self._read(request, body)
        if not invocation.ok:
            error = invocation.error or {}
            reason = (
                f"{function_id} failed before it sent a response: "
                f"{error.get('errorType')}: {error.get('errorMessage', '')}"
            )
        else:
            reason = f"{function_id} sent no response within {wait:g} seconds"
            reason += (
                " (ServiceTimeout)"
                if wait < timeout + RESPONSE_MARGIN_SECONDS
                else f" (its Timeout plus {RESPONSE_MARGIN_SECONDS:g})"
            )
        raise CustomResourceFailed(
            logical_id,
            resource_type,
            reason + "; CloudFormation would wait for one until ServiceTimeout, an hour by default",
        )

    def _read(self, request: dict[str, Any], body: bytes) -> CreatedResource:
        """The response object checked as CloudFormation checks it."""
        logical_id, resource_type = request["LogicalResourceId"], request["ResourceType"]

        def fail(reason: str) -> CustomResourceFailed:
            return CustomResourceFailed(logical_id, resource_type, reason)

        try:
            response = _response_object(body)
        except ValueError as exc:
            raise fail(str(exc)) from exc
        status = response.get("Status")
        if status not in ("SUCCESS", "FAILED"):
            raise fail(f"the response's Status is {status!r}, not SUCCESS or FAILED")
        for key in ("StackId", "RequestId", "LogicalResourceId"):
            if response.get(key) != request[key]:
                raise fail(f"the response's {key} is {response.get(key)!r}, not {request[key]!r}")
        if status == "FAILED":
            raise fail(
                "Received response status [FAILED] from custom resource. Message returned: "
                f"{response.get('Reason', '')}"
            )
        physical_id, data = response.get("PhysicalResourceId"), response.get("Data") or {}
        if not isinstance(physical_id, str) or not physical_id:
            raise fail("the response has no PhysicalResourceId")
        if not isinstance(data, dict):
            raise fail("the response's Data is not a JSON object")
        return CreatedResource(logical_id, resource_type, physical_id, data)

    def record(self, created: CreatedResource) -> None:
        """What the stack resolves from now on: Ref to the physical id, GetAtt to Data."""
        self.stack.physical_ids[created.logical_id] = created.physical_id
        for key, value in created.data.items():
            text = value if isinstance(value, str) else json.dumps(value)
            self.stack.attributes[(created.logical_id, str(key))] = text
