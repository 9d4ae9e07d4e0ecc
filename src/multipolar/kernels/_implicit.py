"""Numba kernels of the implicit scheme: a tridiagonal sweep along the rows, then the columns.

Fields arrive flattened to ``(N, H, W)`` with per-field ``D`` and ``lam``. Each step (see
:mod:`multipolar.kernels.contract`) computes the explicit increment and solves along the
rows into ``out``, then solves along the columns in place and adds the change to ``u``
(clipped at 0), then rescales each field to its exact total. The float32 operations are
``numpy_ref._implicit``'s in the same order (no ``fastmath``), so the result is bitwise the
reference's.

Row sweep: a task is a block of :data:`ROWS` consecutive rows. Their face conductances are
computed once into thread scratch laid out ``(W + 1, ROWS)`` and shared by every field; for
each field the block is transposed into scratch (one lane per row), the forward elimination
walks along the columns with the block's rows as the inner loop, and the back substitution
and transposition write the rows. Column sweep: a task is a strip of :data:`COLUMNS`
consecutive columns, walked down the rows with the strip as the inner loop. Tasks are fixed
by the grid, not by the thread count, so any number of threads gives the same bytes; a run
of consecutive tasks goes to each thread and scratch is allocated once per call, never per
step.
"""

from __future__ import annotations

import numba
import numpy as np
from numba import prange

__all__ = ["COLUMNS", "ROWS", "lod_steps", "ordered_totals", "scratch_shape"]

ROWS = 8
"""Rows per row-sweep task: one AVX2 vector of float32 across the rows."""

COLUMNS = 16
"""Columns per column-sweep task: one cache line of each row, two AVX2 vectors."""

_ONE = np.uint64(1)


def scratch_shape(n_chunks: int, height: int, width: int) -> tuple[int, int, int]:
    """``(n_chunks, rows, length)`` of the scratch both sweeps share, one slice per chunk.

    A sweep along lines of ``n`` cells uses ``3 * n + 4`` scratch rows (faces, elimination
    factors, values; see :func:`_eliminate`) of up to ``max(ROWS, COLUMNS)`` floats: one
    lane per line of the task.
    """
    rows = 3 * max(height, width) + 4
    return n_chunks, rows, max(ROWS, COLUMNS)


@numba.njit(cache=True, inline="always", error_model="numpy")
def _eliminate(sc: np.ndarray, n: int, lanes: np.uint64, gk: np.float32, bk: np.float32) -> None:
    """Thomas algorithm on ``lanes`` independent lines of ``n`` cells held in scratch ``sc``.

    Rows of ``sc``: faces ``[0, n]`` (face ``k`` lies before cell ``k``; faces 0 and ``n``
    are 0), factors ``[n + 1, 2n + 1]`` (row ``n + 1`` zero), values ``[2n + 2, 3n + 3]``
    (row ``2n + 2`` zero, then the right-hand sides, then row ``3n + 3`` zero); the
    solution replaces the right-hand sides. The diagonal is ``(bk + lo) + up``. The
    arithmetic is ``numpy_ref._solve_lines``'s, operation for operation.
    """
    one = np.float32(1.0)
    p0 = n + 1
    v0 = 2 * n + 2
    for k in range(n):
        for q in range(lanes):
            lo = gk * sc[k, q]
            up = gk * sc[k + 1, q]
            diag = (bk + lo) + up
            m = one / (diag - lo * sc[p0 + k, q])
            sc[p0 + k + 1, q] = up * m
            sc[v0 + k + 1, q] = (sc[v0 + k + 1, q] + lo * sc[v0 + k, q]) * m
    for k in range(n - 1, -1, -1):
        for q in range(lanes):
            sc[v0 + k + 1, q] = sc[v0 + k + 1, q] + sc[p0 + k + 1, q] * sc[v0 + k + 2, q]


