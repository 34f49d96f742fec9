"""`make deploy`'s upload of the dashboard (infra/deploy_site.py), offline: moto's S3, a stub stack.

What the browser then loads from CloudFront: every file under the type it must be served as,
and a config.json built from the stack's outputs.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber
from moto import mock_aws

from infra import deploy_site
from infra.site_config import site_config
from tests import TEMPLATE

OUTPUTS = {
    "HttpApiUrl": "https://abc123.execute-api.us-east-1.amazonaws.com/",
    "WebSocketUrl": "wss://ws456.execute-api.us-east-1.amazonaws.com/live",
    "SignInDomainUrl": "https://flexfleet-123456789012.auth.us-east-1.amazoncognito.com",
    "UserPoolClientId": "client789",
    "DashboardUrl": "https://d111.cloudfront.net",
}


@pytest.fixture
def site(tmp_path: Path) -> Path:
    """A built site as `make web` leaves it: pages, modules, the vendor copy, a stamp."""
    (tmp_path / "js").mkdir()
    (tmp_path / "vendor").mkdir()
    (tmp_path / "index.html").write_text("<!doctype html><title>x</title>")
    (tmp_path / "styles.css").write_text("body{}")
    (tmp_path / "js" / "main.js").write_text("export {};")
    (tmp_path / "vendor" / "chart.umd.min.js").write_text("/* chart */")
    (tmp_path / "vendor" / "chart.umd.min.js.map").write_text("{}")
    (tmp_path / "config.json").write_text('{"api": "http://127.0.0.1:3000"}')  # a stale local one
    (tmp_path / ".built").write_text("")
    return tmp_path


def objects(s3: Any, bucket: str) -> dict[str, dict[str, Any]]:
    keys = [item["Key"] for item in s3.list_objects_v2(Bucket=bucket).get("Contents", [])]
    return {key: s3.get_object(Bucket=bucket, Key=key) for key in keys}


def test_the_site_directory_is_the_one_the_templates_dashboard_bucket_names() -> None:
    assert deploy_site.site_directory(TEMPLATE) == (TEMPLATE.parent / "web" / "dist").resolve()


def test_config_json_is_built_from_the_stacks_outputs_by_the_one_builder() -> None:
    config = deploy_site.config_from_outputs(OUTPUTS)

    assert config == site_config(
        api="https://abc123.execute-api.us-east-1.amazonaws.com",
        websocket="wss://ws456.execute-api.us-east-1.amazonaws.com/live",
        sign_in="https://flexfleet-123456789012.auth.us-east-1.amazoncognito.com",
        client_id="client789",
    )
    assert config["auth"]["tokenUrl"] == (
        "https://flexfleet-123456789012.auth.us-east-1.amazoncognito.com/oauth2/token"
    )


def test_a_stack_without_the_outputs_is_refused_naming_them() -> None:
    with pytest.raises(SystemExit, match="WebSocketUrl, SignInDomainUrl"):
        deploy_site.config_from_outputs({"ApiUrl": "https://x", "UserPoolClientId": "c"})


def test_every_file_is_uploaded_with_its_type_and_stale_ones_are_deleted(site: Path) -> None:
    config = deploy_site.config_from_outputs(OUTPUTS)
    with mock_aws():
        s3 = boto3.client("s3", region_name="us-east-1")
        s3.create_bucket(Bucket="dashboard")
        s3.put_object(Bucket="dashboard", Key="js/old.js", Body=b"gone")

        stale = deploy_site.upload(s3, "dashboard", list(deploy_site.site_files(site, config)))
        stored = objects(s3, "dashboard")

    assert stale == ["js/old.js"]
    assert {key: item["ContentType"] for key, item in stored.items()} == {
        "index.html": "text/html; charset=utf-8",
        "styles.css": "text/css; charset=utf-8",
        "js/main.js": "text/javascript; charset=utf-8",
        "vendor/chart.umd.min.js": "text/javascript; charset=utf-8",
        "vendor/chart.umd.min.js.map": "application/json",
        "config.json": "application/json",
    }
    assert json.loads(stored["config.json"]["Body"].read()) == config  # the stack's, not the local
    assert stored["index.html"]["CacheControl"] == "no-cache"
    assert stored["js/main.js"]["CacheControl"] == "no-cache"
    assert stored["vendor/chart.umd.min.js"]["CacheControl"] == "public, max-age=86400"


def test_an_unbuilt_site_is_refused(tmp_path: Path) -> None:
    with pytest.raises(SystemExit, match="make web"):
        list(deploy_site.site_files(tmp_path, {}))


def test_the_bucket_and_outputs_are_read_from_the_stack() -> None:
    cloudformation = boto3.client("cloudformation", region_name="us-east-1")
    with Stubber(cloudformation) as stub:
        stub.add_response(
            "describe_stacks",
            {
                "Stacks": [
                    {
                        "StackName": "flexfleet",
                        "CreationTime": "2026-01-01T00:00:00Z",
                        "StackStatus": "UPDATE_COMPLETE",
                        "Outputs": [{"OutputKey": k, "OutputValue": v} for k, v in OUTPUTS.items()],
                    }
                ]
            },
            {"StackName": "flexfleet"},
        )
        stub.add_response(
            "describe_stack_resource",
            {
                "StackResourceDetail": {
                    "LogicalResourceId": "DashboardBucket",
                    "PhysicalResourceId": "flexfleet-dashboardbucket-1a2b3c",
                    "ResourceType": "AWS::S3::Bucket",
                    "LastUpdatedTimestamp": "2026-01-01T00:00:00Z",
                    "ResourceStatus": "CREATE_COMPLETE",
                }
            },
            {"StackName": "flexfleet", "LogicalResourceId": "DashboardBucket"},
        )
        assert deploy_site.stack_outputs(cloudformation, "flexfleet") == OUTPUTS
        assert deploy_site.physical_id(cloudformation, "flexfleet", "DashboardBucket") == (
            "flexfleet-dashboardbucket-1a2b3c"
        )


def test_the_stack_name_and_region_are_samconfigs() -> None:
    assert deploy_site.deployed_names() == ("flexfleet", "us-east-1")
