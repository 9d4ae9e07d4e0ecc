"""Numba kernels that read or write fields by label: zonal sums and fills from a label table.

Labels (a country's or a basin's number per cell) come in runs along the rows. The zonal
sums find the runs and add each field's values along a run with independent partial sums,
which the CPU overlaps; the fill writes each field's row from the small per-label table.
"""

from __future__ import annotations

import numba
import numpy as np
from numba import prange

__all__ = ["fill_by_label", "zonal_sum_partials"]


@numba.njit(cache=True, fastmath={"reassoc"})
def _run_sum(u: np.ndarray, f: int, start: int, stop: int) -> float:
    """Float64 sum of ``u[f, start:stop]``.

    Reassociated so that LLVM vectorises it, and on unsigned indices, without which the
    check for negative ones keeps it scalar (about ten times slower).
    """
    total = 0.0
    for p in range(np.uint64(start), np.uint64(stop)):
        total += np.float64(u[f, p])
    return total


@numba.njit(cache=True, parallel=True)
def zonal_sum_partials(
    u: np.ndarray, labels: np.ndarray, n_labels: int, n_chunks: int
) -> tuple[np.ndarray, int]:
    """Per-chunk float64 sums of each field ``u[f]`` (flattened) over each label.

    Returns ``(n_chunks, N, n_labels)`` and the number of runs whose label lies outside
    ``[0, n_labels)`` (left out of the sums, for the caller to refuse). Chunks are disjoint
    cell ranges, so threads never write the same slot; the caller adds the chunks up. Within
    a chunk each run of one label is added up field by field (:func:`_run_sum`) into its
    label's slot; the order depends on the chunks only, never on the threads.
    """
    n_fields, n_cells = u.shape
    partial = np.zeros((n_chunks, n_fields, n_labels), dtype=np.float64)
    bad = np.zeros(n_chunks, dtype=np.int64)
    size = (n_cells + n_chunks - 1) // n_chunks
    for chunk in prange(n_chunks):
        start = chunk * size
        stop = min(n_cells, start + size)
        if start >= stop:
            continue
        acc = partial[chunk]
        first = start
        current = labels[start]
        for p in range(start + 1, stop + 1):
            if p < stop and labels[p] == current:
                continue
            if current < 0 or current >= n_labels:
                bad[chunk] += 1
            else:
                for f in range(n_fields):
                    acc[f, current] += _run_sum(u, f, first, p)
            if p < stop:
                first = p
                current = labels[p]
    return partial, int(bad.sum())


@numba.njit(cache=True, parallel=True)
def fill_by_label(table: np.ndarray, labels: np.ndarray, out: np.ndarray) -> int:
    """``out[f, i, j] = table[f, labels[i, j]]``, rows in parallel; returns the bad labels.

    ``table`` is ``(N, n_labels)``, ``labels`` ``(H, W)`` and ``out`` ``(N, H, W)``. A label
    outside ``[0, n_labels)`` is counted and its cells are left as they were, so the caller
    can refuse the call instead of reading outside the table.
    """
    n_fields, height, width = out.shape
    n_labels = table.shape[1]
    bad = np.zeros(height, dtype=np.int64)
    for i in prange(height):
        row = labels[i]
        for j in range(width):
            if row[j] < 0 or row[j] >= n_labels:
                bad[i] += 1
        if bad[i]:
            continue
        for f in range(n_fields):
            values = table[f]
            dst = out[f, i]
            for j in range(width):
                dst[j] = values[row[j]]
    return int(bad.sum())
