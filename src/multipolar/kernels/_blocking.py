"""Temporal blocking for the Numba backend: several steps per pass over cache-sized tiles.

Overlapped tiling with a wavefront. A tile of rows ``[i0, i1)`` and columns ``[j0, j1)``
is advanced by ``T`` steps from a *region* grown by ``T`` cells on each side (clipped to
the grid). Substep ``t`` (level ``t``) needs level ``t - 1`` only within one cell, so the
levels advance as a wavefront down the rows: once row ``p`` of level 0 is loaded, row
``p - 1`` of level 1 can be computed, then row ``p - 2`` of level 2, and so on; level
``t`` only computes the rows and columns that the tile still needs (its halo shrinks by
one cell per level). Each level keeps three rows (a ring), the face conductances
``T + 2`` rows and the sources ``T + 1`` rows, all in thread-private scratch; main memory
sees one read of ``u``, ``s`` and ``c`` and one write of ``u`` per ``T`` steps. Tiles
recompute their halo instead of exchanging it, so they run in parallel without
synchronisation.

Scratch is one ``(rows, L)`` float32 array per thread (:func:`scratch_rows` gives the row
layout), 64-byte aligned with :data:`PAD` spare columns on each side, so every level
updates aligned vectors in one branch-free loop (:func:`_update`). The grid's edge needs no
special case: a face to a cell outside the grid has conductance exactly 0, so whatever
finite value that cell's slot holds adds nothing. Indices are unsigned, which spares the
negative-index checks that would stop the loops from vectorising, and the loops make no
array views (each would cost an atomic reference count increment and decrement).

Every cell is computed from the same neighbour values, with the same float32 operations in
the same order as :func:`~multipolar.kernels._numba_kernels.update_row` (no ``fastmath``),
so the result is bitwise that of plain stepping, up to the sign of an exact zero.
"""

from __future__ import annotations

import numba
import numpy as np
from numba import prange

__all__ = ["diffuse_tiled", "scratch_shape"]

PAD = 16
"""Spare floats on each side of a scratch row (a multiple of the SIMD width)."""

_VECTOR = 8
"""Floats per SIMD vector (AVX2): the alignment of every level's first updated cell."""

_ONE = np.uint64(1)


def scratch_rows(group: int, time_block: int) -> int:
    """Rows of one thread's scratch for ``group`` fields and ``time_block`` levels.

    Layout (``G = group``, ``T = time_block``): ``3 * G * T`` level rows (field, level,
    ring slot), then ``G * (T + 1)`` source rows, ``2 * (T + 2)`` face rows (east and
    south per ring slot; a cell's west face is its west neighbour's east face) and one row
    of zeros.
    """
    return 3 * group * time_block + group * (time_block + 1) + 2 * (time_block + 2) + 1


