"""Numba kernels of the implicit scheme: a tridiagonal sweep along the rows, then the columns.

Fields arrive flattened to ``(N, H, W)`` with per-field ``D`` and ``lam``. Each step (see
:mod:`multipolar.kernels.contract`) computes the explicit increment and solves along the
rows into ``out``, then solves along the columns in place and adds the change to ``u``
(clipped at 0), then rescales each field to its exact total. The float32 operations are
``numpy_ref._implicit``'s in the same order (no ``fastmath``), so the result is bitwise the
reference's.

The elimination factors (``m = 1 / denominator`` and ``cp``) depend on the conductance
and the coefficients only, so :func:`factors` computes them once per call for each distinct
``(dt * D, 1 + dt * lam)`` among the fields (rows) and ``dt * D`` (columns); a step then
needs no division. Row sweep: a task solves :data:`_LANES` consecutive rows of one field,
their increments computed into thread scratch and their scalar recurrences interleaved;
consecutive tasks take the same rows of the next field. Column sweep: each thread owns a
range of columns and walks down the rows a whole row segment of every field at a time
(vectorised; unsigned indices keep LLVM's loop vectoriser free of negative-index checks),
then back up, adding each column's float64 sum on the way. Every line is solved alone, in
an order fixed by the grid, so any number of threads gives the same bytes. Scratch is
allocated once per call, never per step.
"""

from __future__ import annotations

from dataclasses import dataclass

import numba
import numpy as np
from numba import prange

_ONE = np.uint64(1)

_LANES = 4
"""Rows whose recurrences the row sweep interleaves (its loops are written out for four)."""

_CHUNKS = 64
"""Column ranges :func:`column_factors` runs in parallel."""

__all__ = ["Factors", "column_factors", "factors", "lod_steps", "ordered_totals", "row_factors"]


@numba.njit(cache=True, parallel=True, error_model="numpy")
def row_factors(
    c: np.ndarray, g: np.float32, base: np.float32, m: np.ndarray, cp: np.ndarray
) -> None:
    """Elimination factors of the row solves, which depend on ``c``, ``g`` and ``base`` only.

    Along each row: ``diag = (base + lo) + up`` with ``lo``/``up`` ``g`` times the west/east
    faces, ``m = 1 / (diag - lo * cp[j - 1])``, ``cp = up * m`` (``numpy_ref._solve_lines``).
    """
    height, width = c.shape
    half = np.float32(0.5)
    one = np.float32(1.0)
    zero = np.float32(0.0)
    for i in prange(height):
        prev = zero
        west = zero
        for j in range(width):
            east = (c[i, j] + c[i, j + 1]) * half if j + 1 < width else zero
            lo = g * west
            up = g * east
            mj = one / (((base + lo) + up) - lo * prev)
            prev = up * mj
            m[i, j] = mj
            cp[i, j] = prev
            west = east


@numba.njit(cache=True, parallel=True, error_model="numpy")
def column_factors(c: np.ndarray, g: np.float32, m: np.ndarray, cp: np.ndarray) -> None:
    """Elimination factors of the column solves (base 1), down each column."""
    height, width = c.shape
    half = np.float32(0.5)
    one = np.float32(1.0)
    zero = np.float32(0.0)
    n_chunks = min(width, _CHUNKS)
    per = (width + n_chunks - 1) // n_chunks
    for chunk in prange(n_chunks):
        j0 = chunk * per
        j1 = min(width, j0 + per)
        for i in range(height):
            for j in range(j0, j1):
                north = (c[i - 1, j] + c[i, j]) * half if i > 0 else zero
                south = (c[i, j] + c[i + 1, j]) * half if i + 1 < height else zero
                lo = g * north
                up = g * south
                prev = cp[i - 1, j] if i > 0 else zero
                mj = one / (((one + lo) + up) - lo * prev)
                m[i, j] = mj
                cp[i, j] = up * mj


