"""Uploads the dashboard to the deployed stack's DashboardBucket, after `sam deploy` (make deploy).

The site is the directory that DashboardBucket's `Metadata: SiteContent` names (web/dist, built by
`make web`), plus a /config.json made from the stack's outputs by `infra.site_config`, the same
module that makes the local runtime's. Objects the new site no longer has are deleted (the bucket
is versioned, so they stay recoverable), and CloudFront's cache is invalidated.

    python -m infra.deploy_site [--stack-name flexfleet] [--region us-east-1]

Without flags, the stack name and region are infra/samconfig.toml's, as `sam deploy` used them.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
import tomllib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from infra.local_runtime.template import load_yaml
from infra.site_config import CONTENT_TYPES, content_type, site_config

ROOT = Path(__file__).resolve().parents[1]
TEMPLATE = ROOT / "template.yaml"
SAMCONFIG = ROOT / "infra" / "samconfig.toml"
BUCKET = "DashboardBucket"
DISTRIBUTION = "DashboardDistribution"
CONFIG_KEY = "config.json"

# File names carry no content hash, so browsers revalidate everything (an ETag makes that cheap):
# a new index.html must never run beside a cached old module. Pinned vendor files may stay a day.
REVALIDATE = "no-cache"
VENDOR_CACHE = "public, max-age=86400"


@dataclass(frozen=True)
class SiteFile:
    key: str
    body: bytes
    content_type: str
    cache_control: str


def site_directory(template: Path = TEMPLATE) -> Path:
    """The directory that DashboardBucket's Metadata SiteContent names, relative to the template."""
    resource = load_yaml(template)["Resources"][BUCKET]
    content = (resource.get("Metadata") or {}).get("SiteContent")
    if not isinstance(content, str):
        raise SystemExit(f"{template.name}: {BUCKET} has no Metadata SiteContent naming the site")
    return (template.parent / content).resolve()


def site_files(directory: Path, config: Mapping[str, Any]) -> Iterator[SiteFile]:
    """Every file of the site, build stamps and other dot-files left out, then config.json."""
    if not (directory / "index.html").is_file():
        raise SystemExit(f"{directory} has no index.html: run `make web` first")
    for path in sorted(directory.rglob("*")):
        relative = path.relative_to(directory)
        if not path.is_file() or any(part.startswith(".") for part in relative.parts):
            continue
        key = relative.as_posix()
        if key == CONFIG_KEY:
            continue  # the stack's, below, never a stale local one
        cache = VENDOR_CACHE if relative.parts[0] == "vendor" else REVALIDATE
        yield SiteFile(key, path.read_bytes(), content_type(path), cache)
    body = json.dumps(config, indent=2).encode() + b"\n"
    yield SiteFile(CONFIG_KEY, body, CONTENT_TYPES[".json"], REVALIDATE)


def config_from_outputs(outputs: Mapping[str, str]) -> dict[str, Any]:
    """The site's config.json from the stack's outputs, through the one builder of it."""
    missing = [
        name
        for name in ("WebSocketUrl", "SignInDomainUrl", "UserPoolClientId")
        if not outputs.get(name)
    ]
    api = outputs.get("HttpApiUrl") or outputs.get("ApiUrl")
    if not api:
        missing.insert(0, "HttpApiUrl")
    if missing:
        raise SystemExit(f"the stack has no output {', '.join(missing)}: deploy the template first")
    return site_config(
        api=str(api).rstrip("/"),
        websocket=outputs["WebSocketUrl"],
        sign_in=outputs["SignInDomainUrl"].rstrip("/"),
        client_id=outputs["UserPoolClientId"],
    )


def upload(s3: Any, bucket: str, files: list[SiteFile]) -> list[str]:
    """Puts every file, then deletes the bucket's other objects. Answers the keys deleted."""
    for file in files:
        s3.put_object(
            Bucket=bucket,
            Key=file.key,
            Body=file.body,
            ContentType=file.content_type,
            CacheControl=file.cache_control,
        )
    keep = {file.key for file in files}
    stale = [
        item["Key"]
        for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket)
        for item in page.get("Contents", [])
        if item["Key"] not in keep
    ]
    for start in range(0, len(stale), 1000):  # DeleteObjects takes 1,000 keys at most
        batch = [{"Key": key} for key in stale[start : start + 1000]]
        s3.delete_objects(Bucket=bucket, Delete={"Objects": batch, "Quiet": True})
    return stale


def stack_outputs(cloudformation: Any, stack: str) -> dict[str, str]:
    described = cloudformation.describe_stacks(StackName=stack)["Stacks"][0]
    return {output["OutputKey"]: output["OutputValue"] for output in described.get("Outputs", [])}


def physical_id(cloudformation: Any, stack: str, logical_id: str) -> str:
    resource = cloudformation.describe_stack_resource(StackName=stack, LogicalResourceId=logical_id)
    return str(resource["StackResourceDetail"]["PhysicalResourceId"])


def invalidate(cloudfront: Any, distribution: str) -> str:
    answer = cloudfront.create_invalidation(
        DistributionId=distribution,
        InvalidationBatch={
            "Paths": {"Quantity": 1, "Items": ["/*"]},
            "CallerReference": f"deploy-site-{time.time_ns()}",
        },
    )
    return str(answer["Invalidation"]["Id"])


def deployed_names(samconfig: Path = SAMCONFIG) -> tuple[str, str]:
    """The stack name and region infra/samconfig.toml gives `sam deploy`."""
    config = tomllib.loads(samconfig.read_text())["default"]
    merged = {**config.get("global", {}).get("parameters", {})}
    merged.update(config.get("deploy", {}).get("parameters", {}))
    return str(merged.get("stack_name", "flexfleet")), str(merged.get("region", "us-east-1"))


def main(argv: list[str] | None = None) -> int:
    import boto3  # only here: importing this module needs no AWS SDK

    default_stack, default_region = deployed_names()
    parser = argparse.ArgumentParser(prog="python -m infra.deploy_site", description=__doc__)
    parser.add_argument("--stack-name", default=default_stack)
    parser.add_argument("--region", default=default_region)
    args = parser.parse_args(argv)

    session = boto3.Session(region_name=args.region)
    cloudformation = session.client("cloudformation")
    outputs = stack_outputs(cloudformation, args.stack_name)
    config = config_from_outputs(outputs)
    bucket = physical_id(cloudformation, args.stack_name, BUCKET)
    files = list(site_files(site_directory(), config))
    stale = upload(session.client("s3"), bucket, files)
    print(f"dashboard: {len(files)} files to s3://{bucket} ({len(stale)} stale deleted)")
    distribution = physical_id(cloudformation, args.stack_name, DISTRIBUTION)
    invalidation = invalidate(session.client("cloudfront"), distribution)
    print(f"dashboard: CloudFront invalidation {invalidation}")
    if outputs.get("DashboardUrl"):
        print(f"dashboard: {outputs['DashboardUrl']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
