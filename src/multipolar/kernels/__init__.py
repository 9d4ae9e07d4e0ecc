"""Diffusion backends for the influence fields (docs/model.md §7.9, Diffusion).

Plain array code: this package imports neither Mesa nor Polars, and it is the only place
that knows about Numba and CuPy. Pick a backend with :func:`get_backend`.
"""

from __future__ import annotations

from multipolar.kernels.contract import max_stable_dt
from multipolar.kernels.registry import (
    Backend,
    BackendUnavailableError,
    available_backends,
    get_backend,
    registered_backends,
)

__all__ = [
    "Backend",
    "BackendUnavailableError",
    "available_backends",
    "get_backend",
    "max_stable_dt",
    "registered_backends",
]
