"""Rating a delivery, a driver's feedback, responses and disputes."""

from __future__ import annotations

import os
from functools import cache
from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

from flexfleet.api.resolver import http_resolver
from flexfleet.api.routes import ratings
from flexfleet.aws_clients import dynamodb_client
from flexfleet.wiring import TableNames, rating_service

logger = Logger()
app = http_resolver()
app.include_router(ratings.router)


@cache
def services() -> dict[str, Any]:
    return {"ratings": rating_service(TableNames.from_environment(os.environ), dynamodb_client())}


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    app.append_context(**services())
    return app.resolve(event, context)
