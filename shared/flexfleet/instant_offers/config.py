"""Every parameter of instant offers, in one place, with where it comes from.

The README's "Instant offers" section explains each; change them here only.
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

# --- Pay: an hourly rate over the estimated time, shown up front ---------------------------
# Amazon Flex advertises $18 to $25 an hour; every instant offer's rate stays in that range.
MIN_HOURLY_RATE = Decimal("18.00")
MAX_HOURLY_RATE = Decimal("25.00")
# An instant offer is retail work from a mall's stores done outside a block, so it starts at the
# rate of the blocks' `retail` shift type (blocks/config.py SHIFT_TYPES, $19.50), copied here so
# that the two features stay apart.
BASE_HOURLY_RATE = Decimal("19.50")
# Each earlier offer of the same order that was declined or expired adds this much an hour,
# as surge does for an unfilled block (blocks' first step, $1.00): an order nobody takes is
# urgent, and the rate rises until someone does, never above MAX_HOURLY_RATE.
RATE_STEP_PER_REFUSAL = Decimal("1.00")
# The estimate is rounded up to whole minutes, and pay is the rate over those minutes, to the
# cent. Driving is at retail's TRAVEL_SPEED_KMH (retail/config.py), as the customer's ETA is.

# --- The offer ----------------------------------------------------------------------------------
# How long the driver has to accept. Flex's instant offers stay up for about a minute; 90
# seconds leaves time to read the pay and the drop-off while driving safely to a stop.
OFFER_WINDOW = timedelta(seconds=90)
# An order is offered out only when it is ready within this time: an order ready later may
# still go to a driver on a block, and a driver who accepts now should not wait an hour.
OFFER_LEAD = timedelta(minutes=30)

# An accept refused only because another transaction held the order at that moment is read
# again and retried, after a jittered pause (up to 10 ms, doubling), this many times: AWS's SDKs
# retry a throttled call about as often, and five pauses stay well under the API's timeout.
ACCEPT_RETRIES = 5

# --- Candidates -----------------------------------------------------------------------------------
# Nearby: within this great-circle distance of the mall, about 16 minutes at 30 km/h.
OFFER_RADIUS_KM = 8.0
# Online counts only while fresh: the driver app sends its position every minute or so, and a
# driver whose app has not been heard from for this long may have closed it without going
# offline.
AVAILABILITY_FRESH_FOR = timedelta(minutes=10)
# Drivers are found through a grid of cells this many to a degree of latitude and of longitude
# (0.1°: about 11 km north to south, and 9 km east to west at the pilot malls' latitudes), so
# that the cells the offer radius touches are the mall's own and at most its eight neighbours.
CELLS_PER_DEGREE = 10