@numba.njit(cache=True, inline="always", error_model="numpy")
def _increment_row(
    u: np.ndarray,
    s: np.ndarray,
    c: np.ndarray,
    f: int,
    i: int,
    dk: np.float32,
    lk: np.float32,
    dt: np.float32,
    r: np.ndarray,
    low: np.ndarray,
) -> None:
    """Row ``i`` of field ``f``: ``r = dt * ((D * lap - lam * u) + s)`` and ``low = g * fw``.

    The Laplacian is summed as in ``_numba_kernels.update_row``, ``((fe + fw) + fs) + fn``;
    a face on the grid's edge is an exact 0 (its neighbour index is the cell itself), so
    the interior loop has no branch.
    """
    height, width = c.shape
    half = np.float32(0.5)
    zero = np.float32(0.0)
    g = dt * dk
    north = i - 1 if i > 0 else i
    south = i + 1 if i + 1 < height else i
    keep_n = np.float32(1.0) if i > 0 else zero
    keep_s = np.float32(1.0) if i + 1 < height else zero
    ui = u[f, i]
    un = u[f, north]
    us = u[f, south]
    si = s[f, i]
    ci = c[i]
    cn = c[north]
    cs = c[south]
    last = width - 1
    for edge in range(2 if width > 1 else 1):
        j = 0 if edge == 0 else last
        west = j - 1 if j > 0 else j
        east = j + 1 if j + 1 < width else j
        c0 = ci[j]
        cfw = (ci[west] + c0) * half if j > 0 else zero
        cfe = (c0 + ci[east]) * half if j + 1 < width else zero
        u0 = ui[j]
        lap = cfe * (ui[east] - u0) + cfw * (ui[west] - u0)
        lap = lap + ((c0 + cs[j]) * half) * keep_s * (us[j] - u0)
        lap = lap + ((c0 + cn[j]) * half) * keep_n * (un[j] - u0)
        r[j] = dt * (dk * lap - lk * u0 + si[j])
        low[j] = g * cfw
    for j in range(_ONE, np.uint64(max(width - 1, 1))):
        c0 = ci[j]
        cfw = (ci[j - _ONE] + c0) * half
        cfe = (c0 + ci[j + _ONE]) * half
        u0 = ui[j]
        lap = cfe * (ui[j + _ONE] - u0) + cfw * (ui[j - _ONE] - u0)
        lap = lap + ((c0 + cs[j]) * half) * keep_s * (us[j] - u0)
        lap = lap + ((c0 + cn[j]) * half) * keep_n * (un[j] - u0)
        r[j] = dt * (dk * lap - lk * u0 + si[j])
        low[j] = g * cfw


@numba.njit(cache=True, parallel=True, error_model="numpy")
def _row_sweep(
    u: np.ndarray,
    s: np.ndarray,
    out: np.ndarray,
    c: np.ndarray,
    d: np.ndarray,
    lam: np.ndarray,
    dt: np.float32,
    which: np.ndarray,
    m: np.ndarray,
    cp: np.ndarray,
    rhs: np.ndarray,
) -> None:
    """``out = (base I - g Lx)^-1 r`` row by row, ``r`` the explicit increment of ``u``.

    ``which[f]`` picks the factors ``m[which[f]]``, ``cp[which[f]]`` of field ``f``;
    ``rhs`` is ``(n_chunks, 8, W)`` scratch. A task solves :data:`_LANES` rows of one field
    together, their recurrences interleaved (independent chains, so the CPU overlaps their
    latencies); consecutive tasks take the same rows of the next field, so the factors and
    the conductance are read from cache. Results do not depend on how rows are grouped.
    """
    n_fields, height, width = u.shape
    groups = (height + _LANES - 1) // _LANES
    n_tasks = n_fields * groups
    n_chunks = rhs.shape[0]
    per = (n_tasks + n_chunks - 1) // n_chunks
    zero = np.float32(0.0)
    for chunk in prange(n_chunks):
        sc = rhs[chunk]
        for task in range(chunk * per, min(n_tasks, (chunk + 1) * per)):
            group = task // n_fields
            f = task - group * n_fields
            i0 = group * _LANES
            k = which[f]
            if i0 + _LANES <= height:
                for q in range(_LANES):
                    _increment_row(u, s, c, f, i0 + q, d[f], lam[f], dt, sc[q], sc[_LANES + q])
                r0, r1, r2, r3 = sc[0], sc[1], sc[2], sc[3]
                l0, l1, l2, l3 = sc[4], sc[5], sc[6], sc[7]
                m0, m1, m2, m3 = m[k, i0], m[k, i0 + 1], m[k, i0 + 2], m[k, i0 + 3]
                o0, o1, o2, o3 = out[f, i0], out[f, i0 + 1], out[f, i0 + 2], out[f, i0 + 3]
                d0 = d1 = d2 = d3 = zero
                for j in range(width):
                    d0 = (r0[j] + l0[j] * d0) * m0[j]
                    d1 = (r1[j] + l1[j] * d1) * m1[j]
                    d2 = (r2[j] + l2[j] * d2) * m2[j]
                    d3 = (r3[j] + l3[j] * d3) * m3[j]
                    o0[j] = d0
                    o1[j] = d1
                    o2[j] = d2
                    o3[j] = d3
                p0, p1, p2, p3 = cp[k, i0], cp[k, i0 + 1], cp[k, i0 + 2], cp[k, i0 + 3]
                x0 = x1 = x2 = x3 = zero
                for j in range(width - 1, -1, -1):
                    x0 = o0[j] + p0[j] * x0
                    x1 = o1[j] + p1[j] * x1
                    x2 = o2[j] + p2[j] * x2
                    x3 = o3[j] + p3[j] * x3
                    o0[j] = x0
                    o1[j] = x1
                    o2[j] = x2
                    o3[j] = x3
            else:
                for i in range(i0, height):
                    r = sc[0]
                    low = sc[_LANES]
                    _increment_row(u, s, c, f, i, d[f], lam[f], dt, r, low)
                    mi = m[k, i]
                    oi = out[f, i]
                    dp = zero
                    for j in range(width):
                        dp = (r[j] + low[j] * dp) * mi[j]
                        oi[j] = dp
                    pi = cp[k, i]
                    x = zero
                    for j in range(width - 1, -1, -1):
                        x = oi[j] + pi[j] * x
                        oi[j] = x


