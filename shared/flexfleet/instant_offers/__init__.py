"""Instant offers: an order no driver on a block can serve in time, offered to nearby online
drivers one at a time, better tiers first."""
