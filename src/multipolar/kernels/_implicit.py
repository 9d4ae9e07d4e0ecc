"""Numba kernels of the implicit scheme: a tridiagonal sweep along the rows, then the columns.

Fields arrive flattened to ``(N, H, W)`` with per-field ``D`` and ``lam``. Each step (see
:mod:`multipolar.kernels.contract`) computes the explicit increment and solves along the
rows, then solves along the columns and adds the change to ``u`` (clipped at 0), then
rescales each field to its exact total. The float32 operations are
``numpy_ref._implicit``'s in the same order (no ``fastmath``), so the result is bitwise the
reference's.

The elimination factors (``m = 1 / denominator`` and ``cp``) depend on the conductance
and the coefficients only, so :func:`factors` computes them once per call for each distinct
``(dt * D, 1 + dt * lam)`` among the fields (rows) and ``dt * D`` (columns); a step then
needs no division. When the fields share out evenly among the threads (the usual case),
a step is one parallel loop over the threads' shares of the fields (:func:`_fused_sweep`),
each share advanced side by side: going down, each group of :data:`_LANES` rows is solved
along the rows in scratch (their scalar recurrences interleaved) and eliminated down the
columns at once (vectorised along the row; unsigned indices keep LLVM's loop vectoriser
free of negative-index checks), so the row solution never goes to memory; then the fields
are walked back up, adding each column's float64 sum on the way. Otherwise rows and
columns are two loops (:func:`_row_sweep`, :func:`_column_sweep`), the columns of a field
cut into parts. Each step's rescaling is
applied as the next step reads the field, the last one in a final pass. Every line is
solved alone, in an order fixed by the grid, so any number of threads gives the same
bytes. Scratch is allocated once per call, never per step.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numba
import numpy as np
from numba import prange

_ONE = np.uint64(1)

_LANES = 4
"""Rows whose recurrences the row sweep interleaves (its loops are written out for four)."""

_PAD = 16
"""Floats added to each row of the row sweep's scratch.

Rows of a power-of-two width (2048 floats: 8 KiB) would all start at the same offset
modulo 4 KiB; the CPU then takes a load from one lane's row for one that may depend on
the store just made to another's (4K aliasing) and the interleaved recurrences run about
four times slower. Padding shifts each scratch row by 64 bytes.
"""

_CHUNKS = 64
"""Column ranges :func:`column_factors` runs in parallel."""

__all__ = ["Factors", "column_factors", "factors", "lod_steps", "row_factors"]


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
    fac: np.float32,
    r: np.ndarray,
    low: np.ndarray,
) -> None:
    """Row ``i`` of field ``f``: ``r = dt * ((D * lap - lam * u) + s)`` and ``low = g * fw``.

    ``u`` is read scaled by ``fac`` (the previous step's rescaling, applied on the fly:
    the same float32 product the rescaled field would hold). The Laplacian is summed as in
    ``_numba_kernels.update_row``, ``((fe + fw) + fs) + fn``; a face on the grid's edge is
    an exact 0 (its neighbour index is the cell itself), so the interior loop has no branch.
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
        u0 = ui[j] * fac
        lap = cfe * (ui[east] * fac - u0) + cfw * (ui[west] * fac - u0)
        lap = lap + ((c0 + cs[j]) * half) * keep_s * (us[j] * fac - u0)
        lap = lap + ((c0 + cn[j]) * half) * keep_n * (un[j] * fac - u0)
        r[j] = dt * (dk * lap - lk * u0 + si[j])
        low[j] = g * cfw
    for j in range(_ONE, np.uint64(max(width - 1, 1))):
        c0 = ci[j]
        cfw = (ci[j - _ONE] + c0) * half
        cfe = (c0 + ci[j + _ONE]) * half
        u0 = ui[j] * fac
        lap = cfe * (ui[j + _ONE] * fac - u0) + cfw * (ui[j - _ONE] * fac - u0)
        lap = lap + ((c0 + cs[j]) * half) * keep_s * (us[j] * fac - u0)
        lap = lap + ((c0 + cn[j]) * half) * keep_n * (un[j] * fac - u0)
        r[j] = dt * (dk * lap - lk * u0 + si[j])
        low[j] = g * cfw


