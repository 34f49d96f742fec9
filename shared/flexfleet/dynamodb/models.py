"""Items that are a model's JSON form plus their index attributes, written and read alike."""

from __future__ import annotations

from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from flexfleet.api_model import stored_fields
from flexfleet.dynamodb.attribute_values import from_item, to_item
from flexfleet.dynamodb.unreadable import UnreadableItem

M = TypeVar("M", bound=BaseModel)


def model_item(model: BaseModel, **index_attributes: Any) -> dict[str, Any]:
    """The model as an item: its camelCase JSON form (absent fields left out), plus attributes
    kept only for the table's keys and indexes."""
    data = model.model_dump(mode="json", by_alias=True, exclude_none=True)
    return to_item({**data, **index_attributes})


def read_model(kind: type[M], item: dict[str, Any], table: str, *key_names: str) -> M:
    """The model an item holds, ignoring attributes it does not know (index attributes, or a
    newer version's); UnreadableItem, naming the item's key, if it holds none."""
    try:
        return kind.model_validate(stored_fields(kind, from_item(item)))
    except (TypeError, ValueError, ValidationError) as exc:
        key = {name: item.get(name) for name in key_names}
        raise UnreadableItem(table, key, str(exc).replace("\n", "; ")) from exc
