"""Numba backend: fused, multi-threaded CPU kernels with optional temporal blocking.

Same interface as :class:`~multipolar.kernels.numpy_ref.NumpyBackend`, and its float32
arithmetic for the explicit scheme (the implicit sweeps contract multiply-adds). The
explicit ``diffuse`` makes one pass over all K channels per step (the conductance read once
per cell and shared by the channels), parallel over rows; from a few steps per call on it
uses temporal blocking (:mod:`multipolar.kernels._blocking`), which is faster at every grid
size measured (docs/benchmarks.md) and gives bitwise the same result. The implicit scheme's
sweeps are in :mod:`multipolar.kernels._implicit`. Buffers are allocated once per call,
never per step, and a caller's ``out`` is written in place; the one-pass kernel writes with
non-temporal stores when its outputs start on cache lines (:mod:`multipolar.kernels.memory`
allocates such buffers).

Results do not depend on the number of threads: work is split into tasks fixed by the grid,
and ``zonal_sum`` adds fixed chunks of cells in a fixed order.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

import numba
import numpy as np

from multipolar.kernels import _implicit
from multipolar.kernels._blocking import diffuse_tiled, scratch_shape
from multipolar.kernels._labels import fill_by_label, zonal_sum_partials
from multipolar.kernels._numba_kernels import diffuse_one_pass
from multipolar.kernels.contract import (
    check_diffuse_args,
    check_fill_args,
    check_out,
    check_scheme,
    check_zonal_args,
    label_range_error,
)
from multipolar.kernels.memory import LINE_BYTES, aligned_empty, aligned_zeros, is_aligned

__all__ = ["BlockingPlan", "NumbaBackend", "diffuse_blocked"]

ROW_BLOCK = 8
"""Rows per block in the one-pass kernel: each channel streams this many rows at a time."""

TASK_ROWS = 16
"""Rows per task of the one-pass kernel; the threads take tasks in turn until none is left."""

RING_BYTES = 2 << 20
"""Budget of temporal blocking's per-thread scratch: fields are advanced in groups it fits."""

IMPLICIT_SERIAL_BELOW = 1 << 19
"""Fewest field cells (``B * K * H * W``) for which the implicit scheme uses several threads.

Below it a step's work is a few milliseconds and the several parallel launches per step
cost more than they save, badly so when other processes compete for the cores (the default
0.25 degree grid: 2.9 ms a month on one thread against about 280 ms on two, measured on a
loaded 2-core machine).
"""

ZONAL_CHUNKS = 64
"""Most chunks of cells ``zonal_sum`` sums separately (then adds in order), whatever the threads."""

ZONAL_MIN_CELLS = 4096
"""Fewest cells per chunk of ``zonal_sum``."""

ZONAL_SERIAL_BELOW = 1 << 23
"""Fewest field cells (fields times cells) for which ``zonal_sum`` uses several threads.

Below it a call takes well under a millisecond on one thread, less than waking the others
costs when they compete with other processes for the cores. The chunks, and so the result,
do not depend on it.
"""


@dataclass(frozen=True)
class BlockingPlan:
    """When and how :class:`NumbaBackend` uses temporal blocking.

    Attributes:
        time_block: Steps advanced per pass over a tile (``T``).
        tile: Tile shape ``(rows, columns)``, 0 for automatic (see :func:`diffuse_blocked`).
        min_steps: Fewest steps in one ``diffuse`` call for blocking to pay off.
        min_bytes: Smallest working set (``u``, ``s`` and the output, in bytes) to block;
            0 by default, as blocking also wins on grids that fit in cache.
    """

    time_block: int = 16
    tile: tuple[int, int] = (0, 0)
    min_steps: int = 4
    min_bytes: int = 0

    def applies(self, n_bytes: int, steps: int) -> bool:
        """Whether blocking should be used for a call moving ``n_bytes`` over ``steps``."""
        return steps >= self.min_steps and n_bytes >= self.min_bytes


