"""CuPy backend: the diffusion and zonal-sum kernels of ``kernels/*.cu`` on an NVIDIA GPU.

Fields stay on the device: :meth:`CupyBackend.asarray` uploads, :meth:`CupyBackend.to_numpy`
downloads, ``diffuse`` ping-pongs between two device buffers allocated once per call, and
``zonal_sum`` reduces on the device and returns only the small ``(K, n_labels)`` (or
``(B, K, n_labels)``) table. All B ensemble members run in the same launch (grid z).
Several steps are fused into one launch with temporal blocking in shared memory
(``diffuse_tiled``), which matters most on small grids where launches dominate. The implicit
scheme (``kernels/implicit.cu``) launches a row sweep and a column sweep per step, one
thread per line, then rescales each field to its exact total. A caller's ``out`` receives
the last step.
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
from multipolar.kernels.contract import (
    check_diffuse_args,
    check_fill_args,
    check_label_range,
    check_out,
    check_scheme,
    check_zonal_args,
)

__all__ = ["CupyBackend"]

_STEP_BLOCK = (32, 8, 1)
_TILED_BLOCK = (32, 8, 1)
_ZONAL_THREADS = 256
_LINE_THREADS = 128
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
        implicit = cp.RawModule(code=cuda_source("implicit.cu"), options=options)
        self._step = diffusion.get_function("diffuse_step")
        self._tiled = diffusion.get_function("diffuse_tiled")
        self._rows = implicit.get_function("implicit_rows")
        self._columns = implicit.get_function("implicit_columns")
        self._column_sums = implicit.get_function("column_sums")
        self._sum_columns = implicit.get_function("sum_columns")
        self._factors = implicit.get_function("implicit_factors")
        self._scale = implicit.get_function("scale_fields")
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

    def diffuse(
        self,
        u: Any,
        c: Any,
        s: Any,
        D: Any,
        lam: Any,
        dt: float,
        steps: int,
        *,
        scheme: str = "explicit",
        out: Any = None,
    ) -> Any:
        """Advance ``u`` by ``steps`` steps of ``scheme`` on the device; return the new fields.

        ``u`` is untouched unless it is ``out`` (allowed with the implicit scheme only).
        With ``out`` the last step writes there (no copy) and ``out`` is returned.
        """
        n_channels, n_batch = check_diffuse_args(u, c, s, D, lam, dt, steps)
        check_scheme(scheme)
        cp = self.xp
        if out is not None:
            check_out(out, u, scheme, cp.may_share_memory)
        u = cp.ascontiguousarray(cp.asarray(u))
        if steps == 0 or u.size == 0:
            if out is None:
                return u.copy()
            out[...] = u
            return out
        c = cp.ascontiguousarray(cp.asarray(c))
        s = cp.ascontiguousarray(cp.asarray(s))
        if scheme == "implicit":
            target = cp.empty_like(u) if out is None else out
            return self._implicit(u, c, s, D, lam, dt, steps, target, n_batch)
        d = cp.asarray(D, dtype=cp.float32)
        k = cp.asarray(lam, dtype=cp.float32)
        height, width = c.shape
        shape = (np.int32(n_channels), np.int32(height), np.int32(width))
        n_launches = _blocks(steps, self.time_block)
        final = cp.empty_like(u) if out is None else out
        spare = cp.empty_like(u) if n_launches > 1 else final
        buffers = (final, spare) if n_launches % 2 else (spare, final)
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

    def _implicit(
        self,
        u: Any,
        c: Any,
        s: Any,
        D: Any,
        lam: Any,
        dt: float,
        steps: int,
        out: Any,
        n_batch: int,
    ) -> Any:
        """``steps`` implicit steps into ``out``: row sweep, column sweep, rescaling."""
        cp = self.xp
        if cp.may_share_memory(out, u):
            u = u.copy()
        dt32 = np.float32(dt)
        d = cp.asarray(D, dtype=cp.float32)
        k = cp.asarray(lam, dtype=cp.float32)
        n_channels, height, width = (int(n) for n in u.shape[-3:])
        n_fields = n_channels * n_batch
        dims = (np.int32(n_channels), np.int32(height), np.int32(width))
        spare, work = cp.empty_like(u), cp.empty_like(u)
        colsum = cp.empty((n_fields, width), dtype=cp.float64)
        got = cp.empty(n_fields, dtype=cp.float64)
        factor = cp.empty(n_fields, dtype=cp.float32)
        target = self._totals(u, colsum, n_fields, height, width)
        source_total = self._totals(s, colsum, n_fields, height, width)
        block = (_LINE_THREADS, 1, 1)
        rows_grid = (_blocks(height, _LINE_THREADS), n_channels, n_batch)
        columns_grid = (_blocks(width, _LINE_THREADS), n_channels, n_batch)
        fields_grid = (_blocks(n_fields, _LINE_THREADS), 1, 1)
        plane = height * width
        scale_grid = (_blocks(plane, _LINE_THREADS), n_fields, 1)
        src = u
        for step in range(steps):
            x = out if (steps - 1 - step) % 2 == 0 else spare
            self._rows(rows_grid, block, (src, s, x, work, c, d, k, dt32, *dims))
            self._columns(columns_grid, block, (src, x, work, colsum, c, d, dt32, *dims))
            self._sum_columns(fields_grid, block, (colsum, got, dims[2], np.int32(n_fields)))
            args = (got, target, source_total, k, dt32, dims[0], np.int32(n_fields), factor)
            self._factors(fields_grid, block, args)
            self._scale(scale_grid, block, (x, factor, np.int64(plane)))
            src = x
        return out

    def _totals(self, x: Any, colsum: Any, n_fields: int, height: int, width: int) -> Any:
        """Each field's float64 total on the device, in the order of ``ordered_totals``."""
        totals = self.xp.empty(n_fields, dtype=self.xp.float64)
        block = (_LINE_THREADS, 1, 1)
        grid = (_blocks(width, _LINE_THREADS), n_fields, 1)
        self._column_sums(grid, block, (x, colsum, np.int32(height), np.int32(width)))
        args = (colsum, totals, np.int32(width), np.int32(n_fields))
        self._sum_columns((_blocks(n_fields, _LINE_THREADS), 1, 1), block, args)
        return totals

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
        check_label_range(flat_labels, n_labels)
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

    def fill_by_label(self, table: Any, labels: Any, out: Any) -> None:
        """``out[..., i, j] = table[..., labels[i, j]]`` for every cell, on the device."""
        cp = self.xp
        table = cp.asarray(table)
        check_fill_args(table, labels, out)
        n_labels = int(table.shape[-1])
        check_label_range(labels, n_labels)
        flat = out.reshape(-1, *labels.shape)
        cp.take(table.reshape(-1, n_labels), labels, axis=1, out=flat)
