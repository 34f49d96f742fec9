"""Placing retail orders and moving them through their statuses, with who may do which."""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from flexfleet.api_model import same_request
from flexfleet.clock import CLOCK_SKEW, Clock, utc_now
from flexfleet.deliveries.model import Delivery, PromisedWindow
from flexfleet.errors import Conflict, IllegalTransition, NotFound, Unprocessable
from flexfleet.geo import Point, distance_km
from flexfleet.identity import Caller, Role
from flexfleet.malls.model import Mall, Retailer
from flexfleet.retail import config
from flexfleet.retail.estimates import trip_time
from flexfleet.retail.model import (
    TRANSITIONS,
    Assignments,
    DeliveryOutcome,
    Order,
    OrderForCustomer,
    OrderForDriver,
    OrderPage,
    OrderRequest,
    Status,
)
from flexfleet.retail.repository import DeliveryTaken, OrderExists


class Catalogue(Protocol):
    def onboarded(self, caller: Caller) -> tuple[Retailer, Mall]:
        """The calling retailer and its mall; 403 retailer_not_onboarded until onboarded."""

    def mall(self, mall_id: str) -> Mall | None: ...


class OrderStore(Protocol):
    def add(self, order: Order) -> None:
        """Stores a new order; OrderExists, carrying the stored one, if the id is taken."""

    def get(self, order_id: str) -> Order | None: ...
    def delivery_recorded(self, delivery_id: str) -> bool: ...
    def page(
        self,
        index: str,
        owner: str,
        owner_id: str,
        status: str | None,
        limit: int,
        cursor: str | None,
    ) -> tuple[list[Order], str | None]: ...
    def active_of_driver(self, driver_id: str) -> list[Order]: ...
    def transition(self, before: Order, after: Order) -> bool: ...
    def finish(self, before: Order, after: Order, delivery: Delivery | None) -> bool: ...