@numba.njit(cache=True, inline="always", error_model="numpy")
def _clear(sc: np.ndarray, n: int) -> None:
    """Zero the rows of the line layout of :func:`_eliminate` that stand for outside cells."""
    zero = np.float32(0.0)
    for q in range(sc.shape[1]):
        sc[0, q] = zero
        sc[n, q] = zero
        sc[n + 1, q] = zero
        sc[2 * n + 2, q] = zero
        sc[3 * n + 3, q] = zero


@numba.njit(cache=True, error_model="numpy")
def _row_block(
    u: np.ndarray,
    s: np.ndarray,
    out: np.ndarray,
    c: np.ndarray,
    d: np.ndarray,
    lam: np.ndarray,
    dt: np.float32,
    i0: int,
    sc: np.ndarray,
) -> None:
    """Rows ``[i0, i0 + ROWS)`` (clipped) of every field: ``out = (base I - g Lx)^-1 r``.

    ``r = dt * ((D * lap - lam * u) + s)`` is the explicit increment, with the Laplacian
    summed as in :func:`~multipolar.kernels._numba_kernels.update_row`. The block is
    transposed into scratch (one lane per row), solved, and transposed back.
    """
    n_fields, height, width = u.shape
    n_rows = min(ROWS, height - i0)
    lanes = np.uint64(n_rows)
    half = np.float32(0.5)
    zero = np.float32(0.0)
    one = np.float32(1.0)
    v0 = 2 * width + 3
    _clear(sc, width)
    for r in range(n_rows):
        for j in range(1, width):
            sc[j, r] = (c[i0 + r, j - 1] + c[i0 + r, j]) * half
    for f in range(n_fields):
        dk = d[f]
        lk = lam[f]
        for r in range(n_rows):
            i = i0 + r
            north = i - 1 if i > 0 else i
            south = i + 1 if i + 1 < height else i
            for j in range(width):
                west = j - 1 if j > 0 else j
                east = j + 1 if j + 1 < width else j
                cfn = (c[i, j] + c[i - 1, j]) * half if i > 0 else zero
                cfs = (c[i, j] + c[i + 1, j]) * half if i + 1 < height else zero
                u0 = u[f, i, j]
                lap = sc[j + 1, r] * (u[f, i, east] - u0) + sc[j, r] * (u[f, i, west] - u0)
                lap = lap + cfs * (u[f, south, j] - u0)
                lap = lap + cfn * (u[f, north, j] - u0)
                sc[v0 + j, r] = dt * (dk * lap - lk * u0 + s[f, i, j])
        _eliminate(sc, width, lanes, dt * dk, one + dt * lk)
        for r in range(n_rows):
            for j in range(width):
                out[f, i0 + r, j] = sc[v0 + j, r]


@numba.njit(cache=True, error_model="numpy")
def _column_strip(
    u: np.ndarray,
    out: np.ndarray,
    c: np.ndarray,
    d: np.ndarray,
    dt: np.float32,
    j0: int,
    sc: np.ndarray,
) -> None:
    """Columns ``[j0, j0 + COLUMNS)`` (clipped), in place: ``max(u + (I - g Ly)^-1 out, 0)``."""
    n_fields, height, width = u.shape
    n_cols = min(COLUMNS, width - j0)
    lanes = np.uint64(n_cols)
    half = np.float32(0.5)
    zero = np.float32(0.0)
    one = np.float32(1.0)
    v0 = 2 * height + 3
    _clear(sc, height)
    for i in range(1, height):
        for q in range(n_cols):
            sc[i, q] = (c[i - 1, j0 + q] + c[i, j0 + q]) * half
    for f in range(n_fields):
        for i in range(height):
            for q in range(n_cols):
                sc[v0 + i, q] = out[f, i, j0 + q]
        _eliminate(sc, height, lanes, dt * d[f], one)
        for i in range(height):
            for q in range(n_cols):
                x = u[f, i, j0 + q] + sc[v0 + i, q]
                out[f, i, j0 + q] = x if x > zero else zero


