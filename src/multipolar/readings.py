"""What agents read from the fields: influence over each state's territory, per power and domain.

Levels are mean densities over a state's cells divided by the mean density of the same
domain over all land in the grid, so they are dimensionless (1 = the regional average) and
do not depend on the resolution or on the absolute size of the emissions.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

from multipolar.config import DOMAINS
from multipolar.sources import SourceLayout

__all__ = ["Readings"]


class Readings:
    """Zonal influence per country label, refreshed from the backend's sums each step."""

    def __init__(self, layout: SourceLayout, n_powers: int) -> None:
        self._layout = layout
        self.n_powers = n_powers
        self.sums = np.zeros((n_powers * len(DOMAINS), layout.n_labels))
        self._levels = np.zeros((n_powers, len(DOMAINS), layout.n_labels))

    def update(self, country_sums: np.ndarray) -> None:
        """Take this step's (K, n_labels) sums from the backend."""
        self.sums = np.asarray(country_sums, dtype=np.float64)
        counts = self._layout.cell_counts
        by_power = self.sums.reshape(self.n_powers, len(DOMAINS), -1)
        land = counts[1:].sum()
        reference = by_power[:, :, 1:].sum(axis=(0, 2)) / max(land, 1)
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

    def totals(self, states: Iterable[str]) -> np.ndarray:
        """Influence summed over the cells of several states: (n_powers, n_domains)."""
        labels = [self._layout.label[s] for s in states if s in self._layout.label]
        total = self.sums[:, labels].sum(axis=1) if labels else np.zeros(self.sums.shape[0])
        return total.reshape(self.n_powers, len(DOMAINS))
