"""What template.yaml promises the real-time pieces, by the names the local runtime and the
dashboard rely on: the WebSocket API and its authorizer, the connections table, the functions'
least privilege, CORS for the dashboard's origin alone, the hosted UI, the site's hosting."""

from __future__ import annotations

from typing import Any

from infra.local_runtime.stack import Stack
from infra.local_runtime.template import Template

DASHBOARD_ORIGIN = {
    "Fn::If": [
        "HasDashboardOrigin",
        {"Ref": "DashboardOrigin"},
        {"Fn::Sub": "https://${DashboardDistribution.DomainName}"},
    ]
}
INTEGRATION_URI = (
    "arn:${AWS::Partition}:apigateway:${AWS::Region}:lambda:path/2015-03-31/functions/"
    "${%s.Arn}/invocations"
)


def statements(template: Template, function: str) -> list[dict[str, Any]]:
    found = []
    for policy in template.function(function).properties.get("Policies", []):
        if isinstance(policy, dict) and "Statement" in policy:
            found += policy["Statement"]
    return found


def test_the_websocket_api_selects_routes_by_the_action_of_the_body(template: Template) -> None:
    api = template.properties("WebSocketApi")

    assert template.resources["WebSocketApi"]["Type"] == "AWS::ApiGatewayV2::Api"
    assert api["ProtocolType"] == "WEBSOCKET"
    assert api["RouteSelectionExpression"] == "$request.body.action"


def test_connect_alone_takes_the_request_authorizer_on_the_token_query_parameter(
    template: Template,
) -> None:
    authorizer = template.properties("WebSocketAuthorizer")
    routes = {
        template.properties(r)["RouteKey"]: template.properties(r)
        for r in template.of_type("AWS::ApiGatewayV2::Route")
    }

    assert authorizer["AuthorizerType"] == "REQUEST"
    assert authorizer["IdentitySource"] == ["route.request.querystring.token"]
    assert authorizer["AuthorizerUri"] == {
        "Fn::Sub": INTEGRATION_URI % "WebSocketAuthorizerFunction"
    }
    assert set(routes) == {"$connect", "$disconnect", "$default"}
    assert routes["$connect"]["AuthorizationType"] == "CUSTOM"
    assert routes["$connect"]["AuthorizerId"] == {"Ref": "WebSocketAuthorizer"}
    for route in routes.values():
        integration = route["Target"]["Fn::Sub"].removeprefix("integrations/${").rstrip("}")
        properties = template.properties(integration)
        assert properties["IntegrationType"] == "AWS_PROXY"
        assert properties["IntegrationUri"] == {"Fn::Sub": INTEGRATION_URI % "WebSocketFunction"}


def test_the_stage_is_live_and_deploys_itself(template: Template) -> None:
    stage = template.properties("WebSocketStage")

    assert (stage["StageName"], stage["AutoDeploy"]) == ("live", True)


def test_the_authorizer_checks_tokens_as_the_http_apis_authorizer_does(template: Template) -> None:
    jwt = template.properties("HttpApi")["Auth"]["Authorizers"]["CognitoJwt"]["JwtConfiguration"]
    variables = template.function("WebSocketAuthorizerFunction").properties["Environment"][
        "Variables"
    ]

    assert variables["TOKEN_ISSUER"] == jwt["issuer"]
    assert [variables["TOKEN_AUDIENCE"]] == jwt["audience"]
    assert variables["JWKS_URL"] == {"Fn::Sub": "${UserPool.ProviderURL}/.well-known/jwks.json"}


def test_connections_are_keyed_by_id_found_by_user_and_expire(template: Template) -> None:
    table = template.properties("ConnectionsTable")
    (index,) = table["GlobalSecondaryIndexes"]

    assert table["KeySchema"] == [{"AttributeName": "connectionId", "KeyType": "HASH"}]
    assert index["IndexName"] == "byUser"
    assert index["KeySchema"][0] == {"AttributeName": "userId", "KeyType": "HASH"}
    assert table["TimeToLiveSpecification"] == {"AttributeName": "expiresAt", "Enabled": True}


def test_the_functions_that_push_reach_the_stage_they_post_to_and_only_it(
    template: Template,
) -> None:
    endpoint = {"Fn::Sub": "${WebSocketApi.ApiEndpoint}/${WebSocketStage}"}
    manage = {
        "Fn::Sub": "arn:${AWS::Partition}:execute-api:${AWS::Region}:${AWS::AccountId}:"
        "${WebSocketApi}/${WebSocketStage}/POST/@connections/*"
    }
    for function in ("WebSocketFunction", "NotifierFunction"):
        variables = template.function(function).properties["Environment"]["Variables"]
        granted = [s for s in statements(template, function) if "execute-api" in str(s["Action"])]
        assert variables["WEBSOCKET_ENDPOINT"] == endpoint, function
        assert granted == [
            {"Effect": "Allow", "Action": "execute-api:ManageConnections", "Resource": manage}
        ], function
    assert statements(template, "WebSocketAuthorizerFunction") == []
    assert "Policies" not in template.function("WebSocketAuthorizerFunction").properties


def test_connect_may_count_the_users_connections_on_by_user_and_nothing_wider(
    template: Template,
) -> None:
    tables = [s for s in statements(template, "WebSocketFunction") if "dynamodb" in str(s)]

    assert tables == [
        {
            "Effect": "Allow",
            "Action": ["dynamodb:PutItem", "dynamodb:DeleteItem"],
            "Resource": {"Fn::GetAtt": ["ConnectionsTable", "Arn"]},
        },
        {
            "Effect": "Allow",
            "Action": "dynamodb:Query",
            "Resource": {"Fn::Sub": "${ConnectionsTable.Arn}/index/byUser"},
        },
    ]


