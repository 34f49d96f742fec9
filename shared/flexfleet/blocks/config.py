"""Every parameter of blocks, pay and offers, in one place, with where it comes from.

The README's "Retail shipping" section explains each; change them here only.
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from flexfleet.tiers import Tier

# --- Pay ----------------------------------------------------------------------------------
# Amazon Flex advertises $18 to $25 an hour "depending on the type of shift". The type decides
# the rate; every type above the lowest rate is premium, and At Risk never sees premium work.
MIN_HOURLY_RATE = Decimal("18.00")
MAX_HOURLY_RATE = Decimal("25.00")
SHIFT_TYPES: dict[str, tuple[Decimal, str]] = {
    "standard": (Decimal("18.00"), "Weekday daytime delivery-station routes"),
    "retail": (Decimal("19.50"), "Retail shipping from a mall's stores: several pickups a block"),
    "evening": (Decimal("21.00"), "Blocks that start at or after 17:00 local time"),
    "weekend": (Decimal("22.50"), "Saturday and Sunday blocks"),
    "holiday": (Decimal("25.00"), "Federal holidays and peak-season days"),
}

# Surge: a block still unfilled as its start nears rises by these steps, checked by the
# surge job every few minutes. Never above MAX_HOURLY_RATE. A booking keeps the rate it was
# accepted at: pay is shown up front and never changes under the driver.
SURGE_STEPS: tuple[tuple[timedelta, Decimal], ...] = (
    (timedelta(hours=3), Decimal("1.00")),
    (timedelta(hours=2), Decimal("2.00")),
    (timedelta(hours=1), Decimal("3.50")),
)

# --- Publishing a block -----------------------------------------------------------------------
# Flex blocks last 2 to 6 hours; one to eight allows a short top-up and a long peak day.
MIN_BLOCK_LENGTH = timedelta(hours=1)
MAX_BLOCK_LENGTH = timedelta(hours=8)
# Every tier's release must come at least 2 hours before the start, so a block is published at
# least that early; two weeks ahead is as far as drivers plan.
MIN_LEAD_TIME = timedelta(hours=2)
MAX_LEAD_TIME = timedelta(days=14)
MAX_CAPACITY = 100

# --- Releases: better standing sees every block earlier -----------------------------------
# Fantastic at publication, then each tier after these delays (all under 24 hours). When the
# block starts sooner, each release is brought forward to MIN_LEAD_TIME before the start,
# never earlier than the release of the tier above: the order of the tiers always holds.
RELEASE_DELAYS: dict[Tier, timedelta] = {
    Tier.FANTASTIC: timedelta(0),
    Tier.GREAT: timedelta(hours=2),
    Tier.FAIR: timedelta(hours=6),
    Tier.AT_RISK: timedelta(hours=12),
}

# --- Reserved offers ------------------------------------------------------------------------
# At publication this share of the capacity (rounded down) is offered exclusively to Fantastic
# drivers who prefer the mall, each with a window to accept; one not taken returns to the pool.
# Flex's rewards give 15, 20 then 30 minutes by level: Fantastic, the top level, gets 30.
RESERVED_SHARE = Decimal("0.2")
RESERVED_WINDOW = timedelta(minutes=30)

# --- Forfeits, check-in and no-shows --------------------------------------------------------
# Flex counts a forfeit less than 45 minutes before the start against reliability.
FORFEIT_NOTICE = timedelta(minutes=45)
# Check-in opens 30 minutes before the start and closes 15 minutes after it, within the mall's
# geofence; a booking not checked in by then is a no-show, marked by the no-show job.
CHECK_IN_OPENS = timedelta(minutes=30)
CHECK_IN_CLOSES = timedelta(minutes=15)
GEOFENCE_KM = 0.5

# --- Reading ------------------------------------------------------------------------------
PAST_BLOCKS_SHOWN = timedelta(days=30)
MAX_EARNINGS_SPAN = timedelta(days=93)
MAX_PREFERRED_MALLS = 10
