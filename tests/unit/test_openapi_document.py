"""The OpenAPI document states the rules the API enforces, so that a client (or a fuzzer)
generating from it sends what the API accepts."""

from __future__ import annotations

import json
from typing import Any

from flexfleet.api.openapi import openapi_document


def schema(name: str) -> dict[str, Any]:
    schemas: dict[str, Any] = json.loads(openapi_document())["components"]["schemas"]
    return dict(schemas[name])


def test_stars_and_factors_are_whole_numbers_from_1_to_5() -> None:
    stars = schema("RatingSubmission")["properties"]["stars"]
    timeliness = schema("Factors")["properties"]["timeliness"]["anyOf"][0]

    for number in (stars, timeliness):
        assert (number["type"], number["minimum"], number["maximum"]) == ("integer", 1, 5)
        assert "ge" not in number and "le" not in number


def test_a_time_is_a_date_time_string_and_says_its_range() -> None:
    start = schema("PromisedWindow")["properties"]["start"]

    assert (start["type"], start["format"]) == ("string", "date-time")
    assert "2000-01-01" in start["description"] and "2100-01-01" in start["description"]


def test_the_standing_history_documents_its_window_of_days_and_its_points() -> None:
    document = json.loads(openapi_document())
    operation = document["paths"]["/drivers/{driverId}/standing/history"]["get"]
    (days,) = [p for p in operation["parameters"] if p["name"] == "days"]
    point = schema("HistoryPoint")

    assert days["in"] == "query"
    assert (days["schema"]["minimum"], days["schema"]["maximum"]) == (1, 365)
    assert days["schema"]["default"] == 30
    assert set(point["required"]) == {"at", "tier", "components"}
    assert set(schema("StandingHistory")["required"]) == {"driverId", "points", "truncated"}
    assert "left out" in schema("StandingHistory")["properties"]["truncated"]["description"]
