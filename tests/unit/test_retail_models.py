"""The retail bodies refuse bad input naming the field at fault."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import BaseModel, ValidationError

from flexfleet.blocks.model import BlockRequest, Preferences
from flexfleet.retail.model import DeliveryOutcome, OrderRequest

BLOCK = {
    "blockId": "b-1",
    "mallId": "m",
    "shiftType": "retail",
    "start": "2026-12-01T10:00:00Z",
    "end": "2026-12-01T19:00:00Z",  # nine hours: too long
    "capacity": 3,
}
ORDER = {
    "orderId": "o-1",
    "customerId": "c-1",
    "dropoff": {"lat": 36.16, "lng": -115.15, "address": "1 Elm St"},
    "readyAt": "2026-12-01T10:00:00Z",
    "deliverBy": "2026-12-01T10:00:00Z",
    "packages": {"count": 1, "size": "small"},
}


def fields_refused(model: type[BaseModel], body: dict[str, Any]) -> list[tuple[Any, ...]]:
    with pytest.raises(ValidationError) as refused:
        model.model_validate(body)
    return [error["loc"] for error in refused.value.errors()]


@pytest.mark.parametrize(
    ("model", "body", "field"),
    [
        (BlockRequest, BLOCK, ("end",)),
        (OrderRequest, ORDER, ("deliverBy",)),
        (OrderRequest, ORDER | {"deliverBy": "2026-12-01T12:00:00Z", "tip": "500.01"}, ("tip",)),
        (Preferences, {"mallIds": ["m", "m"]}, ("mallIds",)),
        (DeliveryOutcome, {"outcome": "undeliverable"}, ("cause",)),
        (DeliveryOutcome, {"outcome": "delivered", "cause": "driver"}, ("cause",)),
    ],
)
def test_a_rule_across_fields_names_the_field_it_refuses(
    model: type[BaseModel], body: dict[str, Any], field: tuple[str, ...]
) -> None:
    assert fields_refused(model, body) == [field]


def test_coordinates_are_kept_to_seven_places_so_that_any_is_storable() -> None:
    order = OrderRequest.model_validate(
        ORDER
        | {
            "deliverBy": "2026-12-01T12:00:00Z",
            "dropoff": {"lat": 5e-324, "lng": -115.123456789, "address": "x"},
        }
    )
    assert (order.dropoff.lat, order.dropoff.lng) == (0.0, -115.1234568)
