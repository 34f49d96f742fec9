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


class StandingReadSettings(FunctionSettings):
    standing_table_name: str
