"""Instant offers' use cases: drivers going online, offering an order out one driver at a time,
better tiers first, and each offer's accept, decline, expiry or withdrawal.

Dispatch calls `offer_out(mall, order, now)` for an order its drivers on blocks can't serve; the
expiry job (`settle`) and a decline move the order on to the next candidate. Every step is a
conditional write, so a repeated call, a second decline or two jobs at once never skip a
candidate nor open a second offer of one order, nor a second open offer to one driver.

One job at a time: a driver who holds an order (instant or from a block) or is checked in on a
block that has not ended is offered nothing, and cannot accept an offer made before.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Protocol

from flexfleet.clock import Clock, utc_now
from flexfleet.dynamodb.transactions import TransactionRefused, back_off
from flexfleet.errors import (
    Conflict,
    Deactivated,
    DriverBusy,
    NotFound,
    OfferClosed,
    OfferExpired,
    OrderTaken,
)
from flexfleet.geo import distance_km
from flexfleet.identity import Caller, Role
from flexfleet.instant_offers import config
from flexfleet.instant_offers.candidates import (
    Candidate,
    arrival,
    cells_around,
    in_reach,
    ranked,
)
from flexfleet.instant_offers.model import (
    Availability,
    AvailabilityRequest,
    Created,
    InstantOffer,
    InstantOfferList,
    OfferStatus,
    OrderOffers,
    Settled,
    offer_id,
    offer_key,
    window_end,
)
from flexfleet.instant_offers.pay import estimated_minutes, hourly_rate, pay, pickup_travel
from flexfleet.malls.model import Mall
from flexfleet.retail.estimates import dispatch_time
from flexfleet.retail.model import Order
from flexfleet.tiers import StandingOf, Tier

REFUSED: frozenset[OfferStatus] = frozenset({"declined", "expired"})


class Catalogue(Protocol):
    def all(self) -> list[Mall]: ...
    def get(self, mall_id: str) -> Mall | None: ...


class InstantOfferStore(Protocol):
    def put_availability(self, availability: Availability) -> None: ...
    def online_in(self, cells: list[str], since: datetime) -> list[Availability]: ...
    def standing_items(self, driver_ids: list[str]) -> dict[str, dict[str, Any]]: ...
    def order(self, order_id: str) -> Order | None: ...
    def orders(self, order_ids: list[str]) -> dict[str, Order]: ...
    def working(self, driver_id: str, now: datetime) -> str | None: ...
    def holds_work(self, driver_id: str, now: datetime) -> bool: ...
    def offers_of(self, order_id: str) -> list[InstantOffer]: ...
    def offer(self, order_id: str, round_: int) -> InstantOffer | None: ...
    def pending_of_driver(self, driver_id: str, now: datetime) -> list[InstantOffer]: ...
    def pending_at_mall(self, mall_id: str) -> list[InstantOffer]: ...
    def create(self, offer: InstantOffer) -> Created: ...
    def close(
        self,
        offer: InstantOffer,
        status: OfferStatus,
        at: datetime,
        *,
        withdrawn_because: str | None = None,
        driver_id: str | None = None,
        expired_by: datetime | None = None,
        open_at: datetime | None = None,
    ) -> bool: ...
    def accept(self, offer: InstantOffer, at: datetime, order: Order, assigned: Order) -> None: ...


class InstantOffers:
    def __init__(
        self,
        store: InstantOfferStore,
        malls: Catalogue,
        standing_of: StandingOf,
        clock: Clock = utc_now,
    ) -> None:
        self._store = store
        self._malls = malls
        self._standing_of = standing_of
        self._clock = clock

    # ------------------------------------------------------------------ drivers
    def set_availability(
        self, caller: Caller, driver_id: str, request: AvailabilityRequest
    ) -> Availability:
        """The driver themself says whether they take instant offers now, and where they are."""
        self._own_driver(caller, driver_id)
        now = self._clock()
        availability = Availability(
            **request.model_dump(),
            driver_id=driver_id,
            updated_at=now,
            fresh_until=now + config.AVAILABILITY_FRESH_FOR,
        )
        self._store.put_availability(availability)
        return availability

    def pending(self, caller: Caller, driver_id: str) -> InstantOfferList:
        """The driver's open offers. One whose order was assigned or cancelled meanwhile is
        withdrawn here, so that the driver never sees work that is gone."""
        self._own_driver(caller, driver_id)
        now = self._clock()
        offers = self._store.pending_of_driver(driver_id, now)
        orders = self._store.orders([o.order_id for o in offers]) if offers else {}
        live = [o for o in offers if not self._withdrawn_if_gone(o, orders.get(o.order_id), now)]
        return InstantOfferList(driver_id=driver_id, offers=live)

    def accept(self, caller: Caller, offer_id_: str) -> InstantOffer:
        """The offer accepted and its order assigned to the caller, in one transaction: of two
        drivers racing for one order exactly one succeeds, and the other gets a 409 that says
        why. Accepting again answers the accepted offer and changes nothing. A driver who works
        already (an order, or a block checked in on) gets 409 driver_busy."""
        offer = self._own_offer(caller, offer_id_)
        if offer.status == "accepted":
            return offer
        now = self._clock()
        standing = self._store.standing_items([caller.sub]).get(caller.sub)
        if self._standing_of(caller.sub, standing).deactivated:
            raise Deactivated(
                "a deactivated driver takes no work until reinstated", field="offerId"
            )
        for attempt in range(config.ACCEPT_RETRIES):
            self._check_open(offer, now)
            order = self._store.order(offer.order_id)
            if order is None or order.status != "placed":
                return self._accepted_or_taken(offer, order, now)
            # Read last, just before the transaction: what the driver works on now.
            accepted = self._accepted_unless_busy(offer, now)
            if accepted is not None:
                return accepted
            assigned = order.assigned_to(offer.driver_id, None, now)
            try:
                self._store.accept(offer, now, order, assigned)
            except TransactionRefused as refused:
                if refused.failed(1):
                    return self._accepted_or_taken(offer, self._store.order(offer.order_id), now)
                if refused.contended:
                    back_off(attempt)
                offer = self._store.offer(offer.order_id, offer.round) or offer
                if offer.status == "accepted":  # this driver's other accept, at the same moment
                    return offer
                continue
            return offer.model_copy(update={"status": "accepted", "ended_at": now})
        raise Conflict(
            f"offer {offer.offer_id} is being changed by another request: try again",
            field="offerId",
        )

    def decline(self, caller: Caller, offer_id_: str) -> InstantOffer:
        """The offer declined, and the order offered to the next candidate at once. Declining
        again answers the declined offer and changes nothing."""
        offer = self._own_offer(caller, offer_id_)
        now = self._clock()
        if offer.status == "declined":
            return offer
        self._check_open(offer, now)
        if not self._store.close(offer, "declined", now, driver_id=caller.sub, open_at=now):
            current = self._store.offer(offer.order_id, offer.round) or offer
            if current.status == "declined":
                return current
            self._check_open(current, now)
        self._continue(offer.order_id, now)
        return offer.model_copy(update={"status": "declined", "ended_at": now})

    # ------------------------------------------------------------------ ops
    def of_order(self, caller: Caller, order_id: str) -> OrderOffers:
        """Every offer of the order, with how each ended: ops only."""
        caller.require(Role.OPS)
        if self._store.order(order_id) is None:
            raise NotFound(f"no order {order_id}", field="orderId")
        return OrderOffers(order_id=order_id, offers=self._store.offers_of(order_id))

    # ------------------------------------------------------------------ offering
    def offer_out(self, mall: Mall, order: Order, now: datetime) -> InstantOffer | None:
        """Starts or continues offering the order: its open offer if one is still open, else a
        new one to the best candidate not yet offered it, or None when there is nobody (or the
        order is no longer waiting, or not ready soon). Safe to call every minute.

        The order is read again, consistently: dispatch finds its waiting orders on an index
        that lags, and another run may have assigned this one a moment ago."""
        current = self._store.order(order.order_id)
        if current is None:
            return None
        return self._offer_out(mall, current, now, Settled())

    def settle(self) -> Settled:
        """The expiry job: at every mall, each pending offer whose order has gone is withdrawn,
        and each expired one is marked so and its order offered to the next candidate. A second
        run finds nothing left to change."""
        now = self._clock()
        outcome = Settled()
        for mall in self._malls.all():
            pending = self._store.pending_at_mall(mall.mall_id)
            if not pending:
                continue
            orders = self._store.orders([o.order_id for o in pending])
            for offer in pending:
                order = orders.get(offer.order_id)
                if order is None or order.status != "placed":
                    outcome.withdrawn += self._withdrawn_if_gone(offer, order, now)
                elif offer.expires_at <= now:
                    self._offer_out(mall, order, now, outcome)
        return outcome

    def _offer_out(
        self, mall: Mall, order: Order, now: datetime, outcome: Settled
    ) -> InstantOffer | None:
        offers = self._store.offers_of(order.order_id)
        if order.status != "placed" or order.driver_id is not None:
            for offer in offers:
                if offer.status == "pending":
                    outcome.withdrawn += self._withdrawn_if_gone(offer, order, now)
            return None
        still_open = self._open_offer(offers, now, outcome)
        if still_open is not None:
            return still_open
        if order.ready_at - now > config.OFFER_LEAD:
            return None
        round_ = max((o.round for o in offers), default=0) + 1
        # Counted after the expiries just marked: each refusal raises the next rate.
        refusals = sum(1 for o in offers if o.status in REFUSED or o.status == "pending")
        for candidate, where in self._candidates(mall, order, now, {o.driver_id for o in offers}):
            if self._store.holds_work(candidate.driver_id, now):
                continue
            offer = self._new_offer(mall, order, now, round_, refusals, candidate, where)
            created = self._store.create(offer)
            if created == "created":
                outcome.offered += 1
                return offer
            if created == "driver_offered":
                continue  # another run offered this driver other work meanwhile
            # Another run made this round meanwhile (or was making it): it stands, and this
            # run adds nothing.
            return self._store.offer(order.order_id, round_)
        return None

    def _open_offer(
        self, offers: list[InstantOffer], now: datetime, outcome: Settled
    ) -> InstantOffer | None:
        """The order's offer still within its window, if any; a pending one past its window is
        marked expired, at the moment it expired."""
        for offer in offers:
            if offer.status != "pending":
                continue
            if offer.expires_at > now:
                return offer
            if self._store.close(offer, "expired", offer.expires_at, expired_by=now):
                outcome.expired += 1
        return None

    @staticmethod
    def _new_offer(
        mall: Mall,
        order: Order,
        now: datetime,
        round_: int,
        refusals: int,
        candidate: Candidate,
        where: Availability,
    ) -> InstantOffer:
        minutes = estimated_minutes(where.position, mall.location, order.dropoff)
        rate = hourly_rate(refusals)
        return InstantOffer(
            offer_id=offer_id(order.order_id, round_),
            order_id=order.order_id,
            round=round_,
            mall_id=mall.mall_id,
            driver_id=candidate.driver_id,
            tier=Tier(candidate.tier).label,
            status="pending",
            offered_at=now,
            expires_at=window_end(now),
            hourly_rate=rate,
            estimated_minutes=minutes,
            pay=pay(rate, minutes),
            tip=order.tip,
            pickup_km=round(candidate.distance_km, 2),
            store_name=order.store_name,
            ready_at=order.ready_at,
            deliver_by=order.deliver_by,
            dropoff=order.dropoff,
            packages=order.packages,
        )

    def _candidates(
        self, mall: Mall, order: Order, now: datetime, offered: set[str]
    ) -> list[tuple[Candidate, Availability]]:
        """Online drivers near the mall, fresh, not deactivated, not offered this order yet, who
        can reach the door by its deadline: better tiers first."""
        cells = cells_around(mall.location, config.OFFER_RADIUS_KM)
        online = [
            a
            for a in self._store.online_in(cells, now - config.AVAILABILITY_FRESH_FOR)
            if a.driver_id not in offered
        ]
        if not online:
            return []
        standings = self._store.standing_items(sorted({a.driver_id for a in online}))
        trip = dispatch_time(mall.location, order.dropoff)
        found: dict[str, tuple[Candidate, Availability]] = {}
        for available in online:
            standing = self._standing_of(available.driver_id, standings.get(available.driver_id))
            if standing.deactivated:
                continue
            to_mall = pickup_travel(available.position, mall.location)
            candidate = Candidate(
                driver_id=available.driver_id,
                tier=int(standing.tier),
                distance_km=distance_km(available.position, mall.location),
                arrives_at=arrival(now, order.ready_at, to_mall, trip),
            )
            if in_reach(candidate, order.deliver_by):
                found[candidate.driver_id] = (candidate, available)
        order_of = {c.driver_id: i for i, c in enumerate(ranked([c for c, _ in found.values()]))}
        return sorted(found.values(), key=lambda pair: order_of[pair[0].driver_id])

    # ------------------------------------------------------------------ helpers of the steps
    def _continue(self, order_id: str, now: datetime) -> None:
        """After a decline or an expiry: the order goes to the next candidate now."""
        order = self._store.order(order_id)
        mall = self._malls.get(order.mall_id) if order is not None else None
        if order is not None and mall is not None:
            self._offer_out(mall, order, now, Settled())

    def _withdrawn_if_gone(self, offer: InstantOffer, order: Order | None, now: datetime) -> bool:
        """Withdraws a pending offer whose order was assigned elsewhere, cancelled or removed;
        whether this call withdrew it."""
        if order is not None and order.status == "placed":
            return False
        because = order.status if order is not None else "gone"
        return self._store.close(offer, "withdrawn", now, withdrawn_because=because)

    def _own_driver(self, caller: Caller, driver_id: str) -> None:
        caller.require(Role.DRIVER)
        if caller.sub != driver_id:
            raise NotFound(f"no driver {driver_id}", field="driverId")

    def _own_offer(self, caller: Caller, offer_id_: str) -> InstantOffer:
        caller.require(Role.DRIVER)
        order_id, round_ = offer_key(offer_id_)
        offer = self._store.offer(order_id, round_)
        if offer is None or offer.driver_id != caller.sub:
            raise NotFound(f"no instant offer {offer_id_}", field="offerId")
        return offer

    def _check_open(self, offer: InstantOffer, now: datetime) -> None:
        """409 unless the offer is pending and within its window; one found expired is marked
        so, and its order moves on to the next candidate."""
        if offer.status == "expired" or (offer.status == "pending" and offer.expires_at <= now):
            if offer.status == "pending":
                self._continue(offer.order_id, now)
            raise OfferExpired(
                f"offer {offer.offer_id} expired at {offer.expires_at.isoformat()}",
                field="offerId",
            )
        if offer.status != "pending":
            raise OfferClosed(f"offer {offer.offer_id} is {offer.status} already", field="offerId")

    def _accepted_unless_busy(self, offer: InstantOffer, now: datetime) -> InstantOffer | None:
        """None while the driver works on nothing; 409 driver_busy if they hold an order or are
        checked in on a block, unless the order is this offer's, won by the driver's other
        accept a moment ago: then that accepted offer."""
        busy = self._store.working(offer.driver_id, now)
        if busy is None:
            return None
        accepted = self._accepted_meanwhile(offer)
        if accepted is not None:
            return accepted
        raise DriverBusy(
            f"driver {offer.driver_id} works on {busy} already: one job at a time",
            field="offerId",
        )

    def _accepted_meanwhile(self, offer: InstantOffer) -> InstantOffer | None:
        """The offer read again, if its driver's other accept has just taken it."""
        current = self._store.offer(offer.order_id, offer.round)
        return current if current is not None and current.status == "accepted" else None

    def _accepted_or_taken(
        self, offer: InstantOffer, order: Order | None, now: datetime
    ) -> InstantOffer:
        """An accept that found the order no longer placed: the offer, if this driver's other
        accept has just won it; else the offer is withdrawn, and 409 order_taken."""
        if not self._withdrawn_if_gone(offer, order, now):
            accepted = self._accepted_meanwhile(offer)
            if accepted is not None:
                return accepted
        raise self._taken(offer, order)

    @staticmethod
    def _taken(offer: InstantOffer, order: Order | None) -> OrderTaken:
        status = order.status if order is not None else "gone"
        return OrderTaken(
            f"order {offer.order_id} is {status}: it was assigned or cancelled elsewhere, and "
            f"offer {offer.offer_id} is withdrawn",
            field="offerId",
        )
