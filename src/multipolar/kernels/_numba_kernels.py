"""Numba kernels for the one-pass diffusion step and a parallel copy.

Fields arrive flattened to ``(N, H, W)`` with ``N = B * K`` and per-field ``d``/``lam``.
Every kernel reproduces the reference's float32 arithmetic cell by cell, in the same
order (see :func:`update_row`), so results match :class:`~multipolar.kernels.numpy_ref.NumpyBackend`
up to the sign of an exact zero. No ``fastmath``: it would let LLVM reassociate the sums.
"""

from __future__ import annotations

import numba
import numpy as np
from llvmlite import ir
from numba import prange, types
from numba.extending import intrinsic

from multipolar.kernels._stencil import MIN_WIDTH, update_pair, update_single

__all__ = [
    "claim",
    "diffuse_one_pass",
    "face_rows",
    "parallel_copy",
    "update_row",
]


@intrinsic
def claim(typingctx, counter):
    """``counter[0] += 1`` as one atomic operation; returns the value before it.

    Workers of a parallel loop take the next task with it, so a thread that the OS holds
    back (other processes on the cores) takes fewer tasks instead of delaying the call.
    ``counter`` is a 1-D int64 array.
    """
    if not (isinstance(counter, types.Array) and counter.dtype == types.int64):
        return None

    def codegen(context, builder, signature, args):
        array = context.make_array(signature.args[0])(context, builder, args[0])
        one = ir.Constant(ir.IntType(64), 1)
        return builder.atomic_rmw("add", array.data, one, "monotonic")

    return types.int64(counter), codegen


@numba.njit(cache=True)
def face_rows(c: np.ndarray, i0: int, i1: int, faces: np.ndarray) -> None:
    """Face conductances of rows ``[i0, i1)`` into ``faces`` (``2 * (i1 - i0) + 1`` rows).

    Row ``2 r`` of ``faces`` holds the faces north of row ``i0 + r``, ``2 r + 1`` those east of
    it and ``2 r + 2`` those south of it (so the south faces of one row are the north faces of
    the next, stored once): ``(c[i, j] + c[n]) / 2`` for each neighbour ``n``, and 0 where the
    grid ends, so a missing neighbour contributes an exact zero flux.
    """
    height, width = c.shape
    half = np.float32(0.5)
    if i0 > 0:
        _mean_rows(c[i0 - 1], c[i0], faces[0, :width], half)
    else:
        faces[0, :] = 0
    for i in range(i0, i1):
        r = i - i0
        row = c[i]
        east = faces[2 * r + 1]
        for j in range(width - 1):
            east[j] = (row[j] + row[j + 1]) * half
        east[width - 1] = 0
        if i + 1 < height:
            _mean_rows(row, c[i + 1], faces[2 * r + 2, :width], half)
        else:
            faces[2 * r + 2, :] = 0


@numba.njit(cache=True)
def _mean_rows(a: np.ndarray, b: np.ndarray, out: np.ndarray, half: np.float32) -> None:
    """``out[j] = (a[j] + b[j]) * half``: the faces between two rows."""
    for j in range(out.shape[0]):
        out[j] = (a[j] + b[j]) * half


@numba.njit(cache=True)
def update_row(
    out: np.ndarray,
    uc: np.ndarray,
    un: np.ndarray,
    us: np.ndarray,
    sr: np.ndarray,
    cfe: np.ndarray,
    cfs: np.ndarray,
    cfn: np.ndarray,
    dk: np.float32,
    lk: np.float32,
    dt: np.float32,
) -> None:
    """One explicit update of a whole row: ``out[q]`` for every cell of ``uc``.

    All arrays are 1-D and aligned (index ``q`` is the same column in each). ``un``/``us``
    are the rows north and south (the row itself, with ``cfn``/``cfs`` zero, at the grid's
    edge); the first cell has no west neighbour and the last no east one. The scalar
    counterpart of :mod:`~multipolar.kernels._stencil`, used for rows too narrow for its
    vectors. The arithmetic is the reference's:
    ``lap = ((fe + fw) + fs) + fn`` with ``f = cf * (u[n] - u)``, then
    ``u + dt * ((D * lap - lam * u) + s)``. The interior loop runs on unsigned indices,
    which spares LLVM's vectoriser the checks for negative ones.
    """
    n = uc.shape[0]
    u0 = uc[0]
    lap = cfe[0] * (uc[1] - u0) if n > 1 else np.float32(0.0)
    lap = lap + cfs[0] * (us[0] - u0)
    lap = lap + cfn[0] * (un[0] - u0)
    out[0] = u0 + dt * (dk * lap - lk * u0 + sr[0])
    one = np.uint64(1)
    for q in range(one, np.uint64(max(n - 1, 1))):
        u0 = uc[q]
        lap = cfe[q] * (uc[q + one] - u0) + cfe[q - one] * (uc[q - one] - u0)
        lap = lap + cfs[q] * (us[q] - u0)
        lap = lap + cfn[q] * (un[q] - u0)
        out[q] = u0 + dt * (dk * lap - lk * u0 + sr[q])
    if n > 1:
        q = n - 1
        u0 = uc[q]
        lap = cfe[q - 1] * (uc[q - 1] - u0)
        lap = lap + cfs[q] * (us[q] - u0)
        lap = lap + cfn[q] * (un[q] - u0)
        out[q] = u0 + dt * (dk * lap - lk * u0 + sr[q])