class OrderService:
    def __init__(self, orders: OrderStore, catalogue: Catalogue, clock: Clock = utc_now) -> None:
        self._orders = orders
        self._catalogue = catalogue
        self._clock = clock

    # ------------------------------------------------------------------ placing
    def place(self, caller: Caller, request: OrderRequest) -> tuple[Order, bool]:
        """The order and whether it is new. The same body again changes nothing."""
        caller.require(Role.RETAILER)
        retailer, mall = self._catalogue.onboarded(caller)
        stored = self._orders.get(request.order_id)
        if stored is not None:
            return self._placed_again(caller, stored, request), False
        caller.refuse_own_record({"customerId": request.customer_id}, "this order")
        now = self._clock()
        if request.ready_at < now - CLOCK_SKEW:
            raise Unprocessable("readyAt is in the past", field="readyAt")
        if request.ready_at > now + config.MAX_ORDER_HORIZON:
            raise Unprocessable(
                f"readyAt is more than {config.MAX_ORDER_HORIZON.days} days ahead",
                field="readyAt",
            )
        if request.deliver_by - request.ready_at > config.MAX_DELIVERY_WINDOW:
            raise Unprocessable(
                f"deliverBy is more than {config.MAX_DELIVERY_WINDOW.days} day after readyAt",
                field="deliverBy",
            )
        if self._orders.delivery_recorded(request.order_id):
            raise Conflict(
                f"{request.order_id} is the id of a delivery already recorded: an order's delivery "
                "takes the order's id, so choose another",
                field="orderId",
            )
        distance = distance_km(mall.location, request.dropoff)
        if distance > mall.service_radius_km:
            raise Unprocessable(
                f"the drop-off is {distance:.1f} km from {mall.name}, outside its "
                f"{mall.service_radius_km:g} km service radius",
                field="dropoff",
            )
        order = Order(
            **request.model_dump(),
            retailer_id=retailer.retailer_id,
            store_name=retailer.name,
            mall_id=mall.mall_id,
            status="placed",
            placed_at=now,
            status_changed_at=now,
        )
        try:
            self._orders.add(order)
        except OrderExists as taken:
            if taken.existing is None:
                raise Conflict(f"order {request.order_id} exists", field="orderId") from taken
            return self._placed_again(caller, taken.existing, request), False
        return order, True

    @staticmethod
    def _placed_again(caller: Caller, stored: Order, request: OrderRequest) -> Order:
        if stored.retailer_id == caller.sub and same_request(stored, request):
            return stored
        raise Conflict(
            f"order {request.order_id} was already placed with other details", field="orderId"
        )

    # ------------------------------------------------------------------ reading
    def get(self, caller: Caller, order_id: str) -> Order | OrderForDriver | OrderForCustomer:
        caller.require(Role.RETAILER, Role.DRIVER, Role.CUSTOMER, Role.OPS)
        order = self._orders.get(order_id)
        if order is None:
            raise NotFound(f"no order {order_id}", field="orderId")
        if Role.OPS in caller.roles or (
            Role.RETAILER in caller.roles and order.retailer_id == caller.sub
        ):
            return order
        if Role.DRIVER in caller.roles and order.driver_id == caller.sub:
            return for_driver(order)
        if Role.CUSTOMER in caller.roles and order.customer_id == caller.sub:
            return self._for_customer(order)
        raise NotFound(f"no order {order_id}", field="orderId")

    def _for_customer(self, order: Order) -> OrderForCustomer:
        return OrderForCustomer(
            order_id=order.order_id,
            store_name=order.store_name,
            status=order.status,
            deliver_by=order.deliver_by,
            eta=self._eta(order),
            status_changed_at=order.status_changed_at,
        )

    def _eta(self, order: Order) -> datetime | None:
        """Picked up: now plus the trip. Before: the later of now and readyAt, plus pickup and
        the trip. None once the order has ended."""
        if order.status not in ("placed", "assigned", "picked_up"):
            return None
        mall = self._catalogue.mall(order.mall_id)
        if mall is None:
            return None
        now = self._clock()
        trip = trip_time(mall.location, order.dropoff)
        if order.status == "picked_up":
            return now + trip
        return max(now, order.ready_at) + config.PICKUP_TIME + trip

    def page(
        self,
        caller: Caller,
        status: Status | None,
        mall_id: str | None,
        limit: int,
        cursor: str | None,
    ) -> OrderPage:
        """A retailer's own orders; for ops, a mall's (mallId is then required)."""
        caller.require(Role.RETAILER, Role.OPS)
        if Role.OPS in caller.roles:
            if mall_id is None:
                raise Unprocessable("ops list the orders of one mall: give mallId", field="mallId")
            orders, next_cursor = self._orders.page(
                "byMall", "mallId", mall_id, status, limit, cursor
            )
        else:
            orders, next_cursor = self._orders.page(
                "byRetailer", "retailerId", caller.sub, status, limit, cursor
            )
            orders = [o for o in orders if mall_id is None or o.mall_id == mall_id]
        return OrderPage(orders=orders, cursor=next_cursor)

    def assignments(self, caller: Caller, driver_id: str) -> Assignments:
        caller.require(Role.DRIVER)
        if caller.sub != driver_id:
            raise NotFound(f"no driver {driver_id}", field="driverId")
        orders = sorted(self._orders.active_of_driver(driver_id), key=lambda o: o.ready_at)
        return Assignments(driver_id=driver_id, orders=[for_driver(o) for o in orders])

    # ------------------------------------------------------------------ transitions
    def cancel(self, caller: Caller, order_id: str) -> Order:
        caller.require(Role.RETAILER, Role.OPS)
        order = self._orders.get(order_id)
        if order is None or not (Role.OPS in caller.roles or order.retailer_id == caller.sub):
            raise NotFound(f"no order {order_id}", field="orderId")
        now = self._clock()
        after = order.model_copy(
            update={
                "status": "cancelled",
                "status_changed_at": now,
                "finished_at": now,
                "cancelled_by": caller.sub,
            }
        )
        return self._move(order, after)

    def pickup(self, caller: Caller, order_id: str, where: Point) -> OrderForDriver:
        order = self._drivers_order(caller, order_id)
        now = self._clock()
        mall = self._catalogue.mall(order.mall_id)
        if mall is None or distance_km(mall.location, where) > config.PICKUP_GEOFENCE_KM:
            raise Unprocessable(
                f"pick up at the store: within {config.PICKUP_GEOFENCE_KM} km of the mall",
                field="lat",
            )
        if order.status == "assigned" and now < order.ready_at - CLOCK_SKEW:
            raise Unprocessable(
                f"the order is not ready until {order.ready_at.isoformat()}", field="orderId"
            )
        after = order.model_copy(
            update={"status": "picked_up", "status_changed_at": now, "picked_up_at": now}
        )
        return for_driver(self._move(order, after))

    def deliver(self, caller: Caller, order_id: str, outcome: DeliveryOutcome) -> OrderForDriver:
        """Ends the order and records its delivery in the deliveries table, where the customer
        rates it as any other delivery."""
        order = self._drivers_order(caller, order_id)
        now = self._clock()
        status: Status = "delivered" if outcome.outcome == "delivered" else "failed"
        after = order.model_copy(
            update={
                "status": status,
                "status_changed_at": now,
                "finished_at": now,
                "cause": outcome.cause,
                "note": outcome.note,
            }
        )
        self._check_transition(order, status)
        assert order.driver_id is not None
        delivery = Delivery(
            delivery_id=order.order_id,
            driver_id=order.driver_id,
            customer_id=order.customer_id,
            promised_window=PromisedWindow(start=order.ready_at, end=order.deliver_by),
            delivered_at=now if status == "delivered" else None,
            outcome=outcome.outcome,
            cause=outcome.cause,
            source="retail",
            order_id=order.order_id,
            recorded_at=now,
        )
        try:
            finished = self._orders.finish(order, after, delivery)
        except DeliveryTaken:
            # Ops recorded a delivery under this order's id meanwhile. The order still ends and
            # its driver is free; its delivery is not recorded twice, and ops see why.
            after = after.model_copy(update={"note": _clash_note(after.note, order_id)})
            finished = self._orders.finish(order, after, None)
        if not finished:
            raise self._moved(order_id, status)
        return for_driver(after)

    def _drivers_order(self, caller: Caller, order_id: str) -> Order:
        caller.require(Role.DRIVER)
        order = self._orders.get(order_id)
        if order is None or order.driver_id != caller.sub:
            raise NotFound(f"no order {order_id}", field="orderId")
        return order

    def _check_transition(self, order: Order, to: Status) -> None:
        if to not in TRANSITIONS[order.status]:
            raise IllegalTransition(
                f"order {order.order_id} is {order.status}: it can't become {to}",
                field="orderId",
            )

    def _move(self, order: Order, after: Order) -> Order:
        self._check_transition(order, after.status)
        if not self._orders.transition(order, after):
            raise self._moved(order.order_id, after.status)
        return after

    def _moved(self, order_id: str, to: Status) -> IllegalTransition:
        current = self._orders.get(order_id)
        status = current.status if current else "gone"
        return IllegalTransition(
            f"order {order_id} changed meanwhile: it is {status}, and can't become {to}",
            field="orderId",
        )


def _clash_note(note: str | None, order_id: str) -> str:
    clash = f"[not rateable: a delivery {order_id} was recorded outside this order]"
    return f"{note} {clash}" if note else clash


def for_driver(order: Order) -> OrderForDriver:
    return OrderForDriver.model_validate(order.model_dump(include=set(OrderForDriver.model_fields)))
