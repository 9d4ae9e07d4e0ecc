"""The influence fields on the backend's device, and their zonal readings.

The fields ``u`` (K, H, W) stay on the device across steps; each step the sources are
assembled on the device from a small per-label table plus a few point cells, the backend
diffuses, and only zonal sums per country and per basin (small arrays) come back to the
host. A host copy of the fields is made only when somebody asks (the browser view, the
final ``fields_final.npz``), at most once per step.
"""

from __future__ import annotations

import numpy as np

from multipolar.geography import Geography
from multipolar.kernels import Backend
from multipolar.sources import SourceBatch

__all__ = ["InfluenceField"]


class InfluenceField:
    """K influence channels over a geography, advanced by one backend."""

    def __init__(
        self,
        backend: Backend,
        geography: Geography,
        diffusivity_cells: np.ndarray,
        decay: np.ndarray,
        substeps: int,
    ) -> None:
        self.backend = backend
        self.geography = geography
        self.n_channels = len(diffusivity_cells)
        self.substeps = substeps
        self.dt = 1.0 / substeps
        self.D = np.asarray(diffusivity_cells, dtype=np.float32)
        self.lam = np.asarray(decay, dtype=np.float32)
        xp = backend.xp
        shape = (self.n_channels, *geography.country.shape)
        self.u = backend.asarray(np.zeros(shape, dtype=np.float32))
        self.s = backend.asarray(np.zeros(shape, dtype=np.float32))
        self.c = backend.asarray(geography.conductance.astype(np.float32))
        self._country = backend.asarray(geography.country.astype(np.int32))
        self._basin = backend.asarray(geography.basin.astype(np.int32))
        self._xp = xp
        self.version = 0
        self._host: tuple[int, np.ndarray] | None = None

    def set_sources(self, batch: SourceBatch) -> None:
        """Replace the source densities with one step's batch (assembled on the device)."""
        xp = self._xp
        table = self.backend.asarray(batch.table)
        self.s = xp.take(table, self._country, axis=1)
        if len(batch.values):
            idx = tuple(self.backend.asarray(a) for a in (batch.channels, batch.rows, batch.cols))
            self.s[idx] += self.backend.asarray(batch.values)

    def advance(self, months: int = 1) -> None:
        """Diffuse for ``months`` months (``substeps`` explicit updates each)."""
        self.u = self.backend.diffuse(
            self.u, self.c, self.s, self.D, self.lam, self.dt, self.substeps * months
        )
        self.version += 1

    def country_sums(self) -> np.ndarray:
        """Influence summed over each country label's cells: (K, n_country_labels)."""
        return self.backend.zonal_sum(self.u, self._country, len(self.geography.country_codes))

    def basin_sums(self) -> np.ndarray:
        """Influence summed over each basin label's cells: (K, n_basin_labels)."""
        return self.backend.zonal_sum(self.u, self._basin, len(self.geography.basin_names))

    def to_host(self) -> np.ndarray:
        """The fields as a NumPy array, copied from the device at most once per step."""
        if self._host is None or self._host[0] != self.version:
            self._host = (self.version, self.backend.to_numpy(self.u))
        return self._host[1]
