"""The parameters of rating, in one place, with where they come from. The README explains each."""

from __future__ import annotations

from datetime import timedelta

# A customer may rate a delivery for this long after it arrived: long enough for a customer who
# was away, short enough that a rating is about a delivery they remember. Amazon asks within 30
# days too.
RATING_DEADLINE = timedelta(days=30)

# How long a rating, with its comment (personal data), is kept: DynamoDB's TTL deletes it at
# `purgeAt`. Standing reads ratings of the last 180 days only; a year keeps every rating that can
# still count, and those a dispute or an appeal may look back on, and no longer (GDPR's storage
# limitation). The deletion reaches standing as a REMOVE on the stream, which changes nothing.
RATING_RETENTION = timedelta(days=365)