@numba.njit(cache=True, inline="always", error_model="numpy")
def _solve_rows(
    u: np.ndarray,
    s: np.ndarray,
    c: np.ndarray,
    f: int,
    i0: int,
    n_rows: int,
    dk: np.float32,
    lk: np.float32,
    dt: np.float32,
    fac: np.float32,
    m: np.ndarray,
    cp: np.ndarray,
    sc: np.ndarray,
) -> None:
    """Rows ``i0 .. i0 + n_rows - 1`` of field ``f`` solved along the rows into ``sc[q]``.

    ``sc`` is ``(2 * _LANES, W + _PAD)`` scratch; row ``q`` receives the solution of row
    ``i0 + q`` (the increment first, then the forward elimination and back substitution
    in place), rows ``_LANES + q`` the lower coefficients. A full group of :data:`_LANES`
    rows has its recurrences interleaved (independent chains, so the CPU overlaps their
    latencies); a shorter group at the bottom of the grid is solved one row at a time.
    """
    width = c.shape[1]
    zero = np.float32(0.0)
    for q in range(n_rows):
        _increment_row(u, s, c, f, i0 + q, dk, lk, dt, fac, sc[q], sc[_LANES + q])
    if n_rows == _LANES:
        r0, r1, r2, r3 = sc[0], sc[1], sc[2], sc[3]
        l0, l1, l2, l3 = sc[4], sc[5], sc[6], sc[7]
        m0, m1, m2, m3 = m[i0], m[i0 + 1], m[i0 + 2], m[i0 + 3]
        d0 = d1 = d2 = d3 = zero
        for j in range(width):
            d0 = (r0[j] + l0[j] * d0) * m0[j]
            d1 = (r1[j] + l1[j] * d1) * m1[j]
            d2 = (r2[j] + l2[j] * d2) * m2[j]
            d3 = (r3[j] + l3[j] * d3) * m3[j]
            r0[j] = d0
            r1[j] = d1
            r2[j] = d2
            r3[j] = d3
        p0, p1, p2, p3 = cp[i0], cp[i0 + 1], cp[i0 + 2], cp[i0 + 3]
        x0 = x1 = x2 = x3 = zero
        for j in range(width - 1, -1, -1):
            x0 = r0[j] + p0[j] * x0
            x1 = r1[j] + p1[j] * x1
            x2 = r2[j] + p2[j] * x2
            x3 = r3[j] + p3[j] * x3
            r0[j] = x0
            r1[j] = x1
            r2[j] = x2
            r3[j] = x3
        return
    for q in range(n_rows):
        r = sc[q]
        low = sc[_LANES + q]
        mi = m[i0 + q]
        dp = zero
        for j in range(width):
            dp = (r[j] + low[j] * dp) * mi[j]
            r[j] = dp
        pi = cp[i0 + q]
        x = zero
        for j in range(width - 1, -1, -1):
            x = r[j] + pi[j] * x
            r[j] = x


@numba.njit(cache=True, inline="always", error_model="numpy")
def _eliminate_down(
    v: np.ndarray,
    above: np.ndarray,
    out: np.ndarray,
    ci: np.ndarray,
    cn: np.ndarray,
    g: np.float32,
    m: np.ndarray,
    first: bool,
    j0: np.uint64,
    j1: np.uint64,
) -> None:
    """Forward elimination of one row down the columns: ``out = (v + lo * above) * m``.

    ``lo = g`` times the face to the row above (``ci``, ``cn``: this row's and that row's
    conductance); the first row has none and takes ``v * m``.
    """
    half = np.float32(0.5)
    if first:
        for j in range(j0, j1):
            out[j] = v[j] * m[j]
        return
    for j in range(j0, j1):
        out[j] = (v[j] + (g * ((ci[j] + cn[j]) * half)) * above[j]) * m[j]