def test_the_notifier_reads_each_stream_whose_changes_it_pushes(template: Template) -> None:
    streams = {
        event.properties["Stream"]["Fn::GetAtt"][0]
        for event in template.function("NotifierFunction").events
        if event.type == "DynamoDB"
    }

    assert streams == {
        "RatingsTable",
        "StandingHistoryTable",
        "BlocksTable",
        "ReservedOffersTable",
        "InstantOffersTable",
        "OrdersTable",
    }


def test_the_notifier_starts_at_the_latest_record_and_the_standing_history_at_the_oldest(
    template: Template,
) -> None:
    """A push of the past is worthless, and a backlog older than MaximumRecordAgeInSeconds on
    the first deploy would all go to StreamFailureQueue; the history must lose no point."""
    notified = [e for e in template.function("NotifierFunction").events if e.type == "DynamoDB"]
    (history,) = [
        e for e in template.function("StandingHistoryFunction").events if e.type == "DynamoDB"
    ]

    assert notified
    assert {e.properties["StartingPosition"] for e in notified} == {"LATEST"}
    assert history.properties["StartingPosition"] == "TRIM_HORIZON"


def test_no_stream_has_more_than_two_readers(template: Template) -> None:
    """DynamoDB throttles a stream's shard read by more than two consumers at once."""
    readers: dict[str, int] = {}
    for event in template.event_sources("DynamoDB"):
        table = event.properties["Stream"]["Fn::GetAtt"][0]
        readers[table] = readers.get(table, 0) + 1

    assert max(readers.values()) <= 2, readers


def test_the_http_api_allows_the_dashboards_origin_and_nothing_wider(template: Template) -> None:
    cors = template.properties("HttpApi")["CorsConfiguration"]

    assert cors["AllowOrigins"] == [DASHBOARD_ORIGIN]
    assert "*" not in str(cors)
    assert cors["AllowHeaders"] == ["authorization", "content-type", "idempotency-key"]
    assert cors["MaxAge"] == 600
    methods = {e.properties["Method"] for e in template.event_sources("HttpApi")}
    assert set(cors["AllowMethods"]) == methods


def test_the_local_dashboard_origin_is_the_one_cors_and_sign_in_allow(template: Template) -> None:
    local = Stack(template, parameter_overrides={"DashboardOrigin": "http://127.0.0.1:3002"})
    client = local.resolve(template.properties("UserPoolClient"))

    assert local.resolve(template.properties("HttpApi")["CorsConfiguration"]["AllowOrigins"]) == [
        "http://127.0.0.1:3002"
    ]
    assert client["CallbackURLs"] == client["LogoutURLs"] == ["http://127.0.0.1:3002/"]
    assert local.resolve(template.outputs["DashboardUrl"]["Value"]) == "http://127.0.0.1:3002"


def test_the_sign_in_client_uses_the_code_flow_of_the_hosted_ui(template: Template) -> None:
    client = template.properties("UserPoolClient")

    assert client["AllowedOAuthFlowsUserPoolClient"] is True
    assert client["AllowedOAuthFlows"] == ["code"]
    assert client["AllowedOAuthScopes"] == ["openid", "email", "profile"]
    assert client["SupportedIdentityProviders"] == ["COGNITO"]
    assert client["GenerateSecret"] is False
    assert template.resources["UserPoolDomain"]["Type"] == "AWS::Cognito::UserPoolDomain"


def test_the_site_is_a_private_bucket_served_only_through_cloudfront(template: Template) -> None:
    bucket = template.resources["DashboardBucket"]
    blocked = bucket["Properties"]["PublicAccessBlockConfiguration"]
    distribution = template.properties("DashboardDistribution")["DistributionConfig"]
    (read,) = [
        s
        for s in template.properties("DashboardBucketPolicy")["PolicyDocument"]["Statement"]
        if s["Effect"] == "Allow"
    ]

    assert bucket["Metadata"]["SiteContent"] == "web/dist"
    assert all(blocked.values()) and len(blocked) == 4
    assert bucket["Properties"]["VersioningConfiguration"] == {"Status": "Enabled"}
    assert "BucketEncryption" in bucket["Properties"]
    assert distribution["DefaultRootObject"] == "index.html"
    assert distribution["DefaultCacheBehavior"]["ViewerProtocolPolicy"] == "redirect-to-https"
    assert "ResponseHeadersPolicyId" in distribution["DefaultCacheBehavior"]
    assert read["Principal"] == {"Service": "cloudfront.amazonaws.com"}
    assert "AWS:SourceArn" in read["Condition"]["StringEquals"]


def test_the_outputs_name_what_the_dashboard_and_the_runtime_need(template: Template) -> None:
    outputs = template.outputs

    assert outputs["WebSocketUrl"]["Value"] == {
        "Fn::Sub": "${WebSocketApi.ApiEndpoint}/${WebSocketStage}"
    }
    assert outputs["DashboardUrl"]["Value"] == DASHBOARD_ORIGIN
    assert outputs["SignInDomainUrl"]["Value"] == {
        "Fn::Sub": "https://${UserPoolDomain}.auth.${AWS::Region}.amazoncognito.com"
    }
    assert {"UserPoolClientId", "HttpApiUrl", "DashboardBucketName"} <= set(outputs)
