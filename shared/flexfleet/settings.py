"""The functions' typed configuration: the one place that reads the environment.

Each settings model declares what it needs as fields, and is parsed on first use,
never at import. A missing variable fails fast with a validation error that names
it. (pydantic-settings does the same but doubled the cold start, so plain pydantic
reads the mapping.)
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Self

from pydantic import BaseModel, ConfigDict


class FunctionSettings(BaseModel):
    model_config = ConfigDict(
        alias_generator=str.upper, populate_by_name=True, frozen=True, extra="ignore"
    )

    # Set only by the local runtime, whose clock tests may move (flexfleet.clock.OffsetClock).
    local_runtime_clock_file: str | None = None

    @classmethod
    def from_environment(cls, environment: Mapping[str, str]) -> Self:
        return cls.model_validate(dict(environment))

    @classmethod
    def of_this_function(cls) -> Self:
        """The settings from this function's environment, as the template sets it."""
        return cls.from_environment(os.environ)


class DeliveriesSettings(FunctionSettings):
    deliveries_table_name: str


class RatingsSettings(DeliveriesSettings):
    ratings_table_name: str


class StandingSettings(RatingsSettings):
    standing_table_name: str
    event_bus_name: str
    bookings_table_name: str


class StandingReadSettings(FunctionSettings):
    standing_table_name: str
    standing_history_table_name: str


class CatalogueSettings(FunctionSettings):
    malls_table_name: str
    retailers_table_name: str


class BlocksSettings(CatalogueSettings):
    blocks_table_name: str
    bookings_table_name: str
    reserved_offers_table_name: str
    drivers_table_name: str
    standing_table_name: str


class OrdersSettings(CatalogueSettings, DeliveriesSettings):
    orders_table_name: str
    bookings_table_name: str


class DispatchSettings(OrdersSettings):
    standing_table_name: str
    dispatch_leases_table_name: str


class InstantOffersSettings(OrdersSettings):
    standing_table_name: str
    availability_table_name: str
    instant_offers_table_name: str


class TokenSettings(FunctionSettings):
    """The WebSocket authorizer's: the HTTP API authorizer's issuer and audience, and the JWKS."""

    token_issuer: str
    token_audience: str
    jwks_url: str


class ConnectionsSettings(FunctionSettings):
    connections_table_name: str
    # The stage's URL (wss://… in AWS, ws://… locally); the management API is at its http(s) twin.
    websocket_endpoint: str


class NotifierSettings(ConnectionsSettings):
    ratings_table_name: str
    standing_table_name: str
    standing_history_table_name: str
    blocks_table_name: str
    reserved_offers_table_name: str
    instant_offers_table_name: str
    orders_table_name: str
    drivers_table_name: str


class StandingHistorySettings(FunctionSettings):
    standing_table_name: str
    standing_history_table_name: str
