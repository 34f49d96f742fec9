"""Every parameter of dispatch (the engine and its runs), in one place, with why it has its value.

The README's "Dispatch engine" section explains the policy; tune it here only, and judge a
change with `make bench-dispatch`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

# --- The DispatchFunction's runs ------------------------------------------------------------
# How long a run may hold a mall. Longer than the DispatchFunction's 60-second timeout (a test
# holds them to it), so that a live run never loses its lease, and short, so that a run that
# died holding one delays the mall by a minute or two, not more.
LEASE = timedelta(seconds=90)
# A drivers_busy reason is written again only when its `until` moves by more than this: a late
# driver's free time creeps forward every minute, and ops need the reason, not each minute.
UNTIL_MOVES = timedelta(minutes=5)
# A driver still holding a trip past its planned end is planned free this long from now, never
# now: the booking takes no second trip until the first ends, so a trip committed to them would
# fail its write at every run, and their orders would get no reason. Two minutes is one run
# beyond the next (runs are a minute apart): long enough that the engine never commits to a
# driver still on a trip, short enough that it still plans with them, since most late drivers
# end their trip within minutes.
LATE_GRACE = timedelta(minutes=2)
# A driver this far past their trip's planned end is not planned for at all: their orders would
# otherwise stay held for them, run after run, and never get a reason nor go out as instant
# offers. Fifteen minutes is a trip running half again as long as its estimate.
LATE_LIMIT = timedelta(minutes=15)


# The values were chosen on the MDRP instances with `make bench-dispatch`; the README's
# "Dispatch engine" section gives the figures each change moved.
@dataclass(frozen=True)
class Policy:
    # --- Candidates: who is considered for what --------------------------------------------
    # A driver further than this from a store, in travel minutes, is not a candidate for it:
    # the spatial grid never looks beyond, and such a trip would waste more than it saves.
    reach: float = 30.0
    # Drivers who come free within this many minutes are planned for now, so that an order
    # can wait for the right driver rather than take a worse one who is idle. 40 beat 10, 20
    # and 30: at peaks, the driver finishing nearby is often the best one.
    horizon: float = 40.0

    # --- Bundles ---------------------------------------------------------------------------
    # At most this many orders of one store in one trip. Bundles form only when drivers run
    # short, so a generous cap costs nothing on a quiet day and loses fewer orders at peaks.
    max_bundle: int = 5
    # A bundle makes none of its orders wait more than this many minutes for another one to
    # become ready, counted from when the driver reaches the store: orders already ready by then
    # wait for nothing, however far apart their ready times (the usual case when drivers are
    # short and orders queue).
    bundle_window: float = 30.0
    # A bundle planned to be picked up more than this many minutes after it is ready (or not
    # planned at all) looks for a planned bundle of its store to join: drivers are short.
    late: float = 2.0
    # Rounds of merging and solving again, at most.
    merge_rounds: int = 3
    # When drivers are short, a minute of a driver's time costs this many minutes of
    # click-to-door. The matching adds it to each pair's cost, for the driver's time the plan
    # takes up (engine.priced), so idle drivers stay free for work; and an order planned on time
    # with a driver of its own still joins a planned bundle of its store if the driver time
    # saved, at this price, outweighs the delay added, and the freed driver takes other work.
    # Where a driver's time past their off-time is free (Driver.free_after_off: MDRP couriers),
    # it is not counted, so the trips that run past it go to such drivers about to go off.
    # Short means that at least `short_share` as many bundles are late or unplanned as there
    # are drivers in the pool staying on shift beyond `leaving` minutes from now: the known
    # off-times show a shortage before it comes.
    # The last sweep, with free time past the off-time counted as such: a share of 0.3 beat
    # 0.2 and 0.4; 1.5 came within 0.01 minutes of 1 and 1.25 (1 lost more orders) and beat 2;
    # 30 minutes came within 0.01 of 15 and 20 and beat 45. Earlier sweeps: with both uses of
    # the price, 1.5 beat 1, 1.25 and 2, a share of 0.2 beat 0.15 and tied 0.3, and 30 minutes
    # tied 20 and beat 45; before that, for merging alone, 2 beat 0.5, 1 and 3, a share of 0.2
    # beat 0 (bundles on quiet days cost delay), 0.1 and 0.5, and 30 minutes beat 0 and 60.
    driver_minute: float = 1.5
    short_share: float = 0.3
    leaving: float = 30.0

    # --- Costs, in minutes of click-to-door ------------------------------------------------
    # Each order left unplanned in a round costs this much, plus `age_weight` for each minute
    # it has waited since placement: the solver serves every order it can, older ones first.
    # A higher age weight loses fewer orders at peaks and delays the others more.
    hold: float = 1000.0
    age_weight: float = 0.5
    # A dollar of pay beyond the drivers' guarantees costs this many minutes: among drivers
    # who would pick up at about the same time, work goes to one whose guaranteed pay already
    # covers it. 0.1 (a minute for a $10 order) beat 0.5, which traded 0.15 minutes of
    # click-to-door for 5 cents an order, and 0, which left ties to chance and cost 54 cents.
    per_dollar: float = 0.1
    # Tier priority: a driver one tier better wins a tie with a worse one unless they cost
    # this many minutes more (two tiers better: twice this).
    tier_tolerance: float = 2.0

    # --- Commitment ------------------------------------------------------------------------
    # A planned trip is committed only once its driver must set off within this many minutes
    # to reach the store by the time the bundle is ready; until then it is held, so that a
    # later order or a driver coming free can still change the plan. 1 beat 0, 2 and 4. It
    # equals the runs' cadence, so a live run more than 12 s late sets such a trip off late
    # (README, "Known gaps"); 2 would leave a run's buffer, at 0.04 minutes on the benchmark.
    commit_slack: float = 1.0


DEFAULT = Policy()
