"""What agents read from the fields: influence over each state's territory, per power and domain.

Levels are mean densities over a state's cells divided by a fixed reference density per
domain, so they are dimensionless and do not depend on the resolution. The reference is
the mean density over the whole grid that the great powers' reference budgets (the data
year's capacities times the starting efforts, see
:func:`multipolar.mechanisms.budgets.reference_budgets`) would give at equilibrium:

    R[d] = sum_p B_ref[p, d] / (decay[d] * grid area)

It is set once per run, so a shock to one power (a capacity shock, a change of effort)
shows in every state its influence reaches, rather than cancelling out against a regional
mean that the same power dominates.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

from multipolar.config import DOMAINS
from multipolar.sources import SourceLayout

__all__ = ["Readings", "reference_density"]


def reference_density(budgets: np.ndarray, decay: np.ndarray, grid_area: float) -> np.ndarray:
    """Equilibrium mean density per domain of reference budgets ``(n_powers, 2)``."""
    return budgets.sum(axis=0) / (np.asarray(decay) * grid_area)


class Readings:
    """Zonal influence per country label, refreshed from the backend's sums each step."""

    def __init__(self, layout: SourceLayout, n_powers: int, reference: np.ndarray) -> None:
        self._layout = layout
        self.n_powers = n_powers
        self.reference = np.asarray(reference, dtype=np.float64)
        self.sums = np.zeros((n_powers * len(DOMAINS), layout.n_labels))
        self._levels = np.zeros((n_powers, len(DOMAINS), layout.n_labels))

    def update(self, country_sums: np.ndarray) -> None:
        """Take this step's (K, n_labels) sums from the backend."""
        self.sums = np.asarray(country_sums, dtype=np.float64)
        counts = self._layout.cell_counts
        by_power = self.sums.reshape(self.n_powers, len(DOMAINS), -1)
        reference = self.reference
        mean = by_power / np.maximum(counts, 1)
        with np.errstate(divide="ignore", invalid="ignore"):
            self._levels = np.where(
                reference[None, :, None] > 0, mean / reference[None, :, None], 0.0
            )
        self._levels[:, :, 0] = 0.0

    def levels(self, iso3: str) -> tuple[np.ndarray, np.ndarray]:
        """(security, economy) levels of each power over a state's land (0 outside the grid)."""
        label = self._layout.label.get(iso3)
        if label is None:
            zero = np.zeros(self.n_powers)
            return zero, zero
        return self._levels[:, 0, label], self._levels[:, 1, label]

    def mean_level(self, states: Iterable[str]) -> np.ndarray:
        """Each power's influence over several states' land, in reference densities.

        Returns (n_powers, 2) mean densities over the reference; 0 for states with no land
        in the grid.
        """
        labels = [self._layout.label[s] for s in states if s in self._layout.label]
        cells = self._layout.cell_counts[labels].sum() if labels else 0
        if cells == 0:
            return np.zeros((self.n_powers, len(DOMAINS)))
        total = self.totals([s for s in states if s in self._layout.label])
        return total / cells / np.where(self.reference > 0, self.reference, np.inf)

    def influence(self, states: Iterable[str]) -> np.ndarray:
        """Influence summed over each state's cells: (n_states, n_powers, 2)."""
        return np.array([self.totals([s]) for s in states], dtype=np.float64).reshape(
            -1, self.n_powers, len(DOMAINS)
        )

    def totals(self, states: Iterable[str]) -> np.ndarray:
        """Influence summed over the cells of several states: (n_powers, n_domains)."""
        labels = [self._layout.label[s] for s in states if s in self._layout.label]
        total = self.sums[:, labels].sum(axis=1) if labels else np.zeros(self.sums.shape[0])
        return total.reshape(self.n_powers, len(DOMAINS))
