"""The influence fields on the backend's device, and their zonal readings.

The fields ``u`` (K, H, W) stay on the device across steps; each step the sources are
assembled on the device from a small per-label table plus a few point cells, the backend
diffuses, and only zonal sums (small arrays) come back to the host: one pass over the fields
sums each (country, basin) pair of labels, and the country and basin sums are its margins.
A host copy of the fields is made only when somebody asks (the browser view, the final
``fields_final.npz``), at most once per step.

The field owns two field-sized buffers and ping-pongs between them: each ``advance``
writes into the one not holding the current fields (``diffuse(..., out=)``), so stepping
month by month touches no fresh memory.
"""

from __future__ import annotations

import numpy as np

from multipolar.geography import Geography
from multipolar.kernels import Backend
from multipolar.kernels.contract import check_scheme
from multipolar.kernels.memory import aligned_array, aligned_zeros, is_aligned
from multipolar.sources import SourceBatch

__all__ = ["InfluenceField"]


class InfluenceField:
    """K influence channels over a geography, advanced by one backend.

    Args:
        backend: The diffusion backend; the fields live on its device.
        geography: Rasters of the region (conductance, country and basin labels).
        diffusivity_cells: Diffusivity per channel, in cells² per month.
        decay: Decay rate per channel, per month.
        substeps: Steps per month (``dt = 1 / substeps`` months).
        scheme: ``"explicit"`` or ``"implicit"`` (see :mod:`multipolar.kernels.contract`).
    """

    def __init__(
        self,
        backend: Backend,
        geography: Geography,
        diffusivity_cells: np.ndarray,
        decay: np.ndarray,
        substeps: int,
        *,
        scheme: str = "explicit",
    ) -> None:
        """Allocate the fields, sources and buffers on the backend; see the class docstring."""
        check_scheme(scheme)
        if substeps < 1:
            raise ValueError(f"substeps must be at least 1, got {substeps}")
        self.backend = backend
        self.geography = geography
        self.scheme = scheme
        self.n_channels = len(diffusivity_cells)
        self.substeps = substeps
        self.dt = 1.0 / substeps
        self.D = np.asarray(diffusivity_cells, dtype=np.float32)
        self.lam = np.asarray(decay, dtype=np.float32)
        shape = (self.n_channels, *geography.country.shape)
        self.u = backend.asarray(aligned_zeros(shape))
        self._spare = backend.asarray(aligned_zeros(shape))
        self.s = backend.asarray(aligned_zeros(shape))
        self.c = backend.asarray(aligned_array(geography.conductance))
        country = geography.country.astype(np.int32)
        self._country = backend.asarray(country)
        self._n_basins = len(geography.basin_names)
        self._zone = backend.asarray(country * self._n_basins + geography.basin.astype(np.int32))
        self._zone_sums: tuple[int, np.ndarray] | None = None
        self.version = 0
        self._host: tuple[int, np.ndarray] | None = None

    def __setstate__(self, state: dict[str, object]) -> None:
        """Restore a pickled field (a checkpoint) with its host buffers on cache lines again.

        Pickling copies the arrays into fresh, unaligned memory; the Numba backend writes
        with streaming stores only into aligned outputs, and loads faster from aligned
        inputs (:mod:`multipolar.kernels.memory`).
        """
        self.__dict__.update(state)
        for name in ("u", "_spare", "s", "c"):
            value = getattr(self, name)
            if isinstance(value, np.ndarray) and not is_aligned(value):
                setattr(self, name, aligned_array(value))

    def set_sources(self, batch: SourceBatch) -> None:
        """Replace the source densities with one step's batch, in place on the device."""
        table = np.asarray(batch.table, dtype=np.float32)
        self.backend.fill_by_label(table, self._country, self.s)
        if len(batch.values):
            idx = tuple(self.backend.asarray(a) for a in (batch.channels, batch.rows, batch.cols))
            self.s[idx] += self.backend.asarray(batch.values)

    def advance(self, months: int = 1) -> None:
        """Diffuse for ``months`` months (``substeps`` steps of the scheme each).

        The result goes into the spare buffer, which then holds the fields; the previous
        fields' buffer becomes the spare.
        """
        steps = self.substeps * months
        out = self.backend.diffuse(
            self.u, self.c, self.s, self.D, self.lam, self.dt, steps,
            scheme=self.scheme, out=self._spare,
        )  # fmt: skip
        self._spare, self.u = self.u, out
        self.version += 1

    def relax(self, months: int, steps: int) -> None:
        """Move toward the steady state of the current sources in ``steps`` long steps.

        For the spin-up only, and only with the implicit scheme, whose steps are stable and
        non-negative at any length and whose fixed point is exactly the steady state: a few
        steps of several months each do what ``months * substeps`` short ones would.
        """
        if self.scheme != "implicit":
            raise ValueError("relax needs the implicit scheme; use advance")
        out = self.backend.diffuse(
            self.u, self.c, self.s, self.D, self.lam, months / steps, steps,
            scheme=self.scheme, out=self._spare,
        )  # fmt: skip
        self._spare, self.u = self.u, out
        self.version += 1

    def country_sums(self) -> np.ndarray:
        """Influence summed over each country label's cells: (K, n_country_labels)."""
        return self._sums_by_zone().sum(axis=2)

    def basin_sums(self) -> np.ndarray:
        """Influence summed over each basin label's cells: (K, n_basin_labels)."""
        return self._sums_by_zone().sum(axis=1)

    def _sums_by_zone(self) -> np.ndarray:
        """Sums over each (country, basin) pair: (K, n_country_labels, n_basin_labels).

        Computed at most once per step, in one pass over the fields for both readings.
        """
        if self._zone_sums is None or self._zone_sums[0] != self.version:
            n_countries = len(self.geography.country_codes)
            sums = self.backend.zonal_sum(self.u, self._zone, n_countries * self._n_basins)
            self._zone_sums = (self.version, sums.reshape(-1, n_countries, self._n_basins))
        return self._zone_sums[1]

    def to_host(self) -> np.ndarray:
        """The fields as a NumPy array, copied at most once per step.

        The array is the caller's to keep: the field's own buffers are reused by later
        steps, so a host backend's fields are copied too.
        """
        if self._host is None or self._host[0] != self.version:
            host = self.backend.to_numpy(self.u)
            if isinstance(self.u, np.ndarray) and np.may_share_memory(host, self.u):
                host = host.copy()
            self._host = (self.version, host)
        return self._host[1]
