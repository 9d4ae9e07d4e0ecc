"""Numba kernels of the implicit scheme: tridiagonal sweeps along the rows, then the columns.

Fields arrive flattened to ``(N, H, W)`` with per-field ``g = dt * D`` and
``base = 1 + dt * lam``. Each sweep repeats the float32 operations of
:func:`multipolar.kernels.numpy_ref._solve_lines` in the same order (no ``fastmath``), so
the result is bitwise the reference's. Both sweeps work in place (``out`` may be ``u``):
a line is read completely by the forward elimination before the back substitution writes it.

Row sweep: a task is a block of :data:`ROWS` consecutive rows. Their face conductances are
computed once into thread scratch laid out ``(W + 1, ROWS)`` and shared by every field; for
each field the forward elimination walks along the columns and updates the block's rows
together (the inner loop over the rows is the vectorised one), keeping the elimination
factors in scratch, and the back substitution writes the rows. Column sweep: a task is a
strip of :data:`COLUMNS` consecutive columns, walked down the rows, vectorised across the
strip. Tasks are fixed by the grid, not by the thread count, so any number of threads gives
the same bytes; a chunk of consecutive tasks runs on each thread and scratch is allocated
once per call, never per step.
"""

from __future__ import annotations

import numba
import numpy as np
from numba import prange

__all__ = ["COLUMNS", "ROWS", "lod_steps", "scratch_shape"]

ROWS = 8
"""Rows per row-sweep task: one AVX2 vector of float32 across the rows."""

COLUMNS = 16
"""Columns per column-sweep task: one cache line of each row, two AVX2 vectors."""

_ONE = np.uint64(1)
_TWO = np.uint64(2)


def scratch_shape(n_chunks: int, height: int, width: int) -> tuple[int, int, int]:
    """``(n_chunks, rows, length)`` of the scratch both sweeps share, one slice per chunk.

    A sweep along lines of ``n`` cells uses ``3 * n + 4`` scratch rows (faces, elimination
    factors, values) of up to ``max(ROWS, COLUMNS)`` floats: one per line of the task.
    """
    rows = 3 * max(height, width) + 4
    return n_chunks, rows, max(ROWS, COLUMNS)


@numba.njit(cache=True, inline="always", error_model="numpy")
def _eliminate(
    sc: np.ndarray, n: int, lanes: np.uint64, gk: np.float32, bk: np.float32
) -> None:
    """Thomas algorithm on ``lanes`` independent lines of ``n`` cells held in scratch ``sc``.

    Rows of ``sc``: faces ``[0, n]`` (face ``k`` lies before cell ``k``; faces 0 and ``n``
    are 0), factors ``[n + 1, 2n + 1]`` (row ``n + 1`` zero), values ``[2n + 2, 3n + 3]``
    (row ``2n + 2`` zero, then the right-hand sides, then row ``3n + 3`` zero); the solution
    replaces the right-hand sides. The arithmetic is ``_solve_lines``'s, operation for
    operation; the loops over the lanes are the vectorised ones.
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
    g: np.ndarray,
    base: np.ndarray,
    dt: np.float32,
    i0: int,
    sc: np.ndarray,
) -> None:
    """Solve rows ``[i0, i0 + ROWS)`` (clipped) of every field along the columns.

    The block is transposed into scratch (one lane per row), solved with the lanes
    vectorised, and transposed back.
    """
    n_fields, height, width = u.shape
    n_rows = min(ROWS, height - i0)
    lanes = np.uint64(n_rows)
    half = np.float32(0.5)
    v0 = 2 * width + 3
    _clear(sc, width)
    for r in range(n_rows):
        for j in range(1, width):
            sc[j, r] = (c[i0 + r, j - 1] + c[i0 + r, j]) * half
    for f in range(n_fields):
        for r in range(n_rows):
            for j in range(width):
                sc[v0 + j, r] = u[f, i0 + r, j] + dt * s[f, i0 + r, j]
        _eliminate(sc, width, lanes, g[f], base[f])
        for r in range(n_rows):
            for j in range(width):
                out[f, i0 + r, j] = sc[v0 + j, r]


@numba.njit(cache=True, error_model="numpy")
def _column_strip(out: np.ndarray, c: np.ndarray, g: np.ndarray, j0: int, sc: np.ndarray) -> None:
    """Solve columns ``[j0, j0 + COLUMNS)`` (clipped) of every field in place, down the rows."""
    n_fields, height, width = out.shape
    lanes = np.uint64(min(COLUMNS, width - j0)) if j0 < width else np.uint64(0)
    col = np.uint64(j0)
    half = np.float32(0.5)
    one = np.float32(1.0)
    v0 = 2 * height + 3
    _clear(sc, height)
    for i in range(1, height):
        for q in range(lanes):
            sc[i, q] = (c[i - 1, col + q] + c[i, col + q]) * half
    for f in range(n_fields):
        for i in range(height):
            for q in range(lanes):
                sc[v0 + i, q] = out[f, i, col + q]
        _eliminate(sc, height, lanes, g[f], one)
        for i in range(height):
            for q in range(lanes):
                out[f, i, col + q] = sc[v0 + i, q]


@numba.njit(cache=True, parallel=True, error_model="numpy")
def lod_steps(
    u: np.ndarray,
    c: np.ndarray,
    s: np.ndarray,
    g: np.ndarray,
    base: np.ndarray,
    dt: np.float32,
    steps: int,
    out: np.ndarray,
    scratch: np.ndarray,
) -> np.ndarray:
    """Advance ``u`` by ``steps`` implicit steps into ``out`` (which may be ``u``); return it.

    ``scratch`` is ``(n_chunks, rows, length)`` from :func:`scratch_shape`; the tasks of
    each sweep are split into ``n_chunks`` runs of consecutive tasks, one per parallel
    iteration.
    """
    n_fields, height, width = u.shape
    n_chunks = scratch.shape[0]
    row_tasks = (height + ROWS - 1) // ROWS
    col_tasks = (width + COLUMNS - 1) // COLUMNS
    row_per = (row_tasks + n_chunks - 1) // n_chunks
    col_per = (col_tasks + n_chunks - 1) // n_chunks
    src = u
    for _ in range(steps):
        for chunk in prange(n_chunks):
            for task in range(chunk * row_per, min(row_tasks, (chunk + 1) * row_per)):
                _row_block(src, s, out, c, g, base, dt, task * ROWS, scratch[chunk])
        for chunk in prange(n_chunks):
            for task in range(chunk * col_per, min(col_tasks, (chunk + 1) * col_per)):
                _column_strip(out, c, g, task * COLUMNS, scratch[chunk])
        src = out
    return out
