"""Checkpoints: the whole model state of a run, written atomically, to resume it later.

A checkpoint is the pickled :class:`~multipolar.model.MultipolarModel` (fields, agents,
memberships, the random generators and every table collected so far) together with the
run's settings. It is generic: nothing here knows the model's attributes. The pickler
replaces three kinds of objects by references that are rebuilt on loading:

- the diffusion backend (it may hold compiled GPU modules): by its name;
- arrays on a GPU (CuPy): by a host copy, moved back to the device on loading;
- modules (``numpy``/``cupy`` kept as ``xp``): by their name.

``cloudpickle`` pickles the DataCollector's reporter lambdas. The file is written to a
temporary name and renamed, so a kill while writing leaves the previous checkpoint intact.
It records the package versions, and a resume with other versions is refused: the promise
is outputs bitwise identical to an uninterrupted run's.
"""

from __future__ import annotations

import importlib
import io
import os
import pickle
import types
from pathlib import Path
from typing import TYPE_CHECKING, Any

import cloudpickle
import numpy as np

from multipolar.io import CHECKPOINT, package_versions
from multipolar.kernels import Backend, get_backend

if TYPE_CHECKING:
    from multipolar.model import MultipolarModel
    from multipolar.runner import RunSettings

__all__ = ["CHECKPOINT_VERSION", "CheckpointError", "load_checkpoint", "save_checkpoint"]

CHECKPOINT_VERSION = 1


class CheckpointError(ValueError):
    """A checkpoint could not be read (bad input: exit status 2)."""


_PLAIN = (int, float, str, bytes, bool, type(None), list, dict, tuple, np.ndarray)


class _Pickler(cloudpickle.Pickler):
    def persistent_id(self, obj: Any) -> Any:  # noqa: D102 - pickle protocol
        kind = type(obj)
        if kind in _PLAIN:
            return None
        if isinstance(obj, types.ModuleType):
            return ("module", obj.__name__)
        module = kind.__module__
        if module.startswith("cupy") and kind.__name__ == "ndarray":
            return ("device", obj.get())
        if module.startswith("multipolar.kernels") and isinstance(obj, Backend):
            return ("backend", obj.name)
        return None


class _Unpickler(pickle.Unpickler):
    def __init__(self, file: io.BufferedIOBase) -> None:
        super().__init__(file)
        self._backends: dict[str, Backend] = {}

    def persistent_load(self, pid: Any) -> Any:  # noqa: D102 - pickle protocol
        kind, value = pid
        if kind == "backend":
            return self._backend(value)
        if kind == "module":
            return importlib.import_module(value)
        if kind == "device":
            return self._backend("cupy").asarray(np.asarray(value))
        raise pickle.UnpicklingError(f"unknown reference {kind!r}")

    def _backend(self, name: str) -> Backend:
        if name not in self._backends:
            self._backends[name] = get_backend(name)
        return self._backends[name]


def save_checkpoint(folder: Path, model: MultipolarModel, settings: RunSettings) -> Path:
    """Write ``model`` and ``settings`` to ``folder/checkpoint.pkl`` atomically."""
    path = Path(folder) / CHECKPOINT
    temporary = path.with_name(f"{CHECKPOINT}.tmp-{os.getpid()}")
    with open(temporary, "wb") as handle:
        _Pickler(handle, protocol=pickle.HIGHEST_PROTOCOL).dump(
            {
                "version": CHECKPOINT_VERSION,
                "packages": package_versions(),
                "model": model,
                "settings": settings,
            }
        )
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(temporary, path)
    return path


def load_checkpoint(folder: Path) -> tuple[MultipolarModel, RunSettings]:
    """Read a checkpoint written by :func:`save_checkpoint`.

    Raises:
        CheckpointError: the file is missing, damaged or from another checkpoint version.
    """
    path = Path(folder) / CHECKPOINT
    try:
        with open(path, "rb") as handle:
            state = _Unpickler(handle).load()
    except Exception as error:  # noqa: BLE001 - any failure to unpickle is a bad checkpoint
        raise CheckpointError(
            f"{path}: cannot read the checkpoint ({type(error).__name__}: {error}); it may come "
            "from another version of multipolar"
        ) from None
    if not isinstance(state, dict) or state.get("version") != CHECKPOINT_VERSION:
        raise CheckpointError(f"{path}: not a checkpoint of this version of multipolar")
    now = package_versions()
    changed = [
        f"{name} {was} -> {now.get(name)}"
        for name, was in state.get("packages", {}).items()
        if now.get(name) != was
    ]
    if changed:
        raise CheckpointError(
            f"{path}: written with other package versions ({', '.join(changed)}); resume it "
            "in the environment that started it, so the outputs stay bitwise identical"
        )
    return state["model"], state["settings"]