@numba.njit(cache=True, inline="always", error_model="numpy")
def _start_up(
    below: np.ndarray,
    sums: np.ndarray,
    insums: np.ndarray,
    count_input: bool,
    j0: np.uint64,
    j1: np.uint64,
) -> None:
    """Zero the carried change and the column sums before :func:`_substitute_row` walks up."""
    zero = np.float32(0.0)
    for j in range(j0, j1):
        below[j] = zero
        sums[j] = 0.0
    if count_input:
        for j in range(j0, j1):
            insums[0, j] = 0.0
            insums[1, j] = 0.0


@numba.njit(cache=True, inline="always", error_model="numpy")
def _substitute_row(
    ui: np.ndarray,
    si: np.ndarray,
    oi: np.ndarray,
    pi: np.ndarray,
    fac: np.float32,
    below: np.ndarray,
    sums: np.ndarray,
    insums: np.ndarray,
    count_input: bool,
    j0: np.uint64,
    j1: np.uint64,
) -> None:
    """Back substitution of one row up the columns ``j0 .. j1 - 1``, in place in ``oi``.

    Taken from the bottom row up: ``delta = oi + pi * below``, then
    ``oi = max(fac * ui + delta, 0)``. ``below`` carries ``delta`` to the row above;
    ``sums`` adds each column's float64 sum of the result and, when ``count_input``,
    ``insums[0]`` and ``insums[1]`` those of ``ui`` as read and of the sources ``si``, all from
    the last row up (the order of ``numpy_ref.ordered_totals``).
    """
    zero = np.float32(0.0)
    if count_input:
        for j in range(j0, j1):
            insums[0, j] += np.float64(ui[j])
            insums[1, j] += np.float64(si[j])
    for j in range(j0, j1):
        delta = oi[j] + pi[j] * below[j]
        below[j] = delta
        y = ui[j] * fac + delta
        kept = y if y > zero else zero
        oi[j] = kept
        sums[j] += np.float64(kept)


@numba.njit(cache=True, parallel=True, error_model="numpy")
def _fused_sweep(
    u: np.ndarray,
    s: np.ndarray,
    out: np.ndarray,
    c: np.ndarray,
    d: np.ndarray,
    lam: np.ndarray,
    dt: np.float32,
    fac: Factors,
    rhs: np.ndarray,
    carry: np.ndarray,
    colsum: np.ndarray,
    insum: np.ndarray,
    scale: np.ndarray,
    count_input: bool,
) -> None:
    """One step: rows solved and eliminated down the columns, then back up the columns.

    Thread chunk ``k`` of ``rhs.shape[0]`` takes fields ``k``, ``k + n_chunks``, ... (an even
    share when the fields divide among the chunks, which the caller ensures) and advances
    them side by side, so that a row of conductance and of factors shared by its fields is
    read once. Going down, each group of :data:`_LANES` rows of each field is solved along
    the rows in the chunk's scratch ``rhs[k]`` and at once eliminated down the columns into
    ``out`` (the row solution never goes to memory); then :func:`_substitute_row` walks the
    fields back up, row by row, leaving the columns' sums in ``colsum`` (and, with
    ``count_input``, those of ``u`` and ``s`` in ``insum``).
    """
    n_fields, height, width = u.shape
    n_chunks = rhs.shape[0]
    width_u = np.uint64(width)
    zero_u = np.uint64(0)
    for chunk in prange(n_chunks):
        sc = rhs[chunk]
        for i0 in range(0, height, _LANES):
            n_rows = min(_LANES, height - i0)
            for f in range(chunk, n_fields, n_chunks):
                g = dt * d[f]
                mc = fac.m_columns[fac.columns_of[f]]
                k = fac.rows_of[f]
                _solve_rows(
                    u, s, c, f, i0, n_rows, d[f], lam[f], dt, scale[f], fac.m_rows[k],
                    fac.cp_rows[k], sc,
                )  # fmt: skip
                of = out[f]
                for q in range(n_rows):
                    i = i0 + q
                    above = of[i - 1] if i > 0 else of[i]
                    cn = c[i - 1] if i > 0 else c[i]
                    _eliminate_down(
                        sc[q], above, of[i], c[i], cn, g, mc[i], i == 0, zero_u, width_u
                    )
        for f in range(chunk, n_fields, n_chunks):
            _start_up(carry[f], colsum[f], insum[f], count_input, zero_u, width_u)
        for i in range(height - 1, -1, -1):
            for f in range(chunk, n_fields, n_chunks):
                _substitute_row(
                    u[f, i], s[f, i], out[f, i], fac.cp_columns[fac.columns_of[f], i], scale[f],
                    carry[f], colsum[f], insum[f], count_input, zero_u, width_u,
                )  # fmt: skip


