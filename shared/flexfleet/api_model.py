"""The base of every model the API reads or writes, and the one type of a moment it accepts."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Annotated, Any, TypeGuard, get_args

from pydantic import AfterValidator, AwareDatetime, BaseModel, BeforeValidator, ConfigDict, Field
from pydantic.alias_generators import to_camel

# The moments FlexFleet reasons about. Outside them a time is a typo or an attack: year 9999 with
# an offset does not even convert to UTC, and a far-future time would sit in the indexes forever.
EARLIEST = datetime(2000, 1, 1, tzinfo=UTC)
LATEST = datetime(2100, 1, 1, tzinfo=UTC)


class ApiModel(BaseModel):
    """camelCase on the wire, snake_case in Python; unknown fields are an error."""

    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="forbid")


def stored_fields(model: type[BaseModel], data: dict[str, Any]) -> dict[str, Any]:
    """An item's attributes that the model knows, in nested models too. A model refuses unknown
    fields from clients, but an item may carry one a newer version added: it is ignored."""
    kept = {}
    for name, field in model.model_fields.items():
        key = field.alias or name
        if key not in data:
            continue
        value = data[key]
        nested = [t for t in (field.annotation, *get_args(field.annotation)) if _is_model(t)]
        kept[key] = stored_fields(nested[0], value) if nested and isinstance(value, dict) else value
    return kept


def _is_model(annotation: object) -> TypeGuard[type[BaseModel]]:
    return isinstance(annotation, type) and issubclass(annotation, BaseModel)


def _written(value: object) -> object:
    # JSON Schema's date-time is a string; pydantic would also take a number as epoch seconds.
    if not isinstance(value, str | datetime):
        raise ValueError("must be an ISO 8601 date-time string with an offset")
    return value


def _in_utc(moment: datetime) -> datetime:
    try:
        utc = moment.astimezone(UTC)
    except OverflowError:
        utc = None
    if utc is None or not EARLIEST <= utc < LATEST:
        raise ValueError(f"must be between {EARLIEST:%Y-%m-%d} and {LATEST:%Y-%m-%d} (UTC)")
    return utc


# ISO 8601 with an offset, stored in UTC whatever offset it came with: the indexes compare times
# as strings, and days by their UTC date.
UtcDatetime = Annotated[
    AwareDatetime,
    Field(description="ISO 8601 with an offset, from 2000-01-01 to 2100-01-01 UTC; kept in UTC"),
    BeforeValidator(_written),
    AfterValidator(_in_utc),
]


def whole_number(value: object) -> object:
    """JSON has one number type, and JSON Schema counts 4.0 as an integer: so does FlexFleet.
    4.5, "4" and true are refused. A stored item's Decimal(4) is 4."""
    if isinstance(value, bool) or not isinstance(value, int | float | Decimal):
        raise ValueError("must be a whole number")
    if isinstance(value, float | Decimal):
        if not value.is_finite() if isinstance(value, Decimal) else not value.is_integer():
            raise ValueError("must be a whole number")
        if value != int(value):
            raise ValueError("must be a whole number")
        return int(value)
    return value


def _boolean(value: object) -> object:
    # pydantic's lax bool would take "yes", "on", 1 and "true": a client sending those has a bug.
    if not isinstance(value, bool):
        raise ValueError("must be true or false")
    return value


# JSON's true or false, and nothing else.
Boolean = Annotated[bool, BeforeValidator(_boolean)]


def same_request(stored: BaseModel, request: BaseModel) -> bool:
    """Whether a stored record was made from this very request: a resubmit, to answer as done,
    rather than another request with the same id. Compares the request's fields only."""
    kind = type(request)
    return kind.model_validate(stored.model_dump(include=set(kind.model_fields))) == request
