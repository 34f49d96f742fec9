"""The replay's policies by name, imported only when asked for, so that the engine's solver
(numpy, scipy) loads only in the process that replays through it."""

from __future__ import annotations

import importlib
import importlib.util

from tests.bench.mdrp.simulate import Policy

# name: (module, attribute). Both take (instance, now, waiting, couriers) and answer trips.
POLICIES = {
    "greedy": ("tests.bench.mdrp.greedy", "greedy"),
    "engine": ("tests.bench.mdrp.engine_policy", "policy"),
}


def load_policy(name: str) -> Policy:
    module, attribute = POLICIES[name]
    policy: Policy = getattr(importlib.import_module(module), attribute)
    return policy


def policy_present(name: str) -> bool:
    """Whether the policy's module exists yet; a module that exists but fails to import is not
    hidden: loading it raises."""
    return importlib.util.find_spec(POLICIES[name][0]) is not None