@numba.njit(cache=True, parallel=True, error_model="numpy")
def _row_sweep(
    u: np.ndarray,
    s: np.ndarray,
    out: np.ndarray,
    c: np.ndarray,
    d: np.ndarray,
    lam: np.ndarray,
    dt: np.float32,
    fac: Factors,
    rhs: np.ndarray,
    scale: np.ndarray,
) -> None:
    """``out = (base I - g Lx)^-1 r`` row by row, ``r`` the explicit increment of ``scale * u``.

    A task solves a group of :data:`_LANES` rows of one field (:func:`_solve_rows`, in the
    thread's scratch ``rhs[chunk]``) and copies them to ``out``; consecutive tasks take the
    same rows of the next field, so the conductance is read from cache.
    """
    n_fields, height, width = u.shape
    groups = (height + _LANES - 1) // _LANES
    n_tasks = n_fields * groups
    n_chunks = rhs.shape[0]
    per = (n_tasks + n_chunks - 1) // n_chunks
    for chunk in prange(n_chunks):
        sc = rhs[chunk]
        for task in range(chunk * per, min(n_tasks, (chunk + 1) * per)):
            group = task // n_fields
            f = task - group * n_fields
            i0 = group * _LANES
            n_rows = min(_LANES, height - i0)
            k = fac.rows_of[f]
            _solve_rows(
                u, s, c, f, i0, n_rows, d[f], lam[f], dt, scale[f], fac.m_rows[k],
                fac.cp_rows[k], sc,
            )  # fmt: skip
            for q in range(n_rows):
                row = sc[q]
                oi = out[f, i0 + q]
                for j in range(np.uint64(width)):
                    oi[j] = row[j]


@numba.njit(cache=True, parallel=True, error_model="numpy")
def _column_sweep(
    u: np.ndarray,
    s: np.ndarray,
    out: np.ndarray,
    c: np.ndarray,
    d: np.ndarray,
    dt: np.float32,
    fac: Factors,
    carry: np.ndarray,
    colsum: np.ndarray,
    insum: np.ndarray,
    scale: np.ndarray,
    count_input: bool,
    split: int,
) -> None:
    """``out = max(scale * u + (I - g Ly)^-1 out, 0)`` in place, down the columns and back.

    A task takes one of ``split`` parts of one field's width: it eliminates down the rows
    (:func:`_eliminate_down`, the vectorised loop along a row segment), then substitutes
    back up (:func:`_substitute_row`), leaving the columns' sums of the result in ``colsum``
    (and, with ``count_input``, of ``u`` and ``s`` in ``insum``). Every column is solved
    alone, so the split does not change the result.
    """
    n_fields, height, width = u.shape
    per = (width + split - 1) // split
    for task in prange(n_fields * split):
        f = task // split
        part = task - f * split
        j0 = np.uint64(min(width, part * per))
        j1 = np.uint64(min(width, part * per + per))
        g = dt * d[f]
        mc = fac.m_columns[fac.columns_of[f]]
        of = out[f]
        for i in range(height):
            above = of[i - 1] if i > 0 else of[i]
            cn = c[i - 1] if i > 0 else c[i]
            _eliminate_down(of[i], above, of[i], c[i], cn, g, mc[i], i == 0, j0, j1)
        _start_up(carry[f], colsum[f], insum[f], count_input, j0, j1)
        pc = fac.cp_columns[fac.columns_of[f]]
        for i in range(height - 1, -1, -1):
            _substitute_row(
                u[f, i], s[f, i], of[i], pc[i], scale[f], carry[f], colsum[f], insum[f],
                count_input, j0, j1,
            )  # fmt: skip


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
def _rescale(x: np.ndarray, factor: np.ndarray) -> None:
    """Multiply each field of ``x`` in place by its float32 ``factor``."""
    n_fields, height, width = x.shape
    for p in prange(n_fields * height):
        f = p // height
        row = x[f, p - f * height]
        k = factor[f]
        for j in range(np.uint64(width)):
            row[j] = row[j] * k


