"""When each tier first sees a block, and who may see it at a given moment.

Pure: no I/O and no clock; the caller passes `now`. Every parameter is in config.py.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from datetime import datetime
from decimal import ROUND_FLOOR

from flexfleet.blocks import config
from flexfleet.blocks.model import Block
from flexfleet.tiers import Tier


def release_times(published: datetime, start: datetime) -> dict[Tier, datetime]:
    """Each tier's first sight of the block: its delay after publication, brought forward to
    MIN_LEAD_TIME before the start when the start is near, and never before publication.
    A better tier's release is never later than a worse tier's."""
    latest = max(published, start - config.MIN_LEAD_TIME)
    return {
        tier: max(published, min(published + delay, latest))
        for tier, delay in config.RELEASE_DELAYS.items()
    }


def releases_of(block: Block) -> dict[Tier, datetime]:
    """A published block's release times, by tier."""
    return {Tier.of_label(label): moment for label, moment in block.releases.items()}


def may_see(tier: Tier, premium: bool, releases: dict[Tier, datetime], now: datetime) -> bool:
    """Whether a driver of this tier may see (and accept) the block now: released to the tier,
    and never a premium block for At Risk."""
    if premium and tier is Tier.AT_RISK:
        return False
    return releases[tier] <= now


def reserved_places(capacity: int) -> int:
    """Places held back at publication for reserved offers to Fantastic drivers."""
    return int((capacity * config.RESERVED_SHARE).to_integral_value(rounding=ROUND_FLOOR))


def reserved_order(block_id: str, driver_ids: Iterable[str]) -> list[str]:
    """The order in which Fantastic drivers get a block's reserved offers: a hash of the block
    and the driver, so that each block favours different drivers, and a retry favours the
    same ones. Fair access, not a race won by whoever polls fastest."""
    return sorted(driver_ids, key=lambda d: hashlib.sha256(f"{block_id}/{d}".encode()).digest())