@numba.njit(cache=True, parallel=True, error_model="numpy")
def _row_sweep(
    u: np.ndarray,
    s: np.ndarray,
    out: np.ndarray,
    c: np.ndarray,
    d: np.ndarray,
    lam: np.ndarray,
    dt: np.float32,
    scratch: np.ndarray,
) -> None:
    """Every row block, one run of consecutive blocks per scratch slice (``out`` is not ``u``)."""
    n_tasks = (u.shape[1] + ROWS - 1) // ROWS
    n_chunks = scratch.shape[0]
    per = (n_tasks + n_chunks - 1) // n_chunks
    for chunk in prange(n_chunks):
        for task in range(chunk * per, min(n_tasks, (chunk + 1) * per)):
            _row_block(u, s, out, c, d, lam, dt, task * ROWS, scratch[chunk])


@numba.njit(cache=True, parallel=True, error_model="numpy")
def _column_sweep(
    u: np.ndarray,
    out: np.ndarray,
    c: np.ndarray,
    d: np.ndarray,
    dt: np.float32,
    scratch: np.ndarray,
) -> None:
    """Every column strip, one run of consecutive strips per scratch slice."""
    n_tasks = (u.shape[2] + COLUMNS - 1) // COLUMNS
    n_chunks = scratch.shape[0]
    per = (n_tasks + n_chunks - 1) // n_chunks
    for chunk in prange(n_chunks):
        for task in range(chunk * per, min(n_tasks, (chunk + 1) * per)):
            _column_strip(u, out, c, d, dt, task * COLUMNS, scratch[chunk])


@numba.njit(cache=True, parallel=True)
def ordered_totals(x: np.ndarray) -> np.ndarray:
    """Each field's float64 total: columns summed from the last row up, then left to right.

    The order of ``numpy_ref.ordered_totals``, whatever the number of threads.
    """
    n_fields, height, width = x.shape
    totals = np.zeros(n_fields, dtype=np.float64)
    for f in prange(n_fields):
        columns = np.zeros(width, dtype=np.float64)
        for i in range(height - 1, -1, -1):
            for j in range(width):
                columns[j] += np.float64(x[f, i, j])
        total = 0.0
        for j in range(width):
            total += columns[j]
        totals[f] = total
    return totals


@numba.njit(cache=True, parallel=True)
def _rescale(x: np.ndarray, total: np.ndarray, got: np.ndarray) -> None:
    """Scale each field of ``x`` (totals ``got``) in place to the totals ``total``."""
    n_fields, height, width = x.shape
    for p in prange(n_fields * height):
        f = p // height
        i = p - f * height
        factor = np.float32(total[f] / got[f]) if got[f] > 0.0 else np.float32(1.0)
        for j in range(width):
            x[f, i, j] = x[f, i, j] * factor


def lod_steps(
    u: np.ndarray,
    c: np.ndarray,
    s: np.ndarray,
    d: np.ndarray,
    lam: np.ndarray,
    dt: np.float32,
    steps: int,
    buffers: tuple[np.ndarray, np.ndarray],
    scratch: np.ndarray,
) -> np.ndarray:
    """Advance ``u`` by ``steps`` implicit steps; the result lands in ``buffers[0]``.

    ``buffers`` are two distinct arrays shaped like ``u``, neither overlapping ``u``;
    ``scratch`` is ``(n_chunks, rows, length)`` from :func:`scratch_shape`. The scheme is
    ``numpy_ref._implicit``'s: row sweep, column sweep, rescaling to the exact total.
    """
    out, spare = buffers
    total = ordered_totals(u)
    source_total = ordered_totals(s)
    rate = 1.0 + np.float64(dt) * lam.astype(np.float64)
    src = u
    for step in range(steps):
        x = out if (steps - 1 - step) % 2 == 0 else spare
        _row_sweep(src, s, x, c, d, lam, dt, scratch)
        _column_sweep(src, x, c, d, dt, scratch)
        total = (total + np.float64(dt) * source_total) / rate
        _rescale(x, total, ordered_totals(x))
        src = x
    return out
