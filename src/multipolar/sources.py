"""Where influence is emitted: territories, bases and project corridors, as source densities.

Emission is either spread evenly over a state's territory inside the grid (a state's own
emission, an organization's emission over its members) or placed on particular cells (a
base, the cells a corridor crosses). Amounts are per month; they are turned into densities
per square degree, so the same scenario gives comparable fields at any resolution.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from multipolar.channels import ChannelPlan
from multipolar.config import Scenario
from multipolar.geography import Geography
from multipolar.mechanisms.instruments import Instrument

__all__ = ["Corridor", "SourceBatch", "SourceLayout"]


@dataclass(frozen=True)
class Corridor:
    """The cells a project's path crosses and the share of them in each host state."""

    rows: np.ndarray
    cols: np.ndarray
    hosts: dict[str, float]


@dataclass(frozen=True)
class SourceBatch:
    """One step's sources: a per-label density table plus densities on particular cells."""

    table: np.ndarray  # (K, n_labels) float32: density over every cell of each country label
    channels: np.ndarray  # (n,) int: channel of each point density
    rows: np.ndarray
    cols: np.ndarray
    values: np.ndarray  # (n,) float32, unique (channel, row, col) triples


class SourceLayout:
    """Cells of every potential source in a scenario, computed once per run."""

    def __init__(self, scenario: Scenario, geography: Geography) -> None:
        self.geography = geography
        self.n_labels = len(geography.country_codes)
        self.cell_area = geography.grid.cell_area_deg2
        self.cell_counts = np.bincount(geography.country.ravel(), minlength=self.n_labels)
        self.label: dict[str, int] = {
            iso3: geography.country_codes.index(iso3)
            for iso3 in scenario.states
            if iso3 in geography.country_codes
            and self.cell_counts[geography.country_codes.index(iso3)] > 0
        }
        grid = geography.grid
        self.base_cell: dict[str, tuple[int, int]] = {
            b.id: grid.cell_of(b.lon, b.lat) for b in scenario.bases if grid.contains(b.lon, b.lat)
        }
        self.corridors: dict[str, Corridor] = {}
        for project in scenario.projects:
            cells = grid.cells_along(project.path)
            if len(cells):
                self.corridors[project.id] = self._corridor(cells)

    def _corridor(self, cells: np.ndarray) -> Corridor:
        labels = self.geography.country[cells[:, 0], cells[:, 1]]
        codes = self.geography.country_codes
        hosts: dict[str, float] = {}
        for label in labels[labels > 0]:
            hosts[codes[label]] = hosts.get(codes[label], 0.0) + 1.0 / len(labels)
        return Corridor(cells[:, 0], cells[:, 1], hosts)

    def cells_of(self, iso3: str) -> int:
        """Number of grid cells of a state's territory (0 outside the grid)."""
        label = self.label.get(iso3)
        return 0 if label is None else int(self.cell_counts[label])

    def batch(self, n_channels: int) -> SourceBuilder:
        """Start collecting one step's emissions."""
        return SourceBuilder(self, n_channels)

    def present(self, section: str, key: str) -> bool:
        """Whether a state, base or project has cells in the grid."""
        if section == "state":
            return self.cells_of(key) > 0
        if section == "base":
            return key in self.base_cell
        return key in self.corridors

    def project_hosts(self) -> dict[str, dict[str, float]]:
        """For each project in the grid, the share of its cells in each host state."""
        return {pid: corridor.hosts for pid, corridor in self.corridors.items()}

    def emit(self, plan: ChannelPlan, allocation: list[tuple[Instrument, float]]) -> SourceBatch:
        """Source densities of one month's allocation of the powers' budgets."""
        builder = self.batch(plan.n_channels)
        for item, amount in allocation:
            channel = plan.index(item.power, item.domain)
            if item.kind == "bases":
                builder.base(channel, item.key, amount)
            elif item.kind == "projects":
                builder.corridor(channel, item.key, amount)
            else:
                for state, share in item.targets:
                    builder.territory(channel, state, amount * share)
        return builder.finish()


class SourceBuilder:
    """Collects emission amounts (per month) for one step and turns them into densities."""

    def __init__(self, layout: SourceLayout, n_channels: int) -> None:
        self._layout = layout
        self._table = np.zeros((n_channels, layout.n_labels), dtype=np.float64)
        self._points: list[tuple[int, np.ndarray, np.ndarray, np.ndarray]] = []

    def territory(self, channel: int, iso3: str, amount: float) -> bool:
        """Spread ``amount`` evenly over a state's cells; False if it has none in the grid."""
        label = self._layout.label.get(iso3)
        if label is None:
            return False
        self._table[channel, label] += amount
        return True

    def base(self, channel: int, base_id: str, amount: float) -> bool:
        """Put ``amount`` on a base's cell; False if the base lies outside the grid."""
        cell = self._layout.base_cell.get(base_id)
        if cell is None:
            return False
        row, col = cell
        self._points.append((channel, np.array([row]), np.array([col]), np.array([amount])))
        return True

    def corridor(self, channel: int, project_id: str, amount: float) -> bool:
        """Spread ``amount`` evenly over the cells a project's path crosses."""
        corridor = self._layout.corridors.get(project_id)
        if corridor is None:
            return False
        share = np.full(len(corridor.rows), amount / len(corridor.rows))
        self._points.append((channel, corridor.rows, corridor.cols, share))
        return True

    def finish(self) -> SourceBatch:
        """Densities per square degree: table per label, and the point cells."""
        layout = self._layout
        counts = np.maximum(layout.cell_counts, 1)
        table = (self._table / (counts * layout.cell_area)).astype(np.float32)
        table[:, 0] = 0.0
        channels, rows, cols, values = self._point_cells()
        values = values / layout.cell_area
        return SourceBatch(table, channels, rows, cols, values.astype(np.float32))

    def _point_cells(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Unique (channel, row, col) cells and their amounts, added in the order given."""
        if not self._points:
            empty = np.zeros(0, dtype=np.int64)
            return empty, empty, empty, np.zeros(0)
        height, width = self._layout.geography.country.shape
        keys = np.concatenate(
            [(c * height + np.asarray(r)) * width + np.asarray(q) for c, r, q, _ in self._points]
        )
        amounts = np.concatenate([a for *_, a in self._points])
        unique, where = np.unique(keys, return_inverse=True)
        totals = np.bincount(where, weights=amounts, minlength=len(unique))
        cell, col = np.divmod(unique, width)
        channel, row = np.divmod(cell, height)
        return channel, row, col, totals
