"""Travel times for the dispatch engine: straight-line distance over a speed, in minutes.

The MDRP defines travel as ceil(euclidean / metres_per_minute); retail uses the same rule over
a local projection, without the rounding. Both go through this one class, vectorised with numpy.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

Array = npt.NDArray[np.float64]


@dataclass(frozen=True)
class StraightLine:
    metres_per_minute: float
    whole_minutes: bool = False  # the MDRP rounds every leg up to a whole minute

    def minutes(self, a: Array, b: Array) -> Array:
        """Minutes from each of the points a (n×2) to each of the points b (m×2): n×m."""
        return self._of(np.hypot(a[:, None, 0] - b[None, :, 0], a[:, None, 1] - b[None, :, 1]))

    def paired(self, a: Array, b: Array) -> Array:
        """Minutes from a[i] to b[i], for each i."""
        return self._of(np.hypot(a[:, 0] - b[:, 0], a[:, 1] - b[:, 1]))

    def reach(self, minutes: float) -> float:
        """The distance in metres covered within `minutes`."""
        return minutes * self.metres_per_minute

    def _of(self, metres: Array) -> Array:
        minutes = metres / self.metres_per_minute
        return np.ceil(minutes) if self.whole_minutes else minutes
