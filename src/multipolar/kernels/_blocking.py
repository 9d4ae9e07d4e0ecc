"""Temporal blocking for the Numba backend: several steps per pass over cache-sized tiles.

Overlapped tiling: to advance a tile of ``th x tw`` cells by ``T`` steps, a thread reads
the tile grown by ``T`` cells on each side (clipped at the grid's edge) and, for substep
``t``, updates the tile grown by ``T - t`` cells, so each tile recomputes its halo instead
of exchanging it, and tiles run in parallel without synchronisation.

Inside a tile the substeps advance as a wavefront over rows: when row ``p`` of substep 1
is done, row ``p - 1`` of substep 2 can be, then row ``p - 2`` of substep 3, and so on.
Each intermediate substep therefore keeps only three rows (a ring buffer) and the face
conductances only ``T + 1`` rows, which stay in cache; main memory sees one read of ``u``,
``s`` and ``c`` and one write of ``u`` per ``T`` steps. Fields are processed in groups
small enough for their rings to fit in cache. Every cell is updated by
:func:`~multipolar.kernels._numba_kernels.update_row` from the same neighbour values as in
plain stepping, so the result is bitwise the same.
"""

from __future__ import annotations

import numba
import numpy as np
from numba import prange

from multipolar.kernels._numba_kernels import conductance_rows, update_row

__all__ = ["diffuse_tiled"]


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
    ring: np.ndarray,
    cf_ring: np.ndarray,
) -> None:
    """Advance tile ``(i0, i1, j0, j1)`` of fields ``[f0, f1)`` by ``substeps`` steps.

    ``ring[f - f0, t - 1]`` holds three rows of substep ``t`` (``1 <= t < substeps``) and
    ``cf_ring`` the face conductances of the last ``substeps + 1`` rows, both over the
    tile's columns grown by ``substeps`` (from column ``q0``).
    """
    _, height, width = src.shape
    i0, i1, j0, j1 = tile
    f0, f1 = fields
    q0 = max(0, j0 - substeps)
    q1 = min(width, j1 + substeps)
    n_cf = cf_ring.shape[0]
    first = max(0, i0 - substeps + 1)
    last = min(height, i1 + substeps - 1)
    for p in range(first, last + substeps - 1):
        if p < last:
            cf = cf_ring[p % n_cf]
            conductance_rows(c, p, cf[0], cf[1], cf[2], q0, q1)
        for t in range(1, substeps + 1):
            g = p - (t - 1)
            grow = substeps - t
            if g < max(0, i0 - grow) or g >= min(height, i1 + grow):
                continue
            clo = max(0, j0 - grow)
            chi = min(width, j1 + grow)
            nlo = max(0, clo - 1)
            nhi = min(width, chi + 1)
            north = g - 1 if g > 0 else g
            south = g + 1 if g + 1 < height else g
            cf = cf_ring[g % n_cf]
            cfe = cf[0, nlo - q0 : nhi - q0]
            cfs = cf[1, nlo - q0 : nhi - q0]
            cfn = cf[2, nlo - q0 : nhi - q0]
            for f in range(f0, f1):
                if t == 1:
                    uc = src[f, g, nlo:nhi]
                    un = src[f, north, nlo:nhi]
                    us = src[f, south, nlo:nhi]
                else:
                    below = ring[f - f0, t - 2]
                    uc = below[g % 3, nlo - q0 : nhi - q0]
                    un = below[north % 3, nlo - q0 : nhi - q0]
                    us = below[south % 3, nlo - q0 : nhi - q0]
                if t == substeps:
                    out = dst[f, g, nlo:nhi]
                else:
                    out = ring[f - f0, t - 1, g % 3, nlo - q0 : nhi - q0]
                update_row(
                    out,
                    uc,
                    un,
                    us,
                    s[f, g, nlo:nhi],
                    cfe,
                    cfs,
                    cfn,
                    clo == 0,
                    chi == width,
                    d[f],
                    lam[f],
                    dt,
                )


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
    ring: np.ndarray,
    cf_ring: np.ndarray,
) -> np.ndarray:
    """Advance ``u`` by ``steps`` updates, ``time_block`` of them per pass over the tiles.

    ``ring`` is ``(n_chunks, G, max(T - 1, 0), 3, tile_w + 2T)`` and ``cf_ring``
    ``(n_chunks, T + 1, 3, tile_w + 2T)`` with ``T = time_block``: one slice per chunk of
    tiles (chunks run in parallel), fields taken ``G`` at a time. Passes ping-pong between
    ``buf_a`` and ``buf_b``; the buffer holding the result is returned (``u`` when
    ``steps`` is 0).
    """
    n_fields, height, width = u.shape
    n_chunks = ring.shape[0]
    group = ring.shape[1]
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
                        src,
                        dst,
                        c,
                        s,
                        d,
                        lam,
                        dt,
                        substeps,
                        tile,
                        (f0, min(n_fields, f0 + group)),
                        ring[chunk],
                        cf_ring[chunk],
                    )
        src = dst
        done += substeps
        n_pass += 1
    return src
