"""The base of each function's typed configuration.

A function declares its settings as fields; the handler parses them once, on
first use, from the environment it passes in. A missing variable fails fast
with a validation error that names it. (pydantic-settings does the same but
doubled the cold start, so plain pydantic reads the mapping.)
"""

from __future__ import annotations

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