def scratch_shape(n_fields: int, time_block: int, tile_w: int, budget: int) -> tuple[int, int, int]:
    """``(group, rows, length)`` of one thread's scratch for tiles ``tile_w`` columns wide.

    ``length`` covers the tile's columns, ``time_block`` halo columns on each side, the
    shift to a vector boundary and :data:`PAD` on each side, rounded up to 64 bytes; fields
    are advanced ``group`` at a time, as many as keep their level and source rows within
    ``budget`` bytes (at least one).
    """
    length = -(-(tile_w + 2 * time_block + _VECTOR - 1 + 2 * PAD) // 16) * 16
    field_bytes = 4 * length * (scratch_rows(2, time_block) - scratch_rows(1, time_block))
    group = max(1, min(n_fields, budget // field_bytes))
    return group, scratch_rows(group, time_block), length


@numba.njit(cache=True, inline="always")
def _update(
    out: np.ndarray,
    at: tuple[int, np.uint64],
    sc: np.ndarray,
    rows: tuple[int, int, int, int, int, int, int],
    lo: np.uint64,
    n: np.uint64,
    dk: np.float32,
    lk: np.float32,
    dt: np.float32,
) -> None:
    """One explicit update of columns ``[lo, lo + n)`` of scratch ``sc`` (2-D).

    ``rows`` names the rows of ``sc``: the row itself, north, south, sources and the east,
    south and north face conductances. Cell ``lo + q`` goes to ``out[at[0], at[1] + q]``.
    The arithmetic is the reference's, ``u + dt * ((D * lap - lam * u) + s)`` with
    ``lap = ((fe + fw) + fs) + fn`` and ``f = cf * (u[n] - u)``.
    """
    uc, un, us, sr, ce, cs, cn = rows
    o_row, o_col = at
    for q in range(n):
        b = lo + q
        u0 = sc[uc, b]
        lap = sc[ce, b] * (sc[uc, b + _ONE] - u0) + sc[ce, b - _ONE] * (sc[uc, b - _ONE] - u0)
        lap = lap + sc[cs, b] * (sc[us, b] - u0)
        lap = lap + sc[cn, b] * (sc[un, b] - u0)
        out[o_row, o_col + q] = u0 + dt * (dk * lap - lk * u0 + sc[sr, b])


@numba.njit(cache=True, inline="always")
def _load(
    sc: np.ndarray, row: int, b: np.uint64, a: np.ndarray, i: int, j: np.uint64, n: np.uint64
) -> None:
    """``sc[row, b:b + n] = a[i, j:j + n]`` for 2-D arrays, without making views."""
    for q in range(n):
        sc[row, b + q] = a[i, j + q]


@numba.njit(cache=True, inline="always")
def _faces(
    c: np.ndarray, g: int, j: np.uint64, sc: np.ndarray, row: int, b: np.uint64, n: np.uint64
) -> None:
    """Face conductances of grid row ``g``, columns ``[j, j + n)``, into scratch from column ``b``.

    Row ``row`` gets the east faces (from column ``b - 1``, the west face of the first cell),
    row ``row + 1`` the south faces. A face to a cell outside the grid gets an exact 0.
    """
    height, width = c.shape
    half = np.float32(0.5)
    zero = np.float32(0.0)
    last = n - _ONE
    for q in range(last):
        sc[row, b + q] = (c[g, j + q] + c[g, j + q + _ONE]) * half
    east = j + last
    sc[row, b + last] = (c[g, east] + c[g, east + _ONE]) * half if east + _ONE < width else zero
    sc[row, b - _ONE] = (c[g, j - _ONE] + c[g, j]) * half if j > 0 else zero
    if g + 1 < height:
        for q in range(n):
            sc[row + 1, b + q] = (c[g, j + q] + c[g + 1, j + q]) * half
    else:
        for q in range(n):
            sc[row + 1, b + q] = zero


@numba.njit(cache=True)
def _advance_tile(
    src: np.ndarray,
    dst: np.ndarray,
    c: np.ndarray,
    s: np.ndarray,
    d: np.ndarray,
    lam: np.ndarray,
    dt: np.float32,
    substeps: int,
    tile: tuple[int, int, int, int],
    fields: tuple[int, int],
    sc: np.ndarray,
    layout: tuple[int, int],
) -> None:
    """Advance tile ``(i0, i1, j0, j1)`` of fields ``[f0, f1)`` by ``substeps`` steps.

    ``src``, ``dst`` and ``s`` are the fields as ``(N * H, W)``. ``sc`` is this thread's
    scratch, laid out by :func:`scratch_rows` for ``layout = (group, time_block)``, with
    ``f1 - f0 <= group`` and ``substeps <= time_block``.
    """
    height, width = c.shape
    i0, i1, j0, j1 = tile
    f0, f1 = fields
    n_t = substeps
    group, time_block = layout
    s_base = 3 * group * time_block
    cf_base = s_base + group * (time_block + 1)
    zero_row = cf_base + 2 * (time_block + 2)
    n_cf = time_block + 2
    n_s = time_block + 1
    r0 = max(0, i0 - n_t)
    r1 = min(height, i1 + n_t)
    x0 = (j0 - n_t) - (j0 - n_t) % _VECTOR - PAD
    col_lo = max(0, j0 - n_t)
    col_hi = min(width, j1 + n_t)
    load_b = np.uint64(col_lo - x0)
    load_j = np.uint64(col_lo)
    load_n = np.uint64(col_hi - col_lo)
    tile_b = np.uint64(j0 - x0)
    tile_j = np.uint64(j0)
    tile_n = np.uint64(j1 - j0)
    for p in range(r0, r1 + n_t):
        if p < r1:
            _faces(c, p, load_j, sc, cf_base + 2 * (p % n_cf), load_b, load_n)
            for f in range(f0, f1):
                level0 = 3 * (f - f0) * time_block + p % 3
                _load(sc, level0, load_b, src, f * height + p, load_j, load_n)
                s_row = s_base + (f - f0) * n_s + p % n_s
                _load(sc, s_row, load_b, s, f * height + p, load_j, load_n)
        for t in range(1, n_t + 1):
            g = p - t
            grow = n_t - t
            if g < max(0, i0 - grow) or g >= min(height, i1 + grow):
                continue
            lo = max(j0 - grow, 0) - x0
            lo -= lo % _VECTOR
            hi = min(j1 + grow, width) - x0
            cf = cf_base + 2 * (g % n_cf)
            cfn = cf_base + 2 * ((g - 1) % n_cf) + 1 if g > 0 else zero_row
            for f in range(f0, f1):
                below = 3 * ((f - f0) * time_block + t - 1)
                un = below + (g - 1) % 3 if g > 0 else zero_row
                us = below + (g + 1) % 3 if g + 1 < height else zero_row
                sr = s_base + (f - f0) * n_s + g % n_s
                rows = (below + g % 3, un, us, sr, cf, cf + 1, cfn)
                if t == n_t:
                    at = (f * height + g, tile_j)
                    _update(dst, at, sc, rows, tile_b, tile_n, d[f], lam[f], dt)
                else:
                    at = (below + 3 + g % 3, np.uint64(lo))
                    _update(sc, at, sc, rows, np.uint64(lo), np.uint64(hi - lo), d[f], lam[f], dt)


@numba.njit(cache=True, parallel=True)
def diffuse_tiled(
    u: np.ndarray,
    c: np.ndarray,
    s: np.ndarray,
    d: np.ndarray,
    lam: np.ndarray,
    dt: np.float32,
    steps: int,
    time_block: int,
    tile_h: int,
    tile_w: int,
    buf_a: np.ndarray,
    buf_b: np.ndarray,
    scratch: np.ndarray,
    group: int,
) -> np.ndarray:
    """Advance ``u`` by ``steps`` updates, ``time_block`` of them per pass over the tiles.

    ``scratch`` is ``(n_chunks, rows, length)`` from :func:`scratch_shape`, zeroed and
    64-byte aligned: one slice per chunk of tiles (chunks run in parallel), fields taken
    ``group`` at a time. Passes ping-pong between ``buf_a`` and ``buf_b``; the buffer holding
    the result is returned (``u`` when ``steps`` is 0).
    """
    n_fields, height, width = u.shape
    n_chunks = scratch.shape[0]
    tiles_y = (height + tile_h - 1) // tile_h
    tiles_x = (width + tile_w - 1) // tile_w
    n_tiles = tiles_y * tiles_x
    per_chunk = (n_tiles + n_chunks - 1) // n_chunks
    src = u
    done = 0
    n_pass = 0
    while done < steps:
        substeps = min(time_block, steps - done)
        dst = buf_a if n_pass % 2 == 0 else buf_b
        for chunk in prange(n_chunks):
            for k in range(chunk * per_chunk, min(n_tiles, (chunk + 1) * per_chunk)):
                ty = k // tiles_x
                tx = k - ty * tiles_x
                tile = (
                    ty * tile_h,
                    min(height, (ty + 1) * tile_h),
                    tx * tile_w,
                    min(width, (tx + 1) * tile_w),
                )
                for f0 in range(0, n_fields, group):
                    _advance_tile(
                        src.reshape((n_fields * height, width)),
                        dst.reshape((n_fields * height, width)),
                        c,
                        s.reshape((n_fields * height, width)),
                        d,
                        lam,
                        dt,
                        substeps,
                        tile,
                        (f0, min(n_fields, f0 + group)),
                        scratch[chunk],
                        (group, time_block),
                    )
        src = dst
        done += substeps
        n_pass += 1
    return src