@numba.njit(cache=True, parallel=True, error_model="numpy")
def _column_sweep(
    u: np.ndarray,
    out: np.ndarray,
    c: np.ndarray,
    d: np.ndarray,
    dt: np.float32,
    which: np.ndarray,
    m: np.ndarray,
    cp: np.ndarray,
    carry: np.ndarray,
    colsum: np.ndarray,
    n_threads: int,
) -> None:
    """``out = max(u + (I - g Ly)^-1 out, 0)`` in place, down the columns.

    The columns are split in ``n_threads`` ranges; a range walks down the rows, a whole row
    segment of every field at a time (the vectorised loop; the factors and conductance of
    a row are shared by the fields from cache), then back up; ``carry`` is
    ``(n_fields, W)`` scratch for the change of the row below in the back substitution.
    ``colsum[f, j]`` receives column ``j``'s float64 sum, from the last row up (the order of
    :func:`ordered_totals`). Every column is solved alone, so the split does not change
    the result.
    """
    n_fields, height, width = u.shape
    half = np.float32(0.5)
    zero = np.float32(0.0)
    n_chunks = min(width, n_threads)
    per = (width + n_chunks - 1) // n_chunks
    for chunk in prange(n_chunks):
        j0 = np.uint64(chunk * per)
        j1 = np.uint64(min(width, chunk * per + per))
        m0 = m[:, 0]
        for f in range(n_fields):
            first = out[f, 0]
            mf = m0[which[f]]
            for j in range(j0, j1):
                first[j] = first[j] * mf[j]
        for i in range(1, height):
            ci = c[i]
            cn = c[i - 1]
            for f in range(n_fields):
                g = dt * d[f]
                oi = out[f, i]
                above = out[f, i - 1]
                mi = m[which[f], i]
                for j in range(j0, j1):
                    oi[j] = (oi[j] + (g * ((ci[j] + cn[j]) * half)) * above[j]) * mi[j]
        for f in range(n_fields):
            below = carry[f]
            sums = colsum[f]
            for j in range(j0, j1):
                below[j] = zero
                sums[j] = 0.0
        for i in range(height - 1, -1, -1):
            for f in range(n_fields):
                oi = out[f, i]
                pi = cp[which[f], i]
                ui = u[f, i]
                below = carry[f]
                sums = colsum[f]
                for j in range(j0, j1):
                    delta = oi[j] + pi[j] * below[j]
                    below[j] = delta
                    y = ui[j] + delta
                    kept = y if y > zero else zero
                    oi[j] = kept
                    sums[j] += np.float64(kept)


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
            row = x[f, i]
            for j in range(np.uint64(width)):
                columns[j] += np.float64(row[j])
        total = 0.0
        for j in range(width):
            total += columns[j]
        totals[f] = total
    return totals


