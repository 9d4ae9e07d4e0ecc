"""Numba kernels of the implicit scheme: a tridiagonal sweep along the rows, then the columns.

Fields arrive flattened to ``(N, H, W)`` with per-field ``D`` and ``lam``. Each step (see
:mod:`multipolar.kernels.contract`) computes the explicit increment and solves along the
rows, then solves along the columns and adds the change to ``u`` (clipped at 0), then
rescales each field to its exact total. The arithmetic is ``numpy_ref._implicit``'s scheme
rearranged for speed: multiply-adds are contracted into FMA instructions
(``fastmath={"contract"}``, nothing else), the row recurrences are written as one
multiply-add per cell (``d = a + b * d_prev`` with ``a = r * m`` and ``b = lo * m``), the
conductance's faces are sums of halves, and the previous step's rescaling multiplies the
Laplacian rather than each neighbour. The result therefore differs from the reference's in
the last bits (relative differences of order 1e-7 a step; tests/kernels/test_implicit.py
holds both to a direct sparse solve at 1e-5), and it is the same bytes for any number of
threads.

The factors that depend on the conductance and the coefficients only are computed once per
call by :func:`factors` for each distinct ``(dt * D, 1 + dt * lam)`` among the fields (the
rows' inverse pivots ``m``) and ``dt * D`` (the columns' ``cp``); the rest is recomputed as
the sweeps go, which costs less than reading it: the rows' ``b`` and back-substitution
coefficients from ``m`` and the faces, the columns' pivots by a vector division on the way
down (:func:`_column_pivots`, with which :func:`column_factors` computes ``cp``, so the two
agree exactly). When the
fields share out evenly among the threads (the usual case), a step is one parallel loop over
the threads' shares of the fields (:func:`_fused_sweep`), each share advanced side by side:
going down, each group of :data:`_LANES` rows is solved along the rows in scratch (their
recurrences side by side in the lanes of a vector, :mod:`._lanes`) and eliminated down the
columns at once (vectorised along the row; unsigned indices keep LLVM's loop vectoriser
free of negative-index checks), so the row solution never goes to memory; a field whose
row or column coefficients equal those of the share's previous field reuses the
coefficients that field left in scratch. Then the
fields are walked back up, adding each column's float64 sum on the way. Otherwise rows and
columns are two loops (:func:`_row_sweep`, :func:`_column_sweep`), the columns of a field
cut into parts. Each step's rescaling is applied as the next step reads the field, the last
one in a final pass. Every line is solved alone, in an order fixed by the grid, so any
number of threads gives the same bytes. Scratch is allocated once per call, never per step.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numba
import numpy as np
from numba import prange

from ._lanes import (
    WIDTH,
    backward_scalar,
    backward_tiles,
    forward_scalar,
    forward_tiles,
    transpose_tiles,
)

_ONE = np.uint64(1)

_LANES = WIDTH
"""Rows the row sweep solves as a group, then eliminates down the columns one after another.

Their recurrences run side by side, one row per lane of a vector (:mod:`._lanes`): 0.21 ns
per cell for both recurrences, against 0.68 ns for the earlier scalar code with four rows
interleaved (eight spilled the registers holding their pointers and were slower).
"""

_FAST = {"contract"}
"""Fastmath flags of the sweeps: multiply-adds contracted into FMA instructions, no more."""

_PAD = 16
"""Floats added to each row of the row sweep's scratch.

