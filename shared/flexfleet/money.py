"""Money as the API shows it: US dollars with cents, a decimal string, never a float."""

from __future__ import annotations

import re
from decimal import ROUND_HALF_UP, Decimal
from typing import Annotated

from pydantic import AfterValidator, BeforeValidator, PlainSerializer, WithJsonSchema

CENT = Decimal("0.01")


def cents(amount: Decimal) -> Decimal:
    """An amount rounded to the cent, halves away from zero, as payroll rounds."""
    return amount.quantize(CENT, rounding=ROUND_HALF_UP)


WRITTEN = re.compile(r"\d{1,7}(\.\d{1,2})?")


def _written(value: object) -> object:
    # A JSON number is a binary float on most clients: 0.1 + 0.2 is not 0.3 there.
    if isinstance(value, str) and WRITTEN.fullmatch(value) or isinstance(value, Decimal):
        return value
    raise ValueError('must be a decimal string of dollars and cents, such as "18.00"')


def _exact_cents(amount: Decimal) -> Decimal:
    if amount != amount.quantize(CENT):
        raise ValueError("must be in dollars with at most two decimal places")
    return amount.quantize(CENT)


# In JSON a string such as "18.00": a number would reach most clients as a binary float.
Dollars = Annotated[
    Decimal,
    BeforeValidator(_written),
    AfterValidator(_exact_cents),
    WithJsonSchema(
        {
            "type": "string",
            "pattern": f"^{WRITTEN.pattern}$",
            "description": "US dollars with cents, as a decimal string",
            "examples": ["18.00"],
        }
    ),
    PlainSerializer(lambda amount: f"{amount:.2f}", return_type=str, when_used="json"),
]
