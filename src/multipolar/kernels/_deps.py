"""Probe optional accelerator dependencies once, so no other module imports them speculatively."""

from __future__ import annotations

import importlib
from functools import cache
from types import ModuleType

__all__ = ["cuda_device_count", "cupy_module", "numba_module"]


@cache
def numba_module() -> ModuleType | None:
    """Return the ``numba`` module, or None when it is not installed."""
    try:
        return importlib.import_module("numba")
    except ImportError:
        return None


@cache
def cupy_module() -> ModuleType | None:
    """Return the ``cupy`` module, or None when it is not installed or cannot load CUDA."""
    try:
        return importlib.import_module("cupy")
    except Exception:  # noqa: BLE001 - a broken CUDA install raises more than ImportError
        return None


@cache
def cuda_device_count() -> int:
    """Number of CUDA devices CuPy can use (0 without CuPy, a driver or a device)."""
    cp = cupy_module()
    if cp is None:
        return 0
    try:
        return int(cp.cuda.runtime.getDeviceCount())
    except Exception:  # noqa: BLE001 - no driver raises a CUDARuntimeError
        return 0
