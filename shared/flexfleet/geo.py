"""Points on the Earth, the great-circle distance between them, for service radii and
geofences, and a flat projection around a point, for dispatch's travel times."""

from __future__ import annotations

from math import asin, cos, radians, sin, sqrt
from typing import Annotated

from pydantic import AfterValidator, Field

from flexfleet.api_model import ApiModel

# The mean radius of IUGG's ellipsoid: the haversine error is under 0.5%, metres across a mall.
EARTH_RADIUS_KM = 6371.0088


def _seven_places(degrees: float) -> float:
    # About a centimetre: finer is noise, and a number like 5e-324 is outside what DynamoDB
    # stores (its smallest magnitude is 1e-130).
    return round(degrees, 7)


Latitude = Annotated[
    float, Field(ge=-90, le=90, allow_inf_nan=False), AfterValidator(_seven_places)
]
Longitude = Annotated[
    float, Field(ge=-180, le=180, allow_inf_nan=False), AfterValidator(_seven_places)
]


class Point(ApiModel):
    lat: Latitude
    lng: Longitude


def distance_km(a: Point, b: Point) -> float:
    """The haversine distance."""
    dlat, dlng = radians(b.lat - a.lat), radians(b.lng - a.lng)
    h = sin(dlat / 2) ** 2 + cos(radians(a.lat)) * cos(radians(b.lat)) * sin(dlng / 2) ** 2
    return 2 * EARTH_RADIUS_KM * asin(min(1.0, sqrt(h)))


def metres_east_north(origin: Point, point: Point) -> tuple[float, float]:
    """Where `point` lies from `origin`, in metres east and north, on the equirectangular
    projection around the origin: within 0.1% of the great-circle distance across a city
    (25 km), so that dispatch can add and compare distances as on a plane."""
    metres_per_radian = EARTH_RADIUS_KM * 1000
    east = radians(point.lng - origin.lng) * cos(radians(origin.lat)) * metres_per_radian
    north = radians(point.lat - origin.lat) * metres_per_radian
    return east, north
