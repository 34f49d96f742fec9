"""Every parameter of live updates, in one place, with where it comes from.

The README's "Live updates" section explains each; change them here only.
"""

from __future__ import annotations

from datetime import timedelta

# API Gateway closes a WebSocket connection after 2 hours whatever happens (its quota "Connection
# duration for WebSocket API"): a connection item's TTL is then, so that one whose $disconnect
# was lost is removed by DynamoDB rather than pushed to for ever; or sooner, when the token it
# was opened with expires (Cognito's ID tokens last an hour): its groups were read from that
# token, and are no longer vouched for after it. Reads skip an expired item before TTL gets to it.
CONNECTION_LIFETIME = timedelta(hours=2)

# The JWKS is fetched once and kept for the life of the execution environment, as API Gateway's
# JWT authorizer keeps it; a token signed by a key it does not hold makes it fetch again, at most
# once per JWKS_REFETCH_COOLDOWN, so that tokens with made-up key ids cannot flood the issuer.
JWKS_LIFESPAN = timedelta(hours=1)
JWKS_REFETCH_COOLDOWN = timedelta(seconds=30)
JWKS_FETCH_TIMEOUT = timedelta(seconds=3)

# A client message larger than this is refused with an error frame, before it is parsed. API
# Gateway's own limit is 128 KB a message (32 KB a frame); a ping is 17 bytes.
MAX_CLIENT_MESSAGE_BYTES = 4096

# A user's live connections at once: a phone, a laptop, a tab or two each, and room to spare. One
# token could otherwise open thousands, and each push posts to every one, one after another: a
# release to that user would outlast the notifier's timeout and fail its batch for everyone.
# $connect refuses the next (429), and the notifier posts to at most this many of a user's
# connections, the newest, since two $connects at once can both pass the count.
MAX_CONNECTIONS_PER_USER = 10

# A release fans out to every driver of its tiers who prefers the mall: their connections are
# looked up and posted to this many drivers at a time.
FANOUT_CONCURRENCY = 8
