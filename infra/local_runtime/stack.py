"""The local stack: physical names and ARNs for the template's resources, and intrinsic functions.

Names follow what CloudFormation would make, less the random suffix, so that a
function's environment looks as it does on AWS: `Ref` of a table is its name,
`GetAtt Table.StreamArn` the stream moto created, and so on.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from infra.local_runtime.template import Template, TemplateError

_NO_VALUE = object()
_SUB_VARIABLE = re.compile(r"\$\{([^}!][^}]*)\}")


def referenced_names(value: Any) -> set[str]:
    """The logical ids and parameters that Ref, GetAtt and Sub in `value` name."""
    if isinstance(value, list):
        return {name for item in value for name in referenced_names(item)}
    if not isinstance(value, dict):
        return set()
    if len(value) == 1:
        key, args = next(iter(value.items()))
        if key == "Ref" and isinstance(args, str):
            return set() if args.startswith("AWS::") else {args}
        if key == "Fn::GetAtt":
            return {str(args.split(".", 1)[0] if isinstance(args, str) else args[0])}
        if key == "Fn::Sub":
            text, variables = (args, {}) if isinstance(args, str) else (args[0], args[1])
            named = {
                name.split(".", 1)[0]
                for name in _SUB_VARIABLE.findall(str(text))
                if name not in variables and not name.startswith("AWS::")
            }
            return named | referenced_names(variables)
    return {name for item in value.values() for name in referenced_names(item)}


@dataclass
class Stack:
    template: Template
    name: str = "flexfleet"
    region: str = "us-east-1"
    account_id: str = "123456789012"
    parameter_overrides: dict[str, str] = field(default_factory=dict)
    # Filled in as resources come to exist (a stream's ARN, a queue's URL).
    attributes: dict[tuple[str, str], str] = field(default_factory=dict)
    physical_ids: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for logical_id, resource in self.template.resources.items():
            self.physical_ids.setdefault(
                logical_id, self._default_physical_id(logical_id, resource)
            )

    # ------------------------------------------------------------- naming
    def _default_physical_id(self, logical_id: str, resource: dict[str, Any]) -> str:
        kind = str(resource.get("Type"))
        props = resource.get("Properties") or {}
        name_property = {
            "AWS::DynamoDB::Table": "TableName",
            "AWS::SQS::Queue": "QueueName",
            "AWS::Serverless::Function": "FunctionName",
            "AWS::Cognito::UserPoolGroup": "GroupName",
            "AWS::Cognito::UserPoolDomain": "Domain",
            "AWS::ApiGatewayV2::Stage": "StageName",
            "AWS::S3::Bucket": "BucketName",
        }.get(kind)
        if name_property and isinstance(props.get(name_property), str):
            return str(props[name_property])
        if kind == "AWS::SQS::Queue" and str(props.get("FifoQueue", "")).lower() == "true":
            return f"{self.name}-{logical_id}.fifo"
        if kind == "AWS::Cognito::UserPool":
            return f"{self.region}_{logical_id}"
        if kind == "AWS::S3::Bucket":  # bucket names are lowercase
            return f"{self.name}-{logical_id}".lower()
        if kind == "AWS::Cognito::UserPoolClient":
            return f"local{logical_id.lower()}"
        if kind == "AWS::Serverless::LayerVersion":
            return self.arn("lambda", f"layer:{self.name}-{logical_id}:1")
        return f"{self.name}-{logical_id}"

    def arn(self, service: str, resource: str) -> str:
        return f"arn:aws:{service}:{self.region}:{self.account_id}:{resource}"

    def function_name(self, logical_id: str) -> str:
        return self.physical_ids[logical_id]

    def function_arn(self, logical_id: str) -> str:
        return self.arn("lambda", f"function:{self.function_name(logical_id)}")

    def queue_url_of(self, arn: Any) -> str:
        """The URL of the template's queue with this ARN."""
        for logical_id in self.template.of_type("AWS::SQS::Queue"):
            if self.get_att(logical_id, "Arn") == arn:
                return str(self.ref(logical_id))
        raise TemplateError(f"no queue of the template has the ARN {arn}")

    def is_active(self, logical_id: str) -> bool:
        """False for a resource whose Condition is false: CloudFormation would not create it."""
        condition = self.template.resources[logical_id].get("Condition")
        return condition is None or self.condition(str(condition))

    def table_name(self, logical_id: str) -> str:
        return self.physical_ids[logical_id]

    def get_att(self, logical_id: str, attribute: str) -> str:
        if (logical_id, attribute) in self.attributes:
            return self.attributes[(logical_id, attribute)]
        if logical_id not in self.template.resources:
            raise TemplateError(f"GetAtt of an unknown resource: {logical_id}.{attribute}")
        kind = self.template.resources[logical_id].get("Type")
        physical = self.physical_ids[logical_id]
        if attribute == "Arn":
            service_resource = {
                "AWS::DynamoDB::Table": ("dynamodb", f"table/{physical}"),
                "AWS::SQS::Queue": ("sqs", physical),
                "AWS::Serverless::Function": ("lambda", f"function:{physical}"),
                "AWS::Logs::LogGroup": ("logs", f"log-group:{self.ref(logical_id)}:*"),
                "AWS::Cognito::UserPool": ("cognito-idp", f"userpool/{physical}"),
            }.get(str(kind))
            if service_resource:
                return self.arn(*service_resource)
        if attribute == "QueueName":
            return physical
        if attribute == "ProviderName" and kind == "AWS::Cognito::UserPool":
            return f"cognito-idp.{self.region}.amazonaws.com/{physical}"
        endpoint = self._endpoint_attribute(logical_id, str(kind), attribute)
        if endpoint is not None:
            return endpoint
        raise TemplateError(f"the local runtime cannot resolve GetAtt {logical_id}.{attribute}")

    def _endpoint_attribute(self, logical_id: str, kind: str, attribute: str) -> str | None:
        """Addresses, as AWS gives them; a running local runtime puts its own in `attributes`."""
        physical = self.physical_ids[logical_id]
        if (kind, attribute) == ("AWS::Cognito::UserPool", "ProviderURL"):
            return f"https://cognito-idp.{self.region}.amazonaws.com/{physical}"
        if (kind, attribute) == ("AWS::ApiGatewayV2::Api", "ApiEndpoint"):
            protocol = str(self.template.properties(logical_id).get("ProtocolType", "HTTP"))
            scheme = "wss" if protocol.upper() == "WEBSOCKET" else "https"
            return f"{scheme}://{physical}.execute-api.{self.region}.amazonaws.com"
        if (kind, attribute) == ("AWS::CloudFront::Distribution", "DomainName"):
            return f"{physical.lower()}.cloudfront.net"
        if (kind, attribute) == ("AWS::S3::Bucket", "Arn"):
            return f"arn:aws:s3:::{physical}"
        if (kind, attribute) == ("AWS::S3::Bucket", "RegionalDomainName"):
            return f"{physical}.s3.{self.region}.amazonaws.com"
        return None

    # ---------------------------------------------------------- intrinsics
    def parameter(self, name: str) -> Any:
        if name in self.parameter_overrides:
            return self.parameter_overrides[name]
        definition = self.template.parameters[name]
        if "Default" not in definition:
            raise TemplateError(f"parameter {name} has no Default: pass it as an override")
        return definition["Default"]

    def ref(self, name: str) -> Any:
        pseudo = {
            "AWS::Region": self.region,
            "AWS::AccountId": self.account_id,
            "AWS::StackName": self.name,
            "AWS::StackId": self.arn("cloudformation", f"stack/{self.name}/local"),
            "AWS::Partition": "aws",
            "AWS::URLSuffix": "amazonaws.com",
            "AWS::NoValue": _NO_VALUE,
        }
        if name in pseudo:
            return pseudo[name]
        if name in self.template.parameters:
            return self.parameter(name)
        if name in self.template.resources:
            kind = self.template.resources[name].get("Type")
            if kind == "AWS::SQS::Queue":
                return self.attributes.get((name, "QueueUrl"), self.physical_ids[name])
            if kind == "AWS::SNS::Topic":  # a topic's Ref is its ARN
                return self.arn("sns", self.physical_ids[name])
            if kind == "AWS::Logs::LogGroup":
                props = self.template.properties(name)
                return self.resolve(props["LogGroupName"]) if "LogGroupName" in props else name
            return self.physical_ids[name]
        raise TemplateError(f"Ref to an unknown name: {name}")

    def condition(self, name: str) -> bool:
        return bool(self.resolve(self.template.conditions[name]))

    def _sub(self, text: str, variables: dict[str, Any]) -> str:
        def replace(match: re.Match[str]) -> str:
            name = match.group(1)
            if name in variables:
                return str(self.resolve(variables[name]))
            if "." in name and not name.startswith("AWS::"):
                logical_id, attribute = name.split(".", 1)
                return str(self.get_att(logical_id, attribute))
            return str(self.ref(name))

        return _SUB_VARIABLE.sub(replace, text).replace("${!", "${")

    def _function(self, name: str, args: Any) -> Any:
        handlers: dict[str, Callable[[Any], Any]] = {
            "Fn::GetAtt": lambda a: self.get_att(a[0], a[1]),
            "Fn::Sub": lambda a: self._sub(a, {}) if isinstance(a, str) else self._sub(a[0], a[1]),
            "Fn::Join": lambda a: str(a[0]).join(str(v) for v in self.resolve(a[1])),
            "Fn::Select": lambda a: self.resolve(a[1])[int(self.resolve(a[0]))],
            "Fn::Split": lambda a: str(self.resolve(a[1])).split(a[0]),
            "Fn::If": lambda a: self.resolve(a[1] if self.condition(a[0]) else a[2]),
            "Fn::Equals": lambda a: self.resolve(a[0]) == self.resolve(a[1]),
            "Fn::Not": lambda a: not self.resolve(a[0]),
            "Fn::And": lambda a: all(self.resolve(v) for v in a),
            "Fn::Or": lambda a: any(self.resolve(v) for v in a),
            "Fn::ToJsonString": lambda a: json.dumps(self.resolve(a)),
        }
        if name not in handlers:
            raise TemplateError(f"the local runtime does not support {name}")
        return handlers[name](args)

    def resolve(self, value: Any) -> Any:
        """The value with every intrinsic function replaced by its local result."""
        if isinstance(value, dict):
            if len(value) == 1:
                key, args = next(iter(value.items()))
                if key == "Ref":
                    return self.ref(args)
                if key == "Condition":
                    return self.condition(args)
                if str(key).startswith("Fn::"):
                    return self._function(key, args)
            resolved = {k: self.resolve(v) for k, v in value.items()}
            return {k: v for k, v in resolved.items() if v is not _NO_VALUE}
        if isinstance(value, list):
            return [item for item in (self.resolve(v) for v in value) if item is not _NO_VALUE]
        return value
