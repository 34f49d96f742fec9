"""Lambda SnapStart's runtime hooks, where the managed runtime provides them.

With SnapStart, Lambda runs a function's init once, when a version is published, and restores
each new execution environment from a snapshot of it. Work done in a before-snapshot hook is
in the snapshot, so no request pays for it. `snapshot_restore_py` ships with the python3.12+
managed runtimes, and the local runtime gives SnapStart functions a stand-in that runs the hooks
after init; elsewhere (tests, other functions) there is no snapshot and nothing to do.
"""

from __future__ import annotations

from collections.abc import Callable


def before_snapshot(hook: Callable[[], object]) -> bool:
    """Runs `hook` before Lambda takes the snapshot; False where there is no snapshot."""
    try:
        from snapshot_restore_py import register_before_snapshot  # type: ignore[import-not-found]
    except ImportError:
        return False
    register_before_snapshot(hook)
    return True
