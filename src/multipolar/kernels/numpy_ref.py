"""Plain NumPy reference backend: the readable oracle every other backend is tested against.

It implements DESIGN §4 literally, in flux form: for each pair of orthogonal neighbours the
flux ``cf * (u[n] - u[i, j])`` with ``cf = (c[i, j] + c[n]) / 2`` is added to one cell and
subtracted from the other, so there is no flux across the grid's edge and, with no decay
and no sources, each channel's total is conserved up to float32 rounding.
"""

from __future__ import annotations

import numpy as np

from multipolar.kernels.contract import check_diffuse_args, check_zonal_args

__all__ = ["NumpyBackend"]


class NumpyBackend:
    """Reference implementation of the backend interface on the host, in float32."""

    name = "numpy"
    xp = np

    def asarray(self, array: np.ndarray) -> np.ndarray:
        """Return ``array`` as a NumPy array (no copy when it already is one)."""
        return np.asarray(array)

    def to_numpy(self, array: np.ndarray) -> np.ndarray:
        """Return ``array`` as a NumPy array on the host."""
        return np.asarray(array)

    def synchronize(self) -> None:
        """Wait for queued work; host work is already complete."""

    def diffuse(
        self,
        u: np.ndarray,
        c: np.ndarray,
        s: np.ndarray,
        D: np.ndarray,
        lam: np.ndarray,
        dt: float,
        steps: int,
    ) -> np.ndarray:
        """Advance ``u`` by ``steps`` explicit updates; return the new field (``u`` unchanged)."""
        check_diffuse_args(u, c, s, D, lam, dt, steps)
        dt32 = np.float32(dt)
        d = np.asarray(D, dtype=np.float32)[:, None, None]
        k = np.asarray(lam, dtype=np.float32)[:, None, None]
        cf_x = (c[:, :-1] + c[:, 1:]) * np.float32(0.5)
        cf_y = (c[:-1, :] + c[1:, :]) * np.float32(0.5)
        u = np.array(u, dtype=np.float32, copy=True)
        for _ in range(steps):
            flux_x = cf_x * (u[..., :, 1:] - u[..., :, :-1])
            flux_y = cf_y * (u[..., 1:, :] - u[..., :-1, :])
            lap = np.zeros_like(u)
            lap[..., :, :-1] += flux_x
            lap[..., :, 1:] -= flux_x
            lap[..., :-1, :] += flux_y
            lap[..., 1:, :] -= flux_y
            u = u + dt32 * (d * lap - k * u + s)
        return u

    def zonal_sum(self, u: np.ndarray, labels: np.ndarray, n_labels: int) -> np.ndarray:
        """Sum each channel over each label: float64 ``(K, n_labels)`` or ``(B, K, n_labels)``."""
        check_zonal_args(u, labels, n_labels)
        flat_labels = labels.ravel()
        if flat_labels.size and (flat_labels.min() < 0 or flat_labels.max() >= n_labels):
            raise ValueError(f"labels must lie in [0, {n_labels})")
        lead = u.shape[:-2]
        fields = u.reshape(-1, flat_labels.size)
        out = np.stack(
            [
                np.bincount(flat_labels, weights=f.astype(np.float64), minlength=n_labels)
                for f in fields
            ]
        )
        return out.reshape(*lead, n_labels)
