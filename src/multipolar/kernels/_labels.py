"""Numba kernels that read or write fields by label: zonal sums and source fills.

Labels (a country's or a basin's number per cell) come in runs along the rows, and both
kernels work run by run: they are where a month's readings and sources meet the fields.
"""

from __future__ import annotations

import numba
import numpy as np
from numba import prange

__all__ = ["zonal_sum_partials"]


@numba.njit(cache=True, parallel=True)
def zonal_sum_partials(
    u: np.ndarray, labels: np.ndarray, n_labels: int, n_chunks: int
) -> np.ndarray:
    """Per-chunk float64 sums of each field ``u[f]`` (flattened) over each label.

    Returns ``(n_chunks, N, n_labels)``; chunks are disjoint cell ranges, so threads never
    write the same slot. The caller adds the chunks up. Labels come in runs (a country's
    cells along a row), so each field's cells are first added up along a run, all fields
    side by side (independent additions the CPU overlaps), and a run's sums go to their
    label's slot when the label changes; the order depends on the chunks only.
    """
    n_fields, n_cells = u.shape
    partial = np.zeros((n_chunks, n_fields, n_labels), dtype=np.float64)
    size = (n_cells + n_chunks - 1) // n_chunks
    for chunk in prange(n_chunks):
        start = chunk * size
        stop = min(n_cells, start + size)
        if start >= stop:
            continue
        acc = partial[chunk]
        run = np.zeros(n_fields, dtype=np.float64)
        current = labels[start]
        for p in range(start, stop):
            label = labels[p]
            if label != current:
                for f in range(n_fields):
                    acc[f, current] += run[f]
                    run[f] = 0.0
                current = label
            for f in range(n_fields):
                run[f] += np.float64(u[f, p])
        for f in range(n_fields):
            acc[f, current] += run[f]
    return partial
