"""StateAgent: a state that reads the influence over its territory and chooses its alignment.

Each month a state scores every great power (DESIGN §5):

    U[p] = need_sec * f(S[p]) + need_eco * f(E[p])                 (hedging, mechanism 4)
         + threat_weight * sum_{q != p} (1 - partnership[p, q]) * (1 - a[q]) * f(S[q])
         + institution_weight * ties[p]

where ``S`` and ``E`` are the security and economic influence densities over its territory
relative to the region's mean, ``f(x) = log(1 + x / saturation)`` has diminishing returns (so
a state spreads its alignment across powers), the threat term rewards aligning with the
rivals of a power whose security presence it is not aligned with (balancing), and ``ties``
is the pull of the organizations it belongs to, by their leaders. The alignment then moves
a fraction ``rate`` of the way toward ``softmax(U / temperature)``, so it stays non-negative
and sums to 1. A random utility shock (``noise``, drawn from the model's generator) makes
runs with different seeds differ. Great powers are aligned with themselves and do not move.
States with no territory in the grid (Belarus, Finland, Sweden) read no fields: they keep
their initial alignment, shifted only by changes of membership (Finland joining NATO).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import mesa
import numpy as np

from multipolar.config.schema import StateSpec

if TYPE_CHECKING:
    from multipolar.model import MultipolarModel

__all__ = ["StateAgent", "softmax"]


def softmax(x: np.ndarray) -> np.ndarray:
    """Numerically safe softmax of a vector."""
    z = np.exp(x - x.max())
    return z / z.sum()


class StateAgent(mesa.Agent):
    """A state with sourced capacities, memberships and an alignment over the great powers."""

    model: MultipolarModel

    def __init__(
        self, model: MultipolarModel, iso3: str, spec: StateSpec, alignment: np.ndarray
    ) -> None:
        super().__init__(model)
        self.iso3 = iso3
        self.spec = spec
        self.name = spec.name
        self.role = spec.role
        self.capital = (spec.capital.lon, spec.capital.lat)
        self.alignment = np.asarray(alignment, dtype=np.float64)
        self.in_grid = model.layout.cells_of(iso3) > 0
        self._initial_ties = model.ties(iso3)

    @property
    def is_great_power(self) -> bool:
        """True for the powers whose influence the fields carry."""
        return self.iso3 in self.model.powers

    def utilities(self) -> np.ndarray:
        """The score of aligning with each great power this month."""
        params = self.model.params.alignment
        if not self.in_grid:
            return self._exogenous_utilities()
        need_sec = (
            self.spec.security_need if self.spec.security_need is not None else params.security_need
        )
        need_eco = (
            self.spec.economy_need if self.spec.economy_need is not None else params.economy_need
        )
        security, economy = self.model.readings.levels(self.iso3)
        f_sec = np.log1p(security / params.saturation)
        f_eco = np.log1p(economy / params.saturation)
        felt = (1.0 - self.alignment) * f_sec
        threat = self.model.rivalry @ felt
        ties = self.model.ties(self.iso3)
        return (
            need_sec * f_sec
            + need_eco * f_eco
            + params.threat_weight * threat
            + params.institution_weight * ties
        )

    def _exogenous_utilities(self) -> np.ndarray:
        """Utilities of a state outside the grid, which reads no fields.

        It keeps its initial alignment, shifted only by membership changes since the start.
        """
        params = self.model.params.alignment
        start = self.model.initial_alignment[self.iso3]
        baseline = params.temperature * np.log(np.maximum(start, 1e-12))
        return baseline + params.institution_weight * (
            self.model.ties(self.iso3) - self._initial_ties
        )

    def step(self, shock: np.ndarray | None = None) -> None:
        """Move the alignment toward the softmax of this month's utilities (plus a random shock)."""
        if self.is_great_power:
            return
        params = self.model.params.alignment
        utilities = self.utilities() if shock is None else self.utilities() + shock
        target = softmax(utilities / params.temperature)
        moved = (1.0 - params.rate) * self.alignment + params.rate * target
        self.alignment = moved / moved.sum()
