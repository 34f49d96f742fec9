"""Who is calling, read from the claims the JWT authorizer passes on."""

from __future__ import annotations

import pytest

from flexfleet.api.caller import caller_from_event
from flexfleet.errors import Forbidden, Unauthenticated
from flexfleet.identity import Role, parse_groups
from tests.factories import http_api_event


@pytest.mark.parametrize(
    ("raw", "groups"),
    [
        ("[driver]", {"driver"}),
        ("[driver ops]", {"driver", "ops"}),
        (["customer", "ops"], {"customer", "ops"}),
        ("driver", {"driver"}),
        ("[]", set()),
        (None, set()),
    ],
)
def test_groups_are_read_in_api_gateways_flattened_form_and_as_a_list(
    raw: object, groups: set[str]
) -> None:
    assert parse_groups(raw) == groups


@pytest.mark.parametrize("raw", ["[driver,ops]", "driver,ops", "[customer,ops]"])
def test_a_comma_is_part_of_a_group_name_and_grants_no_role(raw: str) -> None:
    caller = caller_from_event(
        http_api_event("GET", "/me", claims={"sub": "x-1", "cognito:groups": raw})
    )

    assert Role.OPS not in caller.roles


def test_the_caller_comes_from_the_jwt_claims() -> None:
    caller = caller_from_event(
        http_api_event("GET", "/me", claims={"sub": "d-1", "cognito:groups": "[driver]"})
    )

    assert caller.sub == "d-1"
    assert caller.roles == {Role.DRIVER}


def test_unknown_groups_grant_no_role() -> None:
    caller = caller_from_event(
        http_api_event("GET", "/me", claims={"sub": "x", "cognito:groups": "[admin]"})
    )

    assert caller.roles == frozenset()


def test_an_event_without_claims_has_no_caller() -> None:
    with pytest.raises(Unauthenticated):
        caller_from_event(http_api_event("GET", "/me"))


def test_a_caller_without_an_allowed_role_is_forbidden() -> None:
    caller = caller_from_event(
        http_api_event("GET", "/me", claims={"sub": "c", "cognito:groups": "[customer]"})
    )

    caller.require(Role.CUSTOMER)
    with pytest.raises(Forbidden):
        caller.require(Role.DRIVER, Role.OPS)
