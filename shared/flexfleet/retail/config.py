"""Every parameter of retail orders, in one place, with where it comes from.

The README's "Retail shipping" section explains each; change them here only.
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

# --- Estimates: what the customer's ETA and the feasibility flag assume ------------------
# 30 km/h is a suburban door-to-door average with parking; each order takes 5 minutes to pick
# up at the store and 3 to hand over at the door.
TRAVEL_SPEED_KMH = 30.0
PICKUP_TIME = timedelta(minutes=5)
DROPOFF_TIME = timedelta(minutes=3)

# --- Orders ---------------------------------------------------------------------------------
# A driver picks up at the store: within this distance of the mall.
PICKUP_GEOFENCE_KM = 0.5
MAX_PACKAGES = 20
# An order is for today or the next few days; further ahead is a typo.
MAX_ORDER_HORIZON = timedelta(days=7)
# Same-day shipping: an order is delivered within a day of being ready.
MAX_DELIVERY_WINDOW = timedelta(days=1)
# A tip above this is a typo, and would pass to the driver in full.
MAX_TIP = Decimal("500.00")
