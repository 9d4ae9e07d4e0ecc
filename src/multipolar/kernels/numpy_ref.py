"""Plain NumPy reference backend: the readable oracle every other backend is tested against.

It implements docs/model.md §7.9 literally (flux form): for each pair of orthogonal neighbours the
flux ``cf * (u[n] - u[i, j])`` with ``cf = (c[i, j] + c[n]) / 2`` is added to one cell and
subtracted from the other, so there is no flux across the grid's edge and, with no decay
and no sources, each channel's total is conserved up to float32 rounding.

The implicit scheme (see :mod:`multipolar.kernels.contract`) solves for each step's change
one direction at a time with the Thomas algorithm; the loop runs along the lines and each
operation is vectorised over all the lines (every row of every field, then every column).
The CUDA kernels and Numba's explicit kernels repeat its float32 operations in the same
order; Numba's implicit sweeps contract multiply-adds into FMAs and agree to about 1e-7 of
the largest value per step.
"""

from __future__ import annotations

import numpy as np

from multipolar.kernels.contract import (
    check_diffuse_args,
    check_fill_args,
    check_label_range,
    check_out,
    check_scheme,
    check_zonal_args,
)

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
        *,
        scheme: str = "explicit",
        out: np.ndarray | None = None,
    ) -> np.ndarray:
        """Advance ``u`` by ``steps`` steps of ``scheme``; return the new fields.

        ``u`` is untouched unless it is ``out`` (allowed with the implicit scheme only).
        With ``out`` the result is written there and ``out`` is returned.
        """
        check_diffuse_args(u, c, s, D, lam, dt, steps)
        check_scheme(scheme)
        if out is not None:
            check_out(out, u, scheme, np.may_share_memory)
        step = _explicit if scheme == "explicit" else _implicit
        result = step(u, c, s, D, lam, dt, steps)
        if out is None:
            return result
        np.copyto(out, result)
        return out

    def zonal_sum(self, u: np.ndarray, labels: np.ndarray, n_labels: int) -> np.ndarray:
        """Sum each channel over each label: float64 ``(K, n_labels)`` or ``(B, K, n_labels)``."""
        check_zonal_args(u, labels, n_labels)
        flat_labels = labels.ravel()
        check_label_range(flat_labels, n_labels)
        lead = u.shape[:-2]
        fields = u.reshape(-1, flat_labels.size)
        out = np.stack(
            [
                np.bincount(flat_labels, weights=f.astype(np.float64), minlength=n_labels)
                for f in fields
            ]
        )
        return out.reshape(*lead, n_labels)

    def fill_by_label(self, table: np.ndarray, labels: np.ndarray, out: np.ndarray) -> None:
        """``out[..., i, j] = table[..., labels[i, j]]`` for every cell, in place."""
        table = np.asarray(table)
        check_fill_args(table, labels, out)
        n_labels = table.shape[-1]
        check_label_range(labels, n_labels)
        flat = out.reshape(-1, *labels.shape)
        np.take(table.reshape(-1, n_labels), labels, axis=1, out=flat, mode="clip")


def _explicit(
    u: np.ndarray,
    c: np.ndarray,
    s: np.ndarray,
    D: np.ndarray,
    lam: np.ndarray,
    dt: float,
    steps: int,
) -> np.ndarray:
    """``steps`` forward-Euler updates in flux form (a new array)."""
    dt32 = np.float32(dt)
    u = np.array(u, dtype=np.float32, copy=True)
    for _ in range(steps):
        u = u + _increment(u, c, s, D, lam, dt32)
    return u


def _increment(
    u: np.ndarray, c: np.ndarray, s: np.ndarray, D: np.ndarray, lam: np.ndarray, dt: np.float32
) -> np.ndarray:
    """One explicit step's increment ``dt * ((D * lap(u) - lam * u) + s)``, in flux form."""
    d = np.asarray(D, dtype=np.float32)[:, None, None]
    k = np.asarray(lam, dtype=np.float32)[:, None, None]
    cf_x = (c[:, :-1] + c[:, 1:]) * np.float32(0.5)
    cf_y = (c[:-1, :] + c[1:, :]) * np.float32(0.5)
    flux_x = cf_x * (u[..., :, 1:] - u[..., :, :-1])
    flux_y = cf_y * (u[..., 1:, :] - u[..., :-1, :])
    lap = np.zeros_like(u)
    lap[..., :, :-1] += flux_x
    lap[..., :, 1:] -= flux_x
    lap[..., :-1, :] += flux_y
    lap[..., 1:, :] -= flux_y
    return dt * (d * lap - k * u + s)


