"""Host buffers whose data start on a 64-byte cache line.

The Numba backend writes a step's fields with non-temporal (streaming) stores when every
row of the output starts on a cache line, which needs the buffer itself to start on one;
NumPy's allocator promises only 16 bytes. Its vector loads also run faster from aligned
inputs (no load splits across two lines: 7-11% of an explicit step at 2048² x 6). Fields
that are stepped repeatedly (the model's ping-pong buffers, sources and conductance, the
benchmark's inputs and outputs, the backend's own spares) are allocated here.
"""

from __future__ import annotations

import numpy as np

__all__ = ["LINE_BYTES", "aligned_array", "aligned_empty", "aligned_zeros", "is_aligned"]

LINE_BYTES = 64
"""Cache-line size the buffers are aligned to."""


def aligned_empty(shape: tuple[int, ...]) -> np.ndarray:
    """An uninitialised C-contiguous float32 array whose data start on a 64-byte line.

    (An array of no elements has no data to align.)
    """
    n = int(np.prod(shape, dtype=np.int64))
    pad = LINE_BYTES // 4
    raw = np.empty(n + pad, dtype=np.float32)
    start = (-raw.ctypes.data % LINE_BYTES) // 4
    return raw[start : start + n].reshape(shape)


def aligned_zeros(shape: tuple[int, ...]) -> np.ndarray:
    """A zeroed C-contiguous float32 array whose data start on a 64-byte line."""
    out = aligned_empty(shape)
    out.fill(0)
    return out


def aligned_array(values: np.ndarray) -> np.ndarray:
    """A C-contiguous float32 copy of ``values`` whose data start on a 64-byte line."""
    out = aligned_empty(np.shape(values))
    out[...] = values
    return out


def is_aligned(array: np.ndarray) -> bool:
    """Whether ``array``'s data start on a 64-byte line."""
    return array.ctypes.data % LINE_BYTES == 0