@numba.njit(cache=True, parallel=True)
def diffuse_one_pass(
    u: np.ndarray,
    c: np.ndarray,
    s: np.ndarray,
    d: np.ndarray,
    lam: np.ndarray,
    dt: np.float32,
    steps: int,
    buf_a: np.ndarray,
    buf_b: np.ndarray,
    scratch: np.ndarray,
    counter: np.ndarray,
    task_rows: int,
    streaming: bool,
) -> np.ndarray:
    """Advance ``u`` by ``steps`` updates, one fused pass over all fields per step.

    A step's rows are split into tasks of ``task_rows`` rows, fixed by the grid; each of
    ``n_workers`` parallel workers (``scratch`` is ``(n_workers, 2 R + 1, W)``) takes the
    next task from ``counter`` (one int64) until none is left, so the split of the work among
    threads follows their progress but the result does not. A task takes its rows ``R`` at
    a time: it computes their face conductances once (:func:`face_rows`), then updates those
    rows of each field in turn, two rows per pass (:mod:`~multipolar.kernels._stencil`), so
    each field is streamed in runs of ``R`` rows and the faces are shared by all fields.
    Rows narrower than the vector code's minimum go through :func:`update_row`. Steps
    ping-pong between ``buf_a`` and ``buf_b``, written with non-temporal stores when
    ``streaming`` (both buffers' rows must then start on 64-byte lines); the buffer holding
    the result is returned (``u`` when ``steps`` is 0).
    """
    n_fields, height, width = u.shape
    n_workers = scratch.shape[0]
    block = (scratch.shape[1] - 1) // 2
    n_tasks = (height + task_rows - 1) // task_rows
    vector = width >= MIN_WIDTH
    src = u
    for t in range(steps):
        dst = buf_a if t % 2 == 0 else buf_b
        counter[0] = 0
        for worker in prange(n_workers):
            faces = scratch[worker]
            task = claim(counter)
            while task < n_tasks:
                stop = min(height, (task + 1) * task_rows)
                for i0 in range(task * task_rows, stop, block):
                    i1 = min(stop, i0 + block)
                    face_rows(c, i0, i1, faces)
                    for f in range(n_fields):
                        for i in range(i0, i1, 2):
                            last = min(i + 1, i1 - 1)
                            north = max(i - 1, 0)
                            south = min(last + 1, height - 1)
                            face_row = 2 * (i - i0)
                            if not vector:
                                _update_rows(
                                    dst[f], src[f], s[f], faces, i, last, i0, d[f], lam[f], dt
                                )
                            elif last > i:
                                update_pair(
                                    dst[f], src[f], s[f], faces, i, north, south, face_row,
                                    d[f], lam[f], dt, streaming,
                                )  # fmt: skip
                            else:
                                update_single(
                                    dst[f], src[f], s[f], faces, i, north, south, face_row,
                                    d[f], lam[f], dt, streaming,
                                )  # fmt: skip
                task = claim(counter)
        src = dst
    return src


@numba.njit(cache=True)
def _update_rows(
    dst: np.ndarray,
    src: np.ndarray,
    s: np.ndarray,
    faces: np.ndarray,
    first: int,
    last: int,
    i0: int,
    dk: np.float32,
    lk: np.float32,
    dt: np.float32,
) -> None:
    """Rows ``first .. last`` of one field with the scalar :func:`update_row` (narrow grids)."""
    height = src.shape[0]
    for i in range(first, last + 1):
        face = 2 * (i - i0)
        update_row(
            dst[i], src[i], src[max(i - 1, 0)], src[min(i + 1, height - 1)], s[i],
            faces[face + 1], faces[face + 2], faces[face], dk, lk, dt,
        )  # fmt: skip


@numba.njit(cache=True, parallel=True)
def parallel_copy(dst: np.ndarray, src: np.ndarray, times: int) -> None:
    """``dst[:] = src`` for 1-D arrays, ``times`` over, split over the threads.

    The bandwidth yardstick of the benchmarks: like the stepping kernels, one call makes
    several passes, each a parallel loop.
    """
    for _ in range(times):
        for p in prange(src.shape[0]):
            dst[p] = src[p]
