"""Registry of diffusion backends: pick one by name, or ``auto``.

A requested backend that is not available is an error naming those that are; ``auto``
picks ``cupy`` when a CUDA device is present, else ``numba``, else ``numpy``. There is
never a silent fallback from a backend that was asked for by name.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from typing import Any, Protocol, runtime_checkable

from multipolar.kernels import _deps

__all__ = [
    "AUTO_ORDER",
    "Backend",
    "BackendUnavailableError",
    "available_backends",
    "get_backend",
    "registered_backends",
]


@runtime_checkable
class Backend(Protocol):
    """What the model needs from a diffusion backend (docs/model.md §7.9, Diffusion)."""

    name: str
    xp: Any

    def asarray(self, array: Any) -> Any:
        """Move a host array to the backend's device."""

    def to_numpy(self, array: Any) -> Any:
        """Copy a device array back to a NumPy array."""

    def synchronize(self) -> None:
        """Block until queued device work is finished (for timing)."""

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
        """Advance the fields ``u`` by ``steps`` steps of ``scheme`` (into ``out`` if given)."""

    def zonal_sum(self, u: Any, labels: Any, n_labels: int) -> Any:
        """Sum each channel over each label, returning a host array."""

    def fill_by_label(self, table: Any, labels: Any, out: Any) -> None:
        """Write ``table[..., labels[i, j]]`` into every cell ``out[..., i, j]``, in place."""


class BackendUnavailableError(ValueError):
    """A backend was asked for by name but cannot run here."""


@dataclass(frozen=True)
class _Entry:
    probe: Callable[[], bool]
    factory: Callable[[], Backend]
    why_not: str


def _numpy_backend() -> Backend:
    from multipolar.kernels.numpy_ref import NumpyBackend

    return NumpyBackend()


def _numba_backend() -> Backend:
    from multipolar.kernels.numba_cpu import NumbaBackend

    return NumbaBackend()


def _cupy_backend() -> Backend:
    from multipolar.kernels.cupy_gpu import CupyBackend

    return CupyBackend()


_REGISTRY: dict[str, _Entry] = {
    "numpy": _Entry(lambda: True, _numpy_backend, ""),
    "numba": _Entry(
        lambda: _deps.numba_module() is not None, _numba_backend, "numba is not installed"
    ),
    "cupy": _Entry(
        lambda: _deps.cuda_device_count() > 0,
        _cupy_backend,
        "needs CuPy and a CUDA device (pip install 'multipolar[gpu]')",
    ),
}

AUTO_ORDER: tuple[str, ...] = ("cupy", "numba", "numpy")


def registered_backends() -> list[str]:
    """Names of every backend the package knows, available here or not."""
    return list(_REGISTRY)


def available_backends() -> list[str]:
    """Names of the backends that can run on this machine."""
    return [name for name, entry in _REGISTRY.items() if entry.probe()]


@cache
def get_backend(name: str = "auto") -> Backend:
    """Return the backend called ``name`` (``auto``: the fastest available one)."""
    if name == "auto":
        name = next(n for n in AUTO_ORDER if _REGISTRY[n].probe())
    entry = _REGISTRY.get(name)
    if entry is None:
        raise BackendUnavailableError(
            f"unknown backend {name!r}; choose from auto, {', '.join(_REGISTRY)}"
        )
    if not entry.probe():
        raise BackendUnavailableError(
            f"backend {name!r} is not available here ({entry.why_not}); "
            f"available: {', '.join(available_backends())}"
        )
    return entry.factory()
