"""The catalogue's use cases: who may read and change malls and retailers."""

from __future__ import annotations

from typing import Protocol

from flexfleet.clock import Clock, utc_now
from flexfleet.errors import NotFound, RetailerNotOnboarded, Unprocessable
from flexfleet.identity import Caller, Role
from flexfleet.malls.model import Mall, MallDetails, Retailer, RetailerDetails
from flexfleet.malls.pilot import pilot_malls


class MallStore(Protocol):
    def all(self) -> list[Mall]: ...

    def get(self, mall_id: str) -> Mall | None: ...

    def put(self, mall: Mall) -> bool:
        """Stores the mall; whether it is new."""

    def add_if_absent(self, mall: Mall) -> bool: ...


class RetailerStore(Protocol):
    def get(self, retailer_id: str) -> Retailer | None: ...

    def put(self, retailer: Retailer) -> bool:
        """Stores the retailer; whether it is new."""


class CatalogueService:
    def __init__(self, malls: MallStore, retailers: RetailerStore, clock: Clock = utc_now) -> None:
        self._malls = malls
        self._retailers = retailers
        self._clock = clock

    def malls(self, caller: Caller) -> list[Mall]:
        caller.require(*Role)  # anyone signed in
        return self._malls.all()

    def put_mall(self, caller: Caller, mall_id: str, details: MallDetails) -> tuple[Mall, bool]:
        """The mall as stored, and whether it is new."""
        caller.require(Role.OPS)
        mall = Mall(mall_id=mall_id, **details.model_dump())
        return mall, self._malls.put(mall)

    def mall(self, mall_id: str) -> Mall | None:
        """A mall, for other services: no caller, no access rule."""
        return self._malls.get(mall_id)

    def seed_pilots(self) -> list[str]:
        """Adds the pilot malls that are missing, leaving alone any that ops changed: the ids
        added."""
        return [mall.mall_id for mall in pilot_malls() if self._malls.add_if_absent(mall)]

    def onboard(
        self, caller: Caller, retailer_id: str, details: RetailerDetails
    ) -> tuple[Retailer, bool]:
        """The retailer as stored, and whether it is new. The same body again changes nothing."""
        caller.require(Role.OPS)
        if self._malls.get(details.mall_id) is None:
            raise Unprocessable(f"no mall {details.mall_id}", field="mallId")
        stored = self._retailers.get(retailer_id)
        if (
            stored is not None
            and RetailerDetails(**stored.model_dump(include={"name", "mall_id"})) == details
        ):
            return stored, False
        retailer = Retailer(
            retailer_id=retailer_id,
            **details.model_dump(),
            onboarded_at=stored.onboarded_at if stored else self._clock(),
            onboarded_by=stored.onboarded_by if stored else caller.sub,
        )
        return retailer, self._retailers.put(retailer)

    def retailer(self, caller: Caller, retailer_id: str) -> Retailer:
        caller.require(Role.RETAILER, Role.OPS)
        retailer = self._retailers.get(retailer_id)
        if retailer is None or not (Role.OPS in caller.roles or retailer_id == caller.sub):
            raise NotFound(f"no retailer {retailer_id}", field="retailerId")
        return retailer

    def onboarded(self, caller: Caller) -> tuple[Retailer, Mall]:
        """The calling retailer and its mall; 403 retailer_not_onboarded until ops onboard it."""
        caller.require(Role.RETAILER)
        retailer = self._retailers.get(caller.sub)
        mall = self._malls.get(retailer.mall_id) if retailer else None
        if retailer is None or mall is None:
            raise RetailerNotOnboarded(
                "this retailer has not been onboarded: ops onboard a store with "
                "PUT /retailers/{retailerId} before it can submit orders"
            )
        return retailer, mall