Rows of a power-of-two width (2048 floats: 8 KiB) would all start at the same offset
modulo 4 KiB: the sixteen loads of a tile would fall in one set of the L1 cache, and
loads would wait on unrelated stores to another row (4K aliasing; the earlier interleaved
scalar recurrences ran about four times slower). Padding shifts each scratch row by 64
bytes.
"""

_CHUNKS = 64
"""Column ranges :func:`column_factors` runs in parallel."""

__all__ = ["Factors", "column_factors", "factors", "lod_steps", "row_factors"]


@numba.njit(cache=True, inline="always", fastmath=_FAST)
def _pivot(lo: np.float32, up: np.float32, base: np.float32, prev: np.float32) -> np.float32:
    """Inverse pivot of the Thomas algorithm, ``1 / ((base + lo) + up - lo * prev)``.

    ``prev`` is the previous cell's ``cp = up * pivot``. Every term is non-negative and the
    denominator at least ``base >= 1``, so nothing cancels and no pivoting is needed.
    """
    return np.float32(1.0) / (((base + lo) + up) - lo * prev)


@numba.njit(cache=True, parallel=True, error_model="numpy", fastmath=_FAST)
def row_factors(h: np.ndarray, g: np.float32, base: np.float32, m: np.ndarray) -> None:
    """Inverse pivots ``m`` of the row solves, which depend on ``h``, ``g`` and ``base`` only.

    ``h`` is half the conductance, so a face is the sum of its two cells' ``h``. Along each
    row ``lo``/``up`` are ``g`` times the west/east faces (0 on the edge) and
    ``m = 1 / ((base + lo) + up - lo * cp[j - 1])`` with ``cp = up * m``
    (``numpy_ref._solve_lines``).
    """
    height, width = h.shape
    zero = np.float32(0.0)
    for i in prange(height):
        prev = zero
        west = zero
        for j in range(width):
            east = h[i, j] + h[i, j + 1] if j + 1 < width else zero
            lo = g * west
            up = g * east
            mj = _pivot(lo, up, base, prev)
            prev = up * mj
            m[i, j] = mj
            west = east


@numba.njit(cache=True, parallel=True, error_model="numpy", fastmath=_FAST)
def column_factors(h: np.ndarray, g: np.float32, cp: np.ndarray) -> None:
    """``cp = up * m`` of the column solves (base 1), down each column (``h``: half of ``c``).

    Row by row with :func:`_column_pivots`, the function with which the way down of a step
    recomputes the pivots ``m``, so the two agree exactly; the way up reads ``cp``.
    """
    height, width = h.shape
    one = np.float32(1.0)
    zero = np.float32(0.0)
    n_chunks = min(width, _CHUNKS)
    per = (width + n_chunks - 1) // n_chunks
    for chunk in prange(n_chunks):
        j0 = np.uint64(chunk * per)
        j1 = np.uint64(min(width, chunk * per + per))
        pivots = np.empty(width, np.float32)
        for i in range(height):
            if i > 0:
                cp[i, j0:j1] = cp[i - 1, j0:j1]
            keep_s = one if i + 1 < height else zero
            north = i - 1 if i > 0 else i
            south = i + 1 if i + 1 < height else i
            _column_pivots(h[i], h[north], h[south], keep_s, g, cp[i], pivots, i == 0, j0, j1)


@numba.njit(cache=True, inline="always", error_model="numpy", fastmath=_FAST)
def _increment_row(
    u: np.ndarray,
    s: np.ndarray,
    h: np.ndarray,
    f: int,
    i: int,
    gain: np.float32,
    loss: np.float32,
    dt: np.float32,
    g: np.float32,
    mr: np.ndarray,
    a: np.ndarray,
    b: np.ndarray,
    e: np.ndarray,
    fresh: bool,
) -> None:
    """Row ``i`` of field ``f`` made ready for the row solve's two recurrences.

    ``a = r * mr``, with ``r = gain * lap - loss * u + dt * s`` the explicit increment
    (``gain = dt * D * scale``, ``loss = dt * lam * scale``: the previous step's rescaling
    ``scale`` applied here, to the Laplacian of ``u`` as stored) and ``mr`` the row's inverse
    pivots. With ``fresh``, also ``b = g * fw * mr`` and ``e = g * fe * mr`` (``fw``/``fe``
    the west/east faces; otherwise ``b`` and ``e`` already hold them): the forward
    elimination is then ``d = a + b * d_prev`` and the back substitution ``x = d + e * x_next``.
    A neighbour beyond the grid's edge is the cell itself, so its difference is an exact 0
    and the interior loop has no branch; ``fw`` and ``fe`` are 0 on the edge.
    """
    height, width = h.shape
    zero = np.float32(0.0)
    north = i - 1 if i > 0 else i
    south = i + 1 if i + 1 < height else i
    ui = u[f, i]
    un = u[f, north]
    us = u[f, south]
    si = s[f, i]
    hi = h[i]
    hn = h[north]
    hs = h[south]
    last = width - 1
    for edge in range(2 if width > 1 else 1):
        j = 0 if edge == 0 else last
        west = j - 1 if j > 0 else j
        east = j + 1 if j + 1 < width else j
        h0 = hi[j]
        u0 = ui[j]
        fw = hi[west] + h0 if j > 0 else zero
        fe = h0 + hi[east] if j + 1 < width else zero
        lap = fe * (ui[east] - u0) + fw * (ui[west] - u0)
        lap = lap + (h0 + hs[j]) * (us[j] - u0)
        lap = lap + (h0 + hn[j]) * (un[j] - u0)
        mj = mr[j]
        a[j] = ((gain * lap - loss * u0) + dt * si[j]) * mj
        if fresh:
            b[j] = (g * fw) * mj
            e[j] = (g * fe) * mj
    if fresh:
        for j in range(_ONE, np.uint64(max(width - 1, 1))):
            h0 = hi[j]
            u0 = ui[j]
            fw = hi[j - _ONE] + h0
            fe = h0 + hi[j + _ONE]
            lap = fe * (ui[j + _ONE] - u0) + fw * (ui[j - _ONE] - u0)
            lap = lap + (h0 + hs[j]) * (us[j] - u0)
            lap = lap + (h0 + hn[j]) * (un[j] - u0)
            mj = mr[j]
            a[j] = ((gain * lap - loss * u0) + dt * si[j]) * mj
            b[j] = (g * fw) * mj
            e[j] = (g * fe) * mj
        return
    for j in range(_ONE, np.uint64(max(width - 1, 1))):
        h0 = hi[j]
        u0 = ui[j]
        lap = (h0 + hi[j + _ONE]) * (ui[j + _ONE] - u0) + (hi[j - _ONE] + h0) * (ui[j - _ONE] - u0)
        lap = lap + (h0 + hs[j]) * (us[j] - u0)
        lap = lap + (h0 + hn[j]) * (un[j] - u0)
        a[j] = ((gain * lap - loss * u0) + dt * si[j]) * mr[j]


@numba.njit(cache=True, inline="always", error_model="numpy", fastmath=_FAST)
def _solve_rows(
    u: np.ndarray,
    s: np.ndarray,
    h: np.ndarray,
    f: int,
    i0: int,
    n_rows: int,
    gain: np.float32,
    loss: np.float32,
    dt: np.float32,
    g: np.float32,
    m: np.ndarray,
    sc: np.ndarray,
    fresh: bool,
) -> None:
    """Rows ``i0 .. i0 + n_rows - 1`` of field ``f`` solved along the rows into ``sc[q]``.

    ``sc`` is ``(3 * _LANES, P)`` scratch (:func:`_padded`, zero beyond the width): row ``q``
    receives :func:`_increment_row`'s ``a`` of row ``i0 + q`` and then, in place, the
    solution; rows ``_LANES + q`` and ``2 * _LANES + q`` hold its ``b`` and ``e`` (computed
    only when ``fresh``). A full group of :data:`_LANES` rows is solved in vector lanes
    (:mod:`._lanes`), its ``b`` and ``e`` kept tile by tile transposed for the next field
    (the zeros past the width make the recurrences over the last tile's spare columns give
    0 and leave the last column's value as it is); a shorter group at the bottom of the grid
    is solved one row at a time.
    """
    width = h.shape[1]
    zero = np.float32(0.0)
    for q in range(n_rows):
        _increment_row(
            u, s, h, f, i0 + q, gain, loss, dt, g, m[i0 + q], sc[q], sc[_LANES + q],
            sc[2 * _LANES + q], fresh,
        )  # fmt: skip
    if n_rows == _LANES:
        n_tiles = (width + _LANES - 1) // _LANES
        if fresh:
            for q in range(_LANES, 3 * _LANES):
                sc[q, width : n_tiles * _LANES] = zero
            transpose_tiles(sc, _LANES, n_tiles)
            transpose_tiles(sc, 2 * _LANES, n_tiles)
        forward_tiles(sc, 0, _LANES, n_tiles)
        backward_tiles(sc, 0, 2 * _LANES, n_tiles)
        return
    for q in range(n_rows):
        forward_scalar(sc[q, :width], sc[_LANES + q, :width])
        backward_scalar(sc[q, :width], sc[2 * _LANES + q, :width])


@numba.njit(cache=True, inline="always", error_model="numpy", fastmath=_FAST)
def _column_pivots(
    hi: np.ndarray,
    hn: np.ndarray,
    hs: np.ndarray,
    keep_s: np.float32,
    g: np.float32,
    cp: np.ndarray,
    pivots: np.ndarray,
    first: bool,
    j0: np.uint64,
    j1: np.uint64,
) -> None:
    """One row's inverse pivots ``m`` of the column solves, into ``pivots``, and its ``cp``.

    ``lo``/``up`` are ``g`` times the faces to the rows above and below (``hn``, ``hs``:
    their half conductance; ``keep_s`` is 0 on the last row, which has no face below; the
    first row has no ``lo``); ``cp`` carries the row above's ``up * m`` and receives this
    row's (:func:`column_factors` keeps each row's ``cp`` for the way up). The pivots always
    land in ``pivots``, where the elimination reads them, and where a later field with the
    same coefficients finds them.
    """
    one = np.float32(1.0)
    zero = np.float32(0.0)
    if first:
        for j in range(j0, j1):
            up = g * ((hi[j] + hs[j]) * keep_s)
            mj = _pivot(zero, up, one, zero)
            cp[j] = up * mj
            pivots[j] = mj
        return
    for j in range(j0, j1):
        up = g * ((hi[j] + hs[j]) * keep_s)
        mj = _pivot(g * (hi[j] + hn[j]), up, one, cp[j])
        cp[j] = up * mj
        pivots[j] = mj


@numba.njit(cache=True, inline="always", error_model="numpy", fastmath=_FAST)
def _eliminate_down(
    v: np.ndarray,
    above: np.ndarray,
    out: np.ndarray,
    hi: np.ndarray,
    hn: np.ndarray,
    g: np.float32,
    pivots: np.ndarray,
    first: bool,
    j0: np.uint64,
    j1: np.uint64,
) -> None:
    """Forward elimination of one row down the columns: ``out = (v + lo * above) * m``.

    ``lo`` is ``g`` times the face to the row above (``hn``: its half conductance; the first
    row has none) and ``m`` the row's inverse pivots (:func:`_column_pivots`).
    """
    if first:
        for j in range(j0, j1):
            out[j] = v[j] * pivots[j]
        return
    for j in range(j0, j1):
        out[j] = (v[j] + (g * (hi[j] + hn[j])) * above[j]) * pivots[j]


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


@numba.njit(cache=True, inline="always", error_model="numpy", fastmath=_FAST)
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


@numba.njit(cache=True, parallel=True, error_model="numpy", fastmath=_FAST)
def _fused_sweep(
    u: np.ndarray,
    s: np.ndarray,
    out: np.ndarray,
    d: np.ndarray,
    lam: np.ndarray,
    dt: np.float32,
    fac: Factors,
    rhs: np.ndarray,
    pivots: np.ndarray,
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
    ``out`` (the row solution never goes to memory); a field whose row (column) factors are
    the previous field's reuses the ``b`` and ``e`` rows in ``rhs[k]`` (the column pivots in
    ``pivots[k]``) that field left. Then :func:`_substitute_row` walks the fields back up,
    row by row, leaving the columns' sums in ``colsum`` (and, with ``count_input``, those of
    ``u`` and ``s`` in ``insum``).
    """
    n_fields, height, width = u.shape
    h = fac.half
    rows_of = fac.rows_of
    columns_of = fac.columns_of
    n_chunks = rhs.shape[0]
    width_u = np.uint64(width)
    zero_u = np.uint64(0)
    one = np.float32(1.0)
    zero = np.float32(0.0)
    for chunk in prange(n_chunks):
        sc = rhs[chunk]
        pv = pivots[chunk]
        for i0 in range(0, height, _LANES):
            n_rows = min(_LANES, height - i0)
            for f in range(chunk, n_fields, n_chunks):
                fresh_rows = f == chunk or rows_of[f] != rows_of[f - n_chunks]
                fresh_columns = f == chunk or columns_of[f] != columns_of[f - n_chunks]
                g = dt * d[f]
                _solve_rows(
                    u, s, h, f, i0, n_rows, g * scale[f], (dt * lam[f]) * scale[f], dt, g,
                    fac.m_rows[rows_of[f]], sc, fresh_rows,
                )  # fmt: skip
                of = out[f]
                for q in range(n_rows):
                    i = i0 + q
                    above = of[i - 1] if i > 0 else of[i]
                    hn = h[i - 1] if i > 0 else h[i]
                    hs = h[i + 1] if i + 1 < height else h[i]
                    if fresh_columns:
                        keep_s = one if i + 1 < height else zero
                        _column_pivots(
                            h[i], hn, hs, keep_s, g, carry[f], pv[q], i == 0, zero_u, width_u
                        )
                    _eliminate_down(
                        sc[q], above, of[i], h[i], hn, g, pv[q], i == 0, zero_u, width_u
                    )
        for f in range(chunk, n_fields, n_chunks):
            _start_up(carry[f], colsum[f], insum[f], count_input, zero_u, width_u)
        for i in range(height - 1, -1, -1):
            for f in range(chunk, n_fields, n_chunks):
                _substitute_row(
                    u[f, i], s[f, i], out[f, i], fac.cp_columns[columns_of[f], i], scale[f],
                    carry[f], colsum[f], insum[f], count_input, zero_u, width_u,
                )  # fmt: skip


