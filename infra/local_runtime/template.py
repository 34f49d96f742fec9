"""Reads a SAM template: short-form tags, Globals, and the resources the runtime runs."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

FUNCTION = "AWS::Serverless::Function"
LAYER = "AWS::Serverless::LayerVersion"
TABLE = "AWS::DynamoDB::Table"
QUEUE = "AWS::SQS::Queue"
HTTP_API = "AWS::Serverless::HttpApi"

# SAM's defaults where a template leaves a property out.
DEFAULT_TIMEOUT_SECONDS = 3
DEFAULT_MEMORY_MB = 128


class TemplateError(ValueError):
    """The template asks for something the local runtime cannot do."""


class _CloudFormationLoader(yaml.SafeLoader):
    """A YAML loader that reads !Ref, !GetAtt, !Sub ... as their long forms."""


def _construct_intrinsic(loader: yaml.SafeLoader, suffix: str, node: yaml.Node) -> dict[str, Any]:
    value: Any
    if isinstance(node, yaml.ScalarNode):
        value = loader.construct_scalar(node)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    else:
        value = loader.construct_mapping(node, deep=True)  # type: ignore[arg-type]
    if suffix == "Ref":
        return {"Ref": value}
    if suffix == "Condition":
        return {"Condition": value}
    if suffix == "GetAtt" and isinstance(value, str):
        value = value.split(".", 1)
    return {f"Fn::{suffix}": value}


_CloudFormationLoader.add_multi_constructor("!", _construct_intrinsic)


def load_yaml(path: Path) -> dict[str, Any]:
    with path.open(encoding="utf-8") as stream:
        document = yaml.load(stream, Loader=_CloudFormationLoader)  # noqa: S506 - SafeLoader subclass
    if not isinstance(document, dict) or "Resources" not in document:
        raise TemplateError(f"{path} is not a CloudFormation template")
    return document


def as_bool(value: Any) -> bool:
    """CloudFormation takes true and false as booleans or as strings ("false" from a parameter)."""
    return value is True or str(value).strip().lower() == "true"


def is_intrinsic(value: Any) -> bool:
    if not isinstance(value, dict) or len(value) != 1:
        return False
    key = str(next(iter(value)))
    return key in ("Ref", "Condition") or key.startswith("Fn::")


def merge_globals(global_value: Any, local_value: Any) -> Any:
    """SAM's rule: maps merge, lists add (globals first), anything else is overridden."""
    if isinstance(global_value, dict) and isinstance(local_value, dict):
        if is_intrinsic(global_value) or is_intrinsic(local_value):
            return local_value
        merged = dict(global_value)
        for key, value in local_value.items():
            merged[key] = merge_globals(global_value[key], value) if key in global_value else value
        return merged
    if isinstance(global_value, list) and isinstance(local_value, list):
        return global_value + local_value
    return local_value


@dataclass(frozen=True)
class EventSource:
    function_id: str
    name: str
    type: str
    properties: dict[str, Any]


@dataclass(frozen=True)
class FunctionDefinition:
    logical_id: str
    properties: dict[str, Any]

    @property
    def handler(self) -> str:
        return str(self.properties["Handler"])

    @property
    def code_uri(self) -> str:
        code = self.properties.get("CodeUri")
        if not isinstance(code, str):
            raise TemplateError(f"{self.logical_id}: CodeUri must be a local folder")
        return code

    @property
    def timeout(self) -> float:
        return float(self.properties.get("Timeout", DEFAULT_TIMEOUT_SECONDS))

    @property
    def memory_mb(self) -> int:
        return int(self.properties.get("MemorySize", DEFAULT_MEMORY_MB))

    @property
    def events(self) -> Iterator[EventSource]:
        for name, event in (self.properties.get("Events") or {}).items():
            yield EventSource(self.logical_id, name, event["Type"], event.get("Properties") or {})


class Template:
    def __init__(self, path: Path) -> None:
        self.path = path.resolve()
        self.root = self.path.parent
        self.document = load_yaml(self.path)
        self.resources: dict[str, dict[str, Any]] = self.document["Resources"]
        self.parameters: dict[str, dict[str, Any]] = self.document.get("Parameters") or {}
        self.conditions: dict[str, Any] = self.document.get("Conditions") or {}
        self.outputs: dict[str, dict[str, Any]] = self.document.get("Outputs") or {}
        self.globals: dict[str, Any] = self.document.get("Globals") or {}

    def of_type(self, resource_type: str) -> dict[str, dict[str, Any]]:
        return {
            logical_id: resource
            for logical_id, resource in self.resources.items()
            if resource.get("Type") == resource_type
        }

    def properties(self, logical_id: str) -> dict[str, Any]:
        return dict(self.resources[logical_id].get("Properties") or {})

    @property
    def functions(self) -> list[FunctionDefinition]:
        defaults = self.globals.get("Function") or {}
        return [
            FunctionDefinition(
                logical_id, merge_globals(defaults, resource.get("Properties") or {})
            )
            for logical_id, resource in self.of_type(FUNCTION).items()
        ]

    def function(self, logical_id: str) -> FunctionDefinition:
        return next(f for f in self.functions if f.logical_id == logical_id)

    def http_api_properties(self, logical_id: str) -> dict[str, Any]:
        merged: dict[str, Any] = merge_globals(
            self.globals.get("HttpApi") or {}, self.properties(logical_id)
        )
        return merged

    def event_sources(self, *types: str) -> list[EventSource]:
        return [event for fn in self.functions for event in fn.events if event.type in types]