def _faces(c: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Face conductances padded with zeros at the edge: ``(H, W + 1)`` and ``(H + 1, W)``.

    ``fx[i, j]`` is the face west of cell ``(i, j)`` (so ``fx[i, j + 1]`` is its east face)
    and ``fy[i, j]`` the face north of it; faces on the grid's edge are 0 (no flux).
    """
    height, width = c.shape
    fx = np.zeros((height, width + 1), np.float32)
    fy = np.zeros((height + 1, width), np.float32)
    fx[:, 1:-1] = (c[:, :-1] + c[:, 1:]) * np.float32(0.5)
    fy[1:-1, :] = (c[:-1, :] + c[1:, :]) * np.float32(0.5)
    return fx, fy


def _solve_lines(rhs: np.ndarray, lo: np.ndarray, up: np.ndarray, base: np.ndarray) -> np.ndarray:
    """Thomas algorithm along the last axis, vectorised over all the other axes.

    Solves ``((base_j + lo_j) + up_j) x_j - lo_j x_{j-1} - up_j x_{j+1} = rhs_j`` where
    ``lo_j``/``up_j`` are ``dt * D`` times the faces before/after cell ``j`` (0 at the ends)
    and ``base_j >= 1``. Every quantity is non-negative and every denominator at least
    ``base_j``, so no pivoting is needed and nothing cancels.
    """
    n = rhs.shape[-1]
    lead = np.broadcast_shapes(rhs.shape, lo.shape)[:-1]
    base = np.broadcast_to(base, lo.shape)
    one = np.float32(1.0)
    cp = np.empty((*lead, n), np.float32)
    x = np.empty((*lead, n), np.float32)
    cp_prev = np.zeros(lead, np.float32)
    dp_prev = np.zeros(lead, np.float32)
    for j in range(n):
        diag = (base[..., j] + lo[..., j]) + up[..., j]
        m = one / (diag - lo[..., j] * cp_prev)
        cp_prev = up[..., j] * m
        dp_prev = (rhs[..., j] + lo[..., j] * dp_prev) * m
        cp[..., j] = cp_prev
        x[..., j] = dp_prev
    x_next = np.zeros(lead, np.float32)
    for j in range(n - 1, -1, -1):
        x_next = x[..., j] + cp[..., j] * x_next
        x[..., j] = x_next
    return x


def _solve_columns(rhs: np.ndarray, lo: np.ndarray, up: np.ndarray, base: np.ndarray) -> np.ndarray:
    """:func:`_solve_lines` along the second-to-last axis (the columns)."""
    lo, up, rhs = (np.swapaxes(a, -1, -2) for a in (lo, up, rhs))
    base = np.swapaxes(np.broadcast_to(base, np.swapaxes(lo, -1, -2).shape), -1, -2)
    return np.swapaxes(_solve_lines(rhs, lo, up, base), -1, -2)


def ordered_totals(x: np.ndarray) -> np.ndarray:
    """Each field's total in float64, in the order every backend uses.

    Each column is summed from the last row up, then the column sums from left to right
    (``cumsum`` is sequential, so the order is fixed and reproducible).
    """
    columns = np.cumsum(x[..., ::-1, :], axis=-2, dtype=np.float64)[..., -1, :]
    return np.cumsum(columns, axis=-1)[..., -1]


def _implicit(
    u: np.ndarray,
    c: np.ndarray,
    s: np.ndarray,
    D: np.ndarray,
    lam: np.ndarray,
    dt: float,
    steps: int,
) -> np.ndarray:
    """``steps`` implicit steps (see :mod:`multipolar.kernels.contract`), a new array.

    Per step, with ``g = dt*D`` and ``base = 1 + dt*lam``:

    1. ``r = dt * ((D * lap(u) - lam * u) + s)``, the explicit scheme's increment;
    2. ``(base I - g Lx) v = r`` along the rows, ``(I - g Ly) delta = v`` along the columns;
    3. ``x = u + delta`` where positive, else 0;
    4. each field scaled by one positive factor to the exact total of backward Euler,
       ``T' = (T + dt * S) / (1 + dt * lam)`` (``T``, ``S``: totals of ``u`` and ``s``,
       carried in float64 from the first step's :func:`ordered_totals`).
    """
    dt32 = np.float32(dt)
    g = (dt32 * np.asarray(D, dtype=np.float32))[:, None, None]
    lam32 = np.asarray(lam, dtype=np.float32)
    base = (np.float32(1.0) + dt32 * lam32)[:, None, None]
    fx, fy = _faces(c)
    lo_x, up_x = g * fx[:, :-1], g * fx[:, 1:]
    lo_y, up_y = g * fy[:-1, :], g * fy[1:, :]
    total = ordered_totals(u)
    source_total = ordered_totals(s)
    dt64 = np.float64(dt32)
    rate = 1.0 + dt64 * lam32.astype(np.float64)
    zero = np.float32(0.0)
    u = np.array(u, dtype=np.float32, copy=True)
    for _ in range(steps):
        increment = _increment(u, c, s, D, lam, dt32)
        v = _solve_lines(increment, lo_x, up_x, base)
        delta = _solve_columns(v, lo_y, up_y, np.float32(1.0))
        x = u + delta
        x = np.where(x > zero, x, zero)
        total = (total + dt64 * source_total) / rate
        got = ordered_totals(x)
        safe = np.where(got > 0.0, got, 1.0)
        factor = np.where(got > 0.0, total / safe, 1.0).astype(np.float32)
        u = x * factor[..., None, None]
    return u