@numba.njit(cache=True, parallel=True, error_model="numpy", fastmath=_FAST)
def _row_sweep(
    u: np.ndarray,
    s: np.ndarray,
    out: np.ndarray,
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
            g = dt * d[f]
            _solve_rows(
                u, s, fac.half, f, i0, n_rows, g * scale[f], (dt * lam[f]) * scale[f], dt, g,
                fac.m_rows[fac.rows_of[f]], sc, True,
            )  # fmt: skip
            for q in range(n_rows):
                row = sc[q]
                oi = out[f, i0 + q]
                for j in range(np.uint64(width)):
                    oi[j] = row[j]


@numba.njit(cache=True, parallel=True, error_model="numpy", fastmath=_FAST)
def _column_sweep(
    u: np.ndarray,
    s: np.ndarray,
    out: np.ndarray,
    d: np.ndarray,
    dt: np.float32,
    fac: Factors,
    carry: np.ndarray,
    pivots: np.ndarray,
    colsum: np.ndarray,
    insum: np.ndarray,
    scale: np.ndarray,
    count_input: bool,
    split: int,
) -> None:
    """``out = max(scale * u + (I - g Ly)^-1 out, 0)`` in place, down the columns and back.

    A task takes one of ``split`` parts of one field's width: it eliminates down the rows
    (:func:`_column_pivots` into ``pivots[f, 0]``, then :func:`_eliminate_down`, vectorised
    loops along a row segment), then substitutes
    back up (:func:`_substitute_row`), leaving the columns' sums of the result in ``colsum``
    (and, with ``count_input``, of ``u`` and ``s`` in ``insum``). Every column is solved
    alone, so the split does not change the result.
    """
    n_fields, height, width = u.shape
    h = fac.half
    per = (width + split - 1) // split
    one = np.float32(1.0)
    zero = np.float32(0.0)
    for task in prange(n_fields * split):
        f = task // split
        part = task - f * split
        j0 = np.uint64(min(width, part * per))
        j1 = np.uint64(min(width, part * per + per))
        g = dt * d[f]
        of = out[f]
        pv = pivots[f, 0]
        for i in range(height):
            above = of[i - 1] if i > 0 else of[i]
            hn = h[i - 1] if i > 0 else h[i]
            hs = h[i + 1] if i + 1 < height else h[i]
            keep_s = one if i + 1 < height else zero
            _column_pivots(h[i], hn, hs, keep_s, g, carry[f], pv, i == 0, j0, j1)
            _eliminate_down(of[i], above, of[i], h[i], hn, g, pv, i == 0, j0, j1)
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


def _padded(width: int) -> int:
    """Floats in a scratch row: the width rounded up to whole tiles, plus :data:`_PAD`."""
    return -(-width // _LANES) * _LANES + _PAD


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

    ``half`` is half the conductance (a face is the sum of its cells' halves). ``rows_of[f]``
    and ``columns_of[f]`` index field ``f``'s factors in ``m_rows`` (the row solves' inverse
    pivots) and ``cp_columns`` (the column solves' ``up * m``), each ``(n_distinct, H, W)``;
    the sweeps recompute the rest as they go.
    """

    half: np.ndarray
    rows_of: np.ndarray
    m_rows: np.ndarray
    columns_of: np.ndarray
    cp_columns: np.ndarray


def factors(c: np.ndarray, d: np.ndarray, lam: np.ndarray, dt: np.float32) -> Factors:
    """The factors for each distinct ``(dt * D, 1 + dt * lam)`` (rows) and ``dt * D`` (columns)."""
    height, width = c.shape
    half = np.ascontiguousarray(c, dtype=np.float32) * np.float32(0.5)
    g = (dt * d).astype(np.float32)
    base = (np.float32(1.0) + dt * lam).astype(np.float32)
    rows_of, row_keys = _distinct([(float(a), float(b)) for a, b in zip(g, base, strict=True)])
    columns_of, column_keys = _distinct([(float(a),) for a in g])
    m_rows = np.empty((len(row_keys), height, width), np.float32)
    for k, (gk, bk) in enumerate(row_keys):
        row_factors(half, np.float32(gk), np.float32(bk), m_rows[k])
    cp_columns = np.empty((len(column_keys), height, width), np.float32)
    for k, (gk,) in enumerate(column_keys):
        column_factors(half, np.float32(gk), cp_columns[k])
    return Factors(half, rows_of, m_rows, columns_of, cp_columns)


def lod_steps(
    u: np.ndarray,
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
    are :func:`factors` of ``(c, d, lam, dt)`` (they carry the conductance). The scheme is
    ``numpy_ref._implicit``'s: row sweep, column sweep, rescaling to the exact total. A
    step's rescaling is applied as the next step reads the field (so it costs no pass of its
    own), the last one in a final pass; the first step's upward walk also sums ``u`` and
    ``s`` for the totals.
    """
    n_fields, height, width = u.shape
    split = min(width, split_columns(n_fields, n_threads))
    rhs = np.zeros((max(1, n_threads), 3 * _LANES, _padded(width)), np.float32)
    pivots = np.empty(
        (max(1, n_threads), _LANES, _padded(width)) if split == 1 else (n_fields, 1, width),
        np.float32,
    )
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
            _fused_sweep(
                src, s, x, d, lam, dt, fac, rhs, pivots, carry, colsum, insum, scale, step == 0
            )
        else:
            _row_sweep(src, s, x, d, lam, dt, fac, rhs, scale)
            _column_sweep(
                src, s, x, d, dt, fac, carry, pivots, colsum, insum, scale, step == 0, split
            )
        if step == 0:
            total = _sum_columns(insum[:, 0])
            source_total = _sum_columns(insum[:, 1])
        total = (total + np.float64(dt) * source_total) / rate
        scale = _factors_of(total, _sum_columns(colsum))
        src = x
    _rescale(out, scale)
    return out
