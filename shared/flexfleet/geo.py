"""Points on the Earth and the great-circle distance between them, for service radii and
geofences."""

from __future__ import annotations

from math import asin, cos, radians, sin, sqrt
from typing import Annotated

from pydantic import Field

from flexfleet.api_model import ApiModel

# The mean radius of IUGG's ellipsoid: the haversine error is under 0.5%, metres across a mall.
EARTH_RADIUS_KM = 6371.0088


class Point(ApiModel):
    lat: Annotated[float, Field(ge=-90, le=90, allow_inf_nan=False)]
    lng: Annotated[float, Field(ge=-180, le=180, allow_inf_nan=False)]


def distance_km(a: Point, b: Point) -> float:
    """The haversine distance."""
    dlat, dlng = radians(b.lat - a.lat), radians(b.lng - a.lng)
    h = sin(dlat / 2) ** 2 + cos(radians(a.lat)) * cos(radians(b.lat)) * sin(dlng / 2) ** 2
    return 2 * EARTH_RADIUS_KM * asin(min(1.0, sqrt(h)))