def _factors_of(total: np.ndarray, got: np.ndarray) -> np.ndarray:
    """The float32 factors taking the totals ``got`` to ``total`` (1 where ``got`` is 0)."""
    safe = np.where(got > 0.0, got, 1.0)
    return np.where(got > 0.0, total / safe, 1.0).astype(np.float32)


def split_columns(n_fields: int, n_threads: int) -> int:
    """Parts each field's columns are cut into so that the tasks share out evenly.

    1 when the fields alone give every thread the same number (the usual case, each task
    streaming a whole field); otherwise the smallest split that does.
    """
    return max(1, n_threads // math.gcd(n_fields, max(1, n_threads)))


def _distinct(values: list[tuple[float, ...]]) -> tuple[np.ndarray, list[tuple[float, ...]]]:
    """Index of each value in the list of distinct values, and that list (first-seen order)."""
    keys: list[tuple[float, ...]] = []
    for value in values:
        if value not in keys:
            keys.append(value)
    return np.array([keys.index(v) for v in values], dtype=np.int64), keys


class Factors(NamedTuple):
    """Elimination factors of one call's coefficients (they do not depend on the fields).

    A named tuple, so that the kernels take it as one argument.

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
    row sweep, column sweep, rescaling to the exact total. A step's rescaling is applied
    as the next step reads the field (so it costs no pass of its own), the last one in a
    final pass; the first step's upward walk also sums ``u`` and ``s`` for the totals.
    """
    n_fields, height, width = u.shape
    split = min(width, split_columns(n_fields, n_threads))
    rhs = np.empty((max(1, n_threads), 2 * _LANES, width + _PAD), np.float32)
    carry = np.empty((n_fields, width), np.float32)
    colsum = np.empty((n_fields, width), np.float64)
    insum = np.empty((n_fields, 2, width), np.float64)
    out, spare = buffers
    rate = 1.0 + np.float64(dt) * lam.astype(np.float64)
    scale = np.ones(n_fields, np.float32)
    total = np.zeros(n_fields, np.float64)
    source_total = np.zeros(n_fields, np.float64)
    src = u
    for step in range(steps):
        x = out if (steps - 1 - step) % 2 == 0 else spare
        if split == 1:
            _fused_sweep(src, s, x, c, d, lam, dt, fac, rhs, carry, colsum, insum, scale, step == 0)
        else:
            _row_sweep(src, s, x, c, d, lam, dt, fac, rhs, scale)
            _column_sweep(src, s, x, c, d, dt, fac, carry, colsum, insum, scale, step == 0, split)
        if step == 0:
            total = _sum_columns(insum[:, 0])
            source_total = _sum_columns(insum[:, 1])
        total = (total + np.float64(dt) * source_total) / rate
        scale = _factors_of(total, _sum_columns(colsum))
        src = x
    _rescale(out, scale)
    return out