@numba.njit(cache=True)
def _sum_columns(colsum: np.ndarray) -> np.ndarray:
    """Each field's total from its column sums, added left to right."""
    n_fields, width = colsum.shape
    totals = np.zeros(n_fields, dtype=np.float64)
    for f in range(n_fields):
        total = 0.0
        for j in range(width):
            total += colsum[f, j]
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
        row = x[f, i]
        for j in range(np.uint64(width)):
            row[j] = row[j] * factor


def _distinct(values: list[tuple[float, ...]]) -> tuple[np.ndarray, list[tuple[float, ...]]]:
    """Index of each value in the list of distinct values, and that list (first-seen order)."""
    keys: list[tuple[float, ...]] = []
    for value in values:
        if value not in keys:
            keys.append(value)
    return np.array([keys.index(v) for v in values], dtype=np.int64), keys


@dataclass(frozen=True)
class Factors:
    """Elimination factors of one call's coefficients (they do not depend on the fields).

    ``rows_of[f]`` and ``columns_of[f]`` index field ``f``'s factors in ``m_rows``/``cp_rows``
    and ``m_columns``/``cp_columns``, each ``(n_distinct, H, W)``.
    """

    rows_of: np.ndarray
    m_rows: np.ndarray
    cp_rows: np.ndarray
    columns_of: np.ndarray
    m_columns: np.ndarray
    cp_columns: np.ndarray


def factors(c: np.ndarray, d: np.ndarray, lam: np.ndarray, dt: np.float32) -> Factors:
    """The factors for each distinct ``(dt * D, 1 + dt * lam)`` (rows) and ``dt * D`` (columns)."""
    height, width = c.shape
    g = (dt * d).astype(np.float32)
    base = (np.float32(1.0) + dt * lam).astype(np.float32)
    rows_of, row_keys = _distinct([(float(a), float(b)) for a, b in zip(g, base, strict=True)])
    columns_of, column_keys = _distinct([(float(a),) for a in g])
    m_rows = np.empty((len(row_keys), height, width), np.float32)
    cp_rows = np.empty_like(m_rows)
    for k, (gk, bk) in enumerate(row_keys):
        row_factors(c, np.float32(gk), np.float32(bk), m_rows[k], cp_rows[k])
    m_columns = np.empty((len(column_keys), height, width), np.float32)
    cp_columns = np.empty_like(m_columns)
    for k, (gk,) in enumerate(column_keys):
        column_factors(c, np.float32(gk), m_columns[k], cp_columns[k])
    return Factors(rows_of, m_rows, cp_rows, columns_of, m_columns, cp_columns)


def lod_steps(
    u: np.ndarray,
    c: np.ndarray,
    s: np.ndarray,
    d: np.ndarray,
    lam: np.ndarray,
    dt: np.float32,
    steps: int,
    buffers: tuple[np.ndarray, np.ndarray],
    n_threads: int,
    fac: Factors,
) -> np.ndarray:
    """Advance ``u`` by ``steps`` implicit steps; the result lands in ``buffers[0]``.

    ``buffers`` are two distinct arrays shaped like ``u``, neither overlapping ``u``; ``fac``
    are :func:`factors` of ``(c, d, lam, dt)``. The scheme is ``numpy_ref._implicit``'s:
    row sweep, column sweep, rescaling to the exact total.
    """
    n_fields, height, width = u.shape
    rhs = np.empty((max(1, n_threads), 2 * _LANES, width), np.float32)
    carry = np.empty((n_fields, width), np.float32)
    colsum = np.empty((n_fields, width), np.float64)
    out, spare = buffers
    total = ordered_totals(u)
    source_total = ordered_totals(s)
    rate = 1.0 + np.float64(dt) * lam.astype(np.float64)
    src = u
    for step in range(steps):
        x = out if (steps - 1 - step) % 2 == 0 else spare
        _row_sweep(src, s, x, c, d, lam, dt, fac.rows_of, fac.m_rows, fac.cp_rows, rhs)
        _column_sweep(
            src, x, c, d, dt, fac.columns_of, fac.m_columns, fac.cp_columns, carry, colsum,
            n_threads,
        )  # fmt: skip
        total = (total + np.float64(dt) * source_total) / rate
        _rescale(x, total, _sum_columns(colsum))
        src = x
    return out
