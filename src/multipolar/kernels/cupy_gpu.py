"""CuPy backend: the diffusion and zonal-sum kernels of ``kernels/*.cu`` on an NVIDIA GPU.

Fields stay on the device: :meth:`CupyBackend.asarray` uploads, :meth:`CupyBackend.to_numpy`
downloads, ``diffuse`` ping-pongs between two device buffers allocated once per call, and
``zonal_sum`` reduces on the device and returns only the small ``(K, n_labels)`` (or
``(B, K, n_labels)``) table. All B ensemble members run in the same launch (grid z).
Several steps are fused into one launch with temporal blocking in shared memory
(``diffuse_tiled``), which matters most on small grids where launches dominate.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from multipolar.kernels import _deps
from multipolar.kernels._cuda_source import (
    MAX_SUBSTEPS,
    TILE_H,
    TILE_W,
    compile_options,
    cuda_source,
)
from multipolar.kernels.contract import check_diffuse_args, check_zonal_args

__all__ = ["CupyBackend"]

_STEP_BLOCK = (32, 8, 1)
_TILED_BLOCK = (32, 8, 1)
_ZONAL_THREADS = 256
_SHARED_BYTES = 48 * 1024


def _blocks(extent: int, size: int) -> int:
    return (extent + size - 1) // size


class CupyBackend:
    """GPU backend on CuPy with CUDA C kernels compiled by NVRTC for the current device.

    Args:
        time_block: Steps fused per launch by temporal blocking (1 to ``MAX_SUBSTEPS``);
            1 launches ``diffuse_step`` once per step.

    Raises:
        RuntimeError: CuPy or a CUDA device is missing.
    """

    name = "cupy"

    def __init__(self, time_block: int = 4) -> None:
        """Compile the kernels for the current device; see the class docstring."""
        cp = _deps.cupy_module()
        if cp is None or _deps.cuda_device_count() == 0:
            raise RuntimeError("the cupy backend needs CuPy and a CUDA device")
        if not 1 <= time_block <= MAX_SUBSTEPS:
            raise ValueError(f"time_block must lie in [1, {MAX_SUBSTEPS}], got {time_block}")
        self.xp: Any = cp
        self.time_block = time_block
        device = cp.cuda.Device()
        self.compute_capability = str(device.compute_capability)
        self._sm_count = int(device.attributes["MultiProcessorCount"])
        options = compile_options(self.compute_capability)
        diffusion = cp.RawModule(code=cuda_source("diffusion.cu"), options=options)
        zonal = cp.RawModule(code=cuda_source("zonal.cu"), options=options)
        self._step = diffusion.get_function("diffuse_step")
        self._tiled = diffusion.get_function("diffuse_tiled")
        self._zonal_shared = zonal.get_function("zonal_sum_shared")
        self._zonal_global = zonal.get_function("zonal_sum_global")

    def asarray(self, array: Any) -> Any:
        """Upload ``array`` to the device (no copy when it already is a CuPy array)."""
        return self.xp.asarray(array)

    def to_numpy(self, array: Any) -> np.ndarray:
        """Download ``array`` into a NumPy array."""
        return self.xp.asnumpy(array)

    def synchronize(self) -> None:
        """Block until the work queued on the current stream is finished."""
        self.xp.cuda.get_current_stream().synchronize()

    def diffuse(self, u: Any, c: Any, s: Any, D: Any, lam: Any, dt: float, steps: int) -> Any:
        """Advance ``u`` by ``steps`` explicit updates on the device; ``u`` is untouched."""
        n_channels, n_batch = check_diffuse_args(u, c, s, D, lam, dt, steps)
        cp = self.xp
        u = cp.ascontiguousarray(cp.asarray(u))
        if steps == 0 or u.size == 0:
            return u.copy()
        c = cp.ascontiguousarray(cp.asarray(c))
        s = cp.ascontiguousarray(cp.asarray(s))
        d = cp.asarray(D, dtype=cp.float32)
        k = cp.asarray(lam, dtype=cp.float32)
        height, width = c.shape
        shape = (np.int32(n_channels), np.int32(height), np.int32(width))
        n_launches = _blocks(steps, self.time_block)
        buf_a = cp.empty_like(u)
        buffers = (buf_a, cp.empty_like(u) if n_launches > 1 else buf_a)
        src = u
        for launch in range(n_launches):
            dst = buffers[launch % 2]
            substeps = min(self.time_block, steps - launch * self.time_block)
            if substeps == 1:
                grid = (_blocks(width, _STEP_BLOCK[0]), _blocks(height, _STEP_BLOCK[1]), n_batch)
                self._step(grid, _STEP_BLOCK, (src, dst, c, s, d, k, np.float32(dt), *shape))
            else:
                grid = (_blocks(width, TILE_W), _blocks(height, TILE_H), n_batch)
                args = (src, dst, c, s, d, k, np.float32(dt), *shape, np.int32(substeps))
                self._tiled(grid, _TILED_BLOCK, args)
            src = dst
        return src

    def zonal_sum(self, u: Any, labels: Any, n_labels: int) -> np.ndarray:
        """Sum each channel over each label on the device; returns float64 ``(K, n_labels)``.

        With ensemble fields ``(B, K, H, W)`` the result is ``(B, K, n_labels)``. Pass
        ``labels`` as a device int32 array to avoid an upload and a conversion per call.
        """
        check_zonal_args(u, labels, n_labels)
        cp = self.xp
        flat_labels = cp.ascontiguousarray(cp.asarray(labels).reshape(-1)).astype(
            cp.int32, copy=False
        )
        if flat_labels.size and (int(flat_labels.min()) < 0 or int(flat_labels.max()) >= n_labels):
            raise ValueError(f"labels must lie in [0, {n_labels})")
        lead = tuple(u.shape[:-2])
        n_fields = int(np.prod(lead))
        n_cells = int(flat_labels.size)
        fields = cp.ascontiguousarray(cp.asarray(u)).reshape(n_fields, n_cells)
        out = cp.zeros((n_fields, n_labels), dtype=cp.float64)
        if n_cells:
            grid = (min(_blocks(n_cells, _ZONAL_THREADS), 8 * self._sm_count), n_fields, 1)
            args = (fields, flat_labels, out, np.int64(n_cells), np.int32(n_labels))
            shared = 8 * n_labels
            if shared <= _SHARED_BYTES:
                self._zonal_shared(grid, (_ZONAL_THREADS, 1, 1), args, shared_mem=shared)
            else:
                self._zonal_global(grid, (_ZONAL_THREADS, 1, 1), args)
        return cp.asnumpy(out).reshape(*lead, n_labels)