def _flatten(
    u: np.ndarray, s: np.ndarray, D: np.ndarray, lam: np.ndarray, n_channels: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Fields as C-contiguous ``(N, H, W)`` (``N = B * K``), per-field ``d`` and ``lam``."""
    height, width = u.shape[-2:]
    n_fields = int(np.prod(u.shape[:-2]))
    flat_u = np.ascontiguousarray(u).reshape(n_fields, height, width)
    flat_s = np.ascontiguousarray(s).reshape(n_fields, height, width)
    repeat = n_fields // n_channels
    d = np.tile(np.asarray(D, dtype=np.float32), repeat)
    k = np.tile(np.asarray(lam, dtype=np.float32), repeat)
    return flat_u, flat_s, d, k


class _BufferPool:
    """Spare ping-pong buffers kept between calls, so that a call touches fresh memory once.

    A fresh buffer costs page faults on its first pass (comparable to several steps on a
    large grid). Of the buffers a call uses, the one it returns goes to the caller and the
    others are kept here (up to :attr:`KEEP` per shape) for the next call.
    """

    KEEP = 2

    def __init__(self) -> None:
        self._spare: dict[tuple[int, ...], list[np.ndarray]] = {}

    def take(self, shape: tuple[int, ...]) -> np.ndarray:
        spares = self._spare.get(shape)
        return spares.pop() if spares else aligned_empty(shape)

    def give_back(self, buffers: tuple[np.ndarray, ...], result: np.ndarray) -> None:
        for buffer in buffers:
            spares = self._spare.setdefault(buffer.shape, [])
            if buffer is not result and len(spares) < self.KEEP:
                spares.append(buffer)


def _tiled(
    flat_u: np.ndarray,
    c: np.ndarray,
    flat_s: np.ndarray,
    d: np.ndarray,
    k: np.ndarray,
    dt: float,
    steps: int,
    time_block: int,
    tile: tuple[int, int],
    buffers: tuple[np.ndarray, np.ndarray],
) -> np.ndarray:
    """Size the tiles and the zeroed, aligned scratch, then run the temporal-blocking kernel."""
    n_fields, height, width = flat_u.shape
    threads = numba.get_num_threads()
    tile_h = min(height, tile[0] or -(-height // threads))
    tile_w = min(width, tile[1] or width)
    n_chunks = max(1, min(threads, -(-height // tile_h) * -(-width // tile_w)))
    block = min(time_block, steps)
    group, rows, length = scratch_shape(n_fields, block, tile_w, RING_BYTES)
    scratch = aligned_zeros((n_chunks, rows, length))
    return diffuse_tiled(
        flat_u,
        np.ascontiguousarray(c),
        flat_s,
        d,
        k,
        np.float32(dt),
        steps,
        block,
        tile_h,
        tile_w,
        buffers[0],
        buffers[1],
        scratch,
        group,
    )


def _one_pass(
    flat_u: np.ndarray,
    c: np.ndarray,
    flat_s: np.ndarray,
    d: np.ndarray,
    k: np.ndarray,
    dt: float,
    steps: int,
    buffers: tuple[np.ndarray, np.ndarray],
) -> np.ndarray:
    """Size the per-thread scratch and the task counter, then run the one-pass kernel."""
    height, width = c.shape
    n_workers = max(1, min(numba.get_num_threads(), -(-height // TASK_ROWS)))
    return diffuse_one_pass(
        flat_u,
        np.ascontiguousarray(c),
        flat_s,
        d,
        k,
        np.float32(dt),
        steps,
        buffers[0],
        buffers[1],
        one_pass_scratch(n_workers, width),
        np.zeros(1, dtype=np.int64),
        TASK_ROWS,
        streams(buffers, width),
    )


def one_pass_scratch(n_workers: int, width: int) -> np.ndarray:
    """Each worker's face rows for the one-pass kernel: ``(n_workers, 2 * ROW_BLOCK + 1, W)``."""
    return aligned_empty((n_workers, 2 * ROW_BLOCK + 1, width))


def streams(buffers: tuple[np.ndarray, ...], width: int) -> bool:
    """Whether the one-pass kernel may write ``buffers`` with non-temporal stores.

    Its vector stores must then fall on 64-byte lines: every buffer starts on one and rows
    are whole lines (``W`` a multiple of 16).
    """
    return width % (LINE_BYTES // 4) == 0 and all(is_aligned(b) for b in buffers)


class _FactorCache:
    """The implicit scheme's elimination factors of the last call's coefficients.

    A model calls month after month with the same conductance, diffusivities, decays and
    time step; the factors (half the conductance, and a field plane for each distinct pair
    of diffusivity and decay and for each distinct diffusivity) are then computed and
    allocated once. The conductance is compared by value with a kept copy. A
    lock makes the check and the update one step, for models stepped in several threads
    with one backend (a sweep worker running tasks in threads).
    """

    def __init__(self) -> None:
        self._key: tuple[object, ...] | None = None
        self._c: np.ndarray | None = None
        self._factors: _implicit.Factors | None = None
        self._lock = threading.Lock()

    def get(self, c: np.ndarray, d: np.ndarray, k: np.ndarray, dt: np.float32) -> _implicit.Factors:
        key = (c.shape, float(dt), tuple(d.tolist()), tuple(k.tolist()))
        with self._lock:
            if self._factors is None or key != self._key or not np.array_equal(c, self._c):
                self._factors = None  # free the old factors before allocating new ones
                self._factors = _implicit.factors(c, d, k, dt)
                self._key, self._c = key, c.copy()
            return self._factors


def _lod(
    flat_u: np.ndarray,
    c: np.ndarray,
    flat_s: np.ndarray,
    d: np.ndarray,
    k: np.ndarray,
    dt: float,
    steps: int,
    buffers: tuple[np.ndarray, np.ndarray],
    cache: _FactorCache,
) -> np.ndarray:
    """The implicit scheme's steps (:mod:`multipolar.kernels._implicit`) into ``buffers[0]``."""
    dt32 = np.float32(dt)
    c = np.ascontiguousarray(c)
    threads = numba.get_num_threads()
    if flat_u.size >= IMPLICIT_SERIAL_BELOW or threads == 1:
        fac = cache.get(c, d, k, dt32)
        return _implicit.lod_steps(flat_u, flat_s, d, k, dt32, steps, buffers, threads, fac)
    numba.set_num_threads(1)
    try:
        fac = cache.get(c, d, k, dt32)
        return _implicit.lod_steps(flat_u, flat_s, d, k, dt32, steps, buffers, 1, fac)
    finally:
        numba.set_num_threads(threads)


def _check_plan(time_block: int, tile: tuple[int, int]) -> None:
    if time_block < 1:
        raise ValueError(f"time_block must be at least 1, got {time_block}")
    if tile[0] < 0 or tile[1] < 0:
        raise ValueError(f"tile sides must be positive (0 for automatic), got {tile}")


def diffuse_blocked(
    u: np.ndarray,
    c: np.ndarray,
    s: np.ndarray,
    D: np.ndarray,
    lam: np.ndarray,
    dt: float,
    steps: int,
    *,
    time_block: int = 16,
    tile: tuple[int, int] = (0, 0),
) -> np.ndarray:
    """``diffuse`` with temporal blocking forced on, for tests and benchmarks.

    Args:
        u: Fields, ``(K, H, W)`` or ``(B, K, H, W)`` float32.
        c: Conductance ``(H, W)`` float32 in (0, 1].
        s: Sources, shaped like ``u``.
        D: Diffusivity per channel (K values).
        lam: Decay per channel (K values).
        dt: Time step.
        steps: Number of explicit updates.
        time_block: Steps advanced per pass over a tile.
        tile: Tile shape ``(rows, columns)``; 0 rows splits the rows evenly among the
            threads, 0 columns takes the full width.

    Returns:
        The advanced fields, bitwise equal to plain stepping.
    """
    n_channels, _ = check_diffuse_args(u, c, s, D, lam, dt, steps)
    _check_plan(time_block, tile)
    flat_u, flat_s, d, k = _flatten(u, s, D, lam, n_channels)
    if steps == 0 or flat_u.size == 0:
        return np.array(u, dtype=np.float32, copy=True)
    buffers = (np.empty_like(flat_u), np.empty_like(flat_u))
    out = _tiled(flat_u, c, flat_s, d, k, dt, steps, time_block, tile, buffers)
    return out.reshape(u.shape)


class NumbaBackend:
    """Multi-threaded CPU backend compiled with Numba (``cache=True``, no fastmath).

    Between calls it keeps one spare field-sized buffer per shape (see ``_BufferPool``).

    Args:
        blocking: ``None`` (default) picks temporal blocking automatically by ``plan``;
            ``True`` or ``False`` forces it on or off.
        plan: Thresholds and tile shape of temporal blocking.
    """

    name = "numba"
    xp = np

    def __init__(self, blocking: bool | None = None, plan: BlockingPlan | None = None) -> None:
        """Set the blocking policy; see the class docstring."""
        self.blocking = blocking
        self.plan = plan or BlockingPlan()
        _check_plan(self.plan.time_block, self.plan.tile)
        self._pool = _BufferPool()
        self._factors = _FactorCache()

    def asarray(self, array: np.ndarray) -> np.ndarray:
        """Return ``array`` as a NumPy array (no copy when it already is one)."""
        return np.asarray(array)

    def to_numpy(self, array: np.ndarray) -> np.ndarray:
        """Return ``array`` as a NumPy array on the host."""
        return np.asarray(array)

    def synchronize(self) -> None:
        """Wait for queued work; Numba kernels return when they are done."""

    def uses_blocking(self, u: np.ndarray, steps: int) -> bool:
        """Whether ``diffuse`` on fields shaped like ``u`` over ``steps`` uses temporal blocking."""
        if self.blocking is not None:
            return self.blocking and steps > 0
        return self.plan.applies(3 * u.size * u.itemsize, steps)

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
        With ``out`` the last step writes there (no copy) and ``out`` is returned.
        """
        n_channels, _ = check_diffuse_args(u, c, s, D, lam, dt, steps)
        check_scheme(scheme)
        if out is not None:
            check_out(out, u, scheme, np.may_share_memory)
        flat_u, flat_s, d, k = _flatten(u, s, D, lam, n_channels)
        if steps == 0 or flat_u.size == 0:
            if out is None:
                return np.array(u, dtype=np.float32, copy=True)
            np.copyto(out, u)
            return out
        target = self._pool.take(flat_u.shape) if out is None else out.reshape(flat_u.shape)
        if scheme == "implicit":
            if out is not None and np.may_share_memory(out, u):
                flat_u = flat_u.copy()
            spare = self._pool.take(flat_u.shape)
            result = _lod(flat_u, c, flat_s, d, k, dt, steps, (target, spare), self._factors)
            self._pool.give_back((spare,), result)
            return result.reshape(u.shape) if out is None else out
        blocking = self.uses_blocking(u, steps)
        writes = -(-steps // min(self.plan.time_block, steps)) if blocking else steps
        spare = self._pool.take(flat_u.shape)
        buffers = (target, spare) if writes % 2 else (spare, target)
        if blocking:
            plan = self.plan
            result = _tiled(flat_u, c, flat_s, d, k, dt, steps, plan.time_block, plan.tile, buffers)
        else:
            result = _one_pass(flat_u, c, flat_s, d, k, dt, steps, buffers)
        self._pool.give_back(buffers, result)
        return result.reshape(u.shape) if out is None else out

    def zonal_sum(self, u: np.ndarray, labels: np.ndarray, n_labels: int) -> np.ndarray:
        """Sum each channel over each label: float64 ``(K, n_labels)`` or ``(B, K, n_labels)``."""
        check_zonal_args(u, labels, n_labels)
        flat_labels = np.ascontiguousarray(labels).reshape(-1)
        lead = u.shape[:-2]
        fields = np.ascontiguousarray(u).reshape(int(np.prod(lead)), -1)
        n_chunks = max(1, min(ZONAL_CHUNKS, flat_labels.size // ZONAL_MIN_CELLS))
        threads = numba.get_num_threads()
        if fields.size >= ZONAL_SERIAL_BELOW or threads == 1:
            partial, bad = zonal_sum_partials(fields, flat_labels, n_labels, n_chunks)
        else:
            numba.set_num_threads(1)
            try:
                partial, bad = zonal_sum_partials(fields, flat_labels, n_labels, n_chunks)
            finally:
                numba.set_num_threads(threads)
        if bad:
            raise label_range_error(n_labels)
        total = partial[0].copy()
        for chunk in partial[1:]:
            total += chunk
        return total.reshape(*lead, n_labels)

    def fill_by_label(self, table: np.ndarray, labels: np.ndarray, out: np.ndarray) -> None:
        """``out[..., i, j] = table[..., labels[i, j]]`` for every cell, rows in parallel."""
        table = np.asarray(table)
        check_fill_args(table, labels, out)
        n_labels = table.shape[-1]
        flat = out.reshape(-1, *labels.shape)
        bad = fill_by_label(np.ascontiguousarray(table.reshape(-1, n_labels)), labels, flat)
        if bad:
            raise label_range_error(n_labels)
