"""Replicated runs and effect sizes: how far a change moves a metric, in seed-to-seed SDs.

A researcher's first question of any mechanism or variant is whether it moves the outputs
beyond the noise. :func:`replicate` runs one scenario over several seeds (in a process
pool) and keeps each metric's mean over the final ``window`` months (or over a chosen
window of months); :func:`effect` compares two such replicate sets: the difference of the
means and that difference over the pooled seed-to-seed standard deviation.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from multipolar.config import Scenario, load_scenario

__all__ = ["Effect", "effect", "replicate", "run_metrics"]


def run_metrics(
    scenario: Scenario, seed: int, months: tuple[int, int] | None = None, backend: str = "numba"
) -> dict[str, float]:
    """One run's model metrics averaged over steps ``months = (first, last)`` inclusive.

    ``None`` averages over the final 12 months of the run.
    """
    from multipolar.model import MultipolarModel

    model = MultipolarModel(scenario=scenario, backend=backend, rng=seed)
    for _ in range(model.n_steps):
        model.step()
    first, last = months if months is not None else (model.n_steps - 11, model.n_steps)
    out: dict[str, float] = {}
    for name, values in model.datacollector.model_vars.items():
        window = values[first : last + 1]
        if window and isinstance(window[0], int | float):
            out[name] = float(np.mean(window))
    return out


def _run(args: tuple[Scenario, int, tuple[int, int] | None, str]) -> dict[str, float]:
    return run_metrics(*args)


def replicate(
    scenario: Scenario | str | Path,
    seeds: Sequence[int],
    overrides: Sequence[str] = (),
    months: tuple[int, int] | None = None,
    workers: int = 1,
    backend: str = "numba",
) -> dict[str, np.ndarray]:
    """Each metric over ``seeds``: ``{metric: array of one value per seed}``."""
    spec = scenario if isinstance(scenario, Scenario) else load_scenario(scenario, list(overrides))
    jobs = [(spec, seed, months, backend) for seed in seeds]
    if workers > 1:
        with ProcessPoolExecutor(max_workers=workers) as pool:
            rows = list(pool.map(_run, jobs))
    else:
        rows = [_run(job) for job in jobs]
    return {name: np.array([row[name] for row in rows]) for name in rows[0]}


@dataclass(frozen=True)
class Effect:
    """A change's effect on one metric: difference of means and its size in seed SDs."""

    metric: str
    baseline: float
    changed: float
    seed_sd: float

    @property
    def delta(self) -> float:
        """Changed mean minus baseline mean."""
        return self.changed - self.baseline

    @property
    def size(self) -> float:
        """``delta`` over the pooled seed-to-seed SD (inf when both are noiseless)."""
        if self.seed_sd > 0:
            return self.delta / self.seed_sd
        return 0.0 if self.delta == 0 else math.copysign(math.inf, self.delta)


def effect(baseline: dict[str, np.ndarray], changed: dict[str, np.ndarray], metric: str) -> Effect:
    """Effect of a change on ``metric`` from two replicate sets over the same seeds."""
    a, b = baseline[metric], changed[metric]
    pooled = math.sqrt((np.var(a, ddof=1) + np.var(b, ddof=1)) / 2.0) if len(a) > 1 else 0.0
    return Effect(metric, float(a.mean()), float(b.mean()), pooled)
