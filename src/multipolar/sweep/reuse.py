"""Per-worker reuse of built models: a run of a scenario seen before skips the construction.

Building a :class:`~multipolar.model.MultipolarModel` (the parameter override and its
validation, the source layout, the 24-month spin-up of the fields, the first collection)
costs about as much as a fifth of a twelve-month run's steps. Replicates of one sweep point
build the same model but for the seed, and the construction draws no random numbers, so a
worker keeps, per scenario, the model as built (pickled the way a checkpoint is) and gives
each later run of that scenario a copy with the run's seed.

The cache is keyed on everything the construction depends on: the base scenario (by its
content), the run's parameter values and the backend; a run whose scenario differs in any
value gets its own entry, so nothing is ever served from another scenario. A copy is a
fresh model in every respect (its own arrays, agents and tables); only the objects a
model never modifies are shared: the geography rasters and the backend, as they already
are between the runs of a worker, and the frozen scenario objects. A model is kept only on
the second run of its scenario (a sweep of unique points pays nothing), only if its
construction drew no random numbers (checked), and within a bounded size.
"""

from __future__ import annotations

import hashlib
import io
import json
import pickle
import random
import threading
from collections import OrderedDict
from collections.abc import Hashable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
from pydantic import BaseModel

from multipolar.checkpoint import _Pickler, _Unpickler

if TYPE_CHECKING:
    from multipolar.config import Scenario
    from multipolar.kernels import Backend
    from multipolar.model import MultipolarModel

__all__ = ["CacheStats", "clear", "new_model", "stats"]

MAX_MODELS = 8
MAX_BYTES = 256 * 2**20
MAX_SCENARIOS = 16
MAX_SEEN = 4096

Params = tuple[tuple[str, Any], ...]


@dataclass
class CacheStats:
    """How this worker built its models: fresh, from a kept model, and models kept."""

    built: int = 0
    copied: int = 0
    kept: int = 0


class _Kept:
    """One built model, pickled, and the shared objects its pickle refers to."""

    def __init__(self, model: MultipolarModel) -> None:
        self.shared: list[Any] = [model.backend, model.geography]  # backend first: see below
        buffer = io.BytesIO()
        _SharingPickler(buffer, self.shared).dump(model)
        self.data = buffer.getvalue()

    def copy(self) -> MultipolarModel:
        return _SharingUnpickler(io.BytesIO(self.data), self.shared).load()


class _SharingPickler(_Pickler):
    """The checkpoint pickler, leaving out the objects copies may share (by position).

    Those are ``shared`` (the backend and the rasters) and every frozen pydantic object
    (the scenario and its parts), which is appended to ``shared`` as it is met.
    """

    def __init__(self, file: io.BytesIO, shared: list[Any]) -> None:
        super().__init__(file, protocol=pickle.HIGHEST_PROTOCOL)
        self._shared = shared
        self._index = {id(obj): i for i, obj in enumerate(shared)}

    def persistent_id(self, obj: Any) -> Any:  # noqa: D102 - pickle protocol
        index = self._index.get(id(obj))
        if index is None and isinstance(obj, BaseModel) and obj.model_config.get("frozen"):
            index = self._index[id(obj)] = len(self._shared)
            self._shared.append(obj)
        return ("shared", index) if index is not None else super().persistent_id(obj)


class _SharingUnpickler(_Unpickler):
    def __init__(self, file: io.BytesIO, shared: list[Any]) -> None:
        super().__init__(file)
        self._shared = shared

    def persistent_load(self, pid: Any) -> Any:  # noqa: D102 - pickle protocol
        kind, value = pid
        if kind == "shared":
            return self._shared[value]
        if kind == "device":  # onto the model's own backend, not a new one per copy
            return self._shared[0].asarray(np.asarray(value))
        return super().persistent_load(pid)


_stats = CacheStats()
_models: OrderedDict[Hashable, _Kept] = OrderedDict()
_scenarios: OrderedDict[Hashable, Scenario] = OrderedDict()
_seen: OrderedDict[Hashable, int] = OrderedDict()  # runs built per scenario; -1: not kept
_base_keys: dict[int, tuple[Scenario, str]] = {}
_lock = threading.Lock()  # a worker may run tasks in several threads: the stores are shared


def stats() -> CacheStats:
    """This worker's counts so far."""
    return CacheStats(_stats.built, _stats.copied, _stats.kept)


