"""StateAgent: a state that reads the influence over its territory and chooses its alignment.

The scoring and the move are the pure functions of :mod:`multipolar.mechanisms.alignment`
(mechanisms 4 and 5, equations in ``docs/model.md``); the agent holds its own state (its
alignment over the great powers and its persistent political shock) and draws its
randomness from the model's generator. Great powers are aligned with themselves and do not
move. States with no territory in the grid (Belarus, Finland, Sweden) read no field: they
keep their starting alignment, shifted only by changes of their memberships.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import mesa
import numpy as np

from multipolar.config.schema import StateSpec
from multipolar.mechanisms.alignment import exogenous_utilities, move, next_shock, utilities

if TYPE_CHECKING:
    from multipolar.model import MultipolarModel

__all__ = ["StateAgent"]


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
        self.start_alignment = self.alignment.copy()
        self.shock = np.zeros_like(self.alignment)
        self.in_grid = model.layout.cells_of(iso3) > 0
        self.start_ties = model.world.ties(iso3)

    @property
    def is_great_power(self) -> bool:
        """True for the powers whose influence the fields carry."""
        return self.iso3 in self.model.world.params.powers

    def needs(self) -> tuple[float, float]:
        """The state's weights on security and on economic influence."""
        own, default = self.spec, self.model.world.params.alignment
        return (
            own.security_need if own.security_need is not None else default.security_need,
            own.economy_need if own.economy_need is not None else default.economy_need,
        )

    def utilities(self) -> np.ndarray:
        """The score of aligning with each great power this month, before the shock."""
        world = self.model.world
        params = world.params.alignment
        ties = world.ties(self.iso3)
        if not self.in_grid:
            start = exogenous_utilities(self.start_alignment, ties, self.start_ties, params)
            return start + world.affinity_of(self.iso3)
        security, economy = self.model.readings.levels(self.iso3)
        base = utilities(
            security,
            economy,
            world.rivalry_matrix(),
            ties,
            self.needs(),
            params,
            world.backing_of(self.iso3),
        )
        return base + world.affinity_of(self.iso3)

    def step(self) -> None:
        """Update the political shock, then move the alignment toward this month's target."""
        if self.is_great_power:
            return
        params = self.model.world.params.alignment
        draw = self.model.rng.standard_normal(len(self.alignment))
        self.shock = next_shock(self.shock, draw, params.noise, params.noise_persistence)
        self.alignment = move(self.alignment, self.utilities() + self.shock, params)
