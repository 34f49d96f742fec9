"""GET /drivers/{driverId}/standing and GET /standing/review-queue."""

from __future__ import annotations

import os
from functools import cache
from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

from flexfleet.api.resolver import http_resolver
from flexfleet.api.routes import standing
from flexfleet.aws_clients import dynamodb_client
from flexfleet.settings import FunctionSettings
from flexfleet.standing.repository import StandingRepository
from flexfleet.standing.service import StandingService

logger = Logger()
app = http_resolver()
app.include_router(standing.router)


class Settings(FunctionSettings):
    standing_table_name: str


@cache
def services() -> dict[str, Any]:
    settings = Settings.from_environment(os.environ)
    return {
        "standing": StandingService(
            StandingRepository(dynamodb_client(), settings.standing_table_name)
        )
    }


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    app.append_context(**services())
    return app.resolve(event, context)