def clear() -> None:
    """Forget every kept model, scenario and count (tests; a worker never needs to)."""
    with _lock:
        for store in (_models, _scenarios, _seen, _base_keys):
            store.clear()
        _stats.built = _stats.copied = _stats.kept = 0


def _base_key(base: Scenario) -> str:
    """A digest of the base scenario's content (computed once per scenario object)."""
    with _lock:
        known = _base_keys.get(id(base))
    if known is not None and known[0] is base:
        return known[1]
    text = json.dumps(base.model_dump(mode="json"), sort_keys=True)
    key = hashlib.sha256(text.encode()).hexdigest()
    with _lock:
        if len(_base_keys) >= MAX_SCENARIOS:
            _base_keys.clear()
        _base_keys[id(base)] = (base, key)  # the object is kept so that its id is not reused
    return key


def _remember(store: OrderedDict[Hashable, Any], key: Hashable, value: Any, limit: int) -> None:
    store[key] = value
    store.move_to_end(key)
    while len(store) > limit:
        store.popitem(last=False)


def _scenario(base: Scenario, params: Params, key: Hashable) -> Scenario:
    """The run's scenario: the base with the parameters set, validated once per worker."""
    from multipolar.config import override

    if not params:
        return base
    with _lock:
        scenario = _scenarios.get(key)
        if scenario is not None:
            _scenarios.move_to_end(key)
    if scenario is None:
        scenario = override(base, dict(params), label="sweep")
        with _lock:
            _remember(_scenarios, key, scenario, MAX_SCENARIOS)
    return scenario


def _draws_untouched(model: MultipolarModel, seed: int) -> bool:
    """Whether the model's generators are still as seeded (the construction drew nothing)."""
    fresh = np.random.default_rng(seed).bit_generator.state
    return (
        model.rng.bit_generator.state == fresh
        and model.random.getstate() == random.Random(seed).getstate()
    )


def _reseed(model: MultipolarModel, seed: int) -> None:
    """Give a copy the generators ``mesa.Model.__init__(rng=seed)`` gives a new model.

    In place, so that whatever holds the model's generators (its agent sets hold
    ``model.random``) holds the reseeded ones.
    """
    model.rng.bit_generator.state = np.random.default_rng(seed).bit_generator.state
    model.random.seed(seed)
    model._rng = model.rng.bit_generator.state
    model._seed = seed
    model.scenario = type(model.scenario)(rng=seed)


def _total_bytes() -> int:
    return sum(len(kept.data) for kept in _models.values())


def _kept(model: MultipolarModel, seed: int) -> _Kept | None:
    """The model pickled for copying, or None when it cannot be copied faithfully."""
    if not _draws_untouched(model, seed):
        return None
    try:
        return _Kept(model)
    except Exception:  # noqa: BLE001 - something unpicklable: this scenario is built every run
        return None


def _keep(key: Hashable, model: MultipolarModel, seed: int) -> None:
    kept = _kept(model, seed)
    with _lock:
        if kept is None or len(kept.data) > MAX_BYTES // 4:
            _seen[key] = -1  # a random construction, or too large: every run builds its own
            return
        _remember(_models, key, kept, MAX_MODELS)
        while _total_bytes() > MAX_BYTES:
            _models.popitem(last=False)
        _stats.kept += 1


def new_model(base: Scenario, params: Params, seed: int, backend: Backend) -> MultipolarModel:
    """A model of ``base`` with ``params`` set, seeded with ``seed``, ready to step.

    Identical to ``MultipolarModel(scenario=override(base, params), backend=backend,
    rng=seed)``, from a copy of a kept model when this worker has built the same scenario
    before.

    Raises:
        ScenarioError: the parameter values make an invalid scenario.
    """
    from multipolar.model import MultipolarModel

    key = (_base_key(base), json.dumps(params, default=repr), backend.name)
    with _lock:
        kept = _models.get(key)
        if kept is not None:
            _models.move_to_end(key)
            _stats.copied += 1
    if kept is not None:
        model = kept.copy()
        _reseed(model, seed)
        return model
    scenario = _scenario(base, params, key)
    model = MultipolarModel(scenario=scenario, backend=backend, rng=seed)
    with _lock:
        _stats.built += 1
        seen = _seen.get(key, 0)
        if seen >= 0:
            _remember(_seen, key, seen + 1, MAX_SEEN)
    if seen >= 1:  # the second run of this scenario here: keep its model for the next ones
        _keep(key, model, seed)
    return model
