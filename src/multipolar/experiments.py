"""Replicated runs and effect sizes: how far a change moves a metric, in seed-to-seed SDs.

A researcher's first question of any mechanism or variant is whether it moves the outputs
beyond the noise. :func:`replicate` runs one scenario over several seeds (in a process
pool) and keeps each metric's mean over the final 60 months (or over a chosen window of
months); :func:`effect` compares two such replicate sets: the difference of the
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

__all__ = [
    "RESPONSES",
    "Effect",
    "Response",
    "effect",
    "replicate",
    "run_metrics",
    "scenario_of",
]

FINAL = None  # the final 60 months of a run


def run_metrics(
    scenario: Scenario, seed: int, months: tuple[int, int] | None = None, backend: str = "numba"
) -> dict[str, float]:
    """One run's model metrics averaged over steps ``months = (first, last)`` inclusive.

    ``None`` averages over the final 60 months of the run (its second half in the default
    scenario); a window that ends earlier stops the run at its last month.
    """
    from multipolar.model import MultipolarModel

    model = MultipolarModel(scenario=scenario, backend=backend, rng=seed)
    first, last = months if months is not None else (max(1, model.n_steps - 59), model.n_steps)
    for _ in range(last):
        model.step()
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
    import multipolar.model  # noqa: F401  (workers fork with the model loaded and compiled)

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


@dataclass(frozen=True)
class Response:
    """A documented response: a change to the default scenario and the metric it moves.

    ``sign`` is the direction ``docs/model.md`` gives (+1 up, -1 down); ``months`` the
    window of steps the metric is averaged over (None: the final 12 months).
    """

    name: str
    changes: tuple[str, ...] = ()
    metric: str = ""
    sign: int = 1
    months: tuple[int, int] | None = FINAL
    variant: str | None = None
    events: tuple[dict, ...] = ()
    baseline: tuple[str, ...] = ()
    min_size: float = 5.0


HALVE_RUSSIAN_SECURITY = {
    "date": "2023-01-01",
    "kind": "capacity_shock",
    "power": "RUS",
    "domain": "security",
    "factor": 0.5,
}

RESPONSES: tuple[Response, ...] = (
    Response("growth off", ("capability.growth_scale=0",), "ca_share_CHN", -1),
    Response(
        "security dilemma off",
        ("security_dilemma.response=0", "security_dilemma.enlargement_response=0"),
        "ca_level_security",
        -1,
    ),
    Response("statecraft off", ("statecraft.return_on_alignment=0",), "ca_level_economy", -1),
    Response("hedging off", ("alignment.hedging=0",), "pole_polarization", +1),
    Response("balancing off", ("alignment.threat_weight=0",), "pole_polarization", +1),
    Response(
        "institutions off",
        ("alignment.institution_weight=0",),
        "cohesion_CSTO",
        -1,
        months=(1, 24),
    ),
    Response("partnership fixed", ("partnership_dynamics.rate=0",), "partnership_rus_chn", +1),
    Response("cohesion off", ("cohesion.effect=0",), "ca_share_RUS_economy", +1),
    Response(
        "CFE restraint off",
        ("treaties.CFE.restraint=0", "treaties.CFE.suspended_restraint=0"),
        "ca_level_security",
        +1,
        months=(1, 10),
    ),
    Response(
        "partnership starts at 0, not 1",
        ("partnership.RUS-CHN=0",),
        "rivalry_rus_chn_ca",
        +1,
        months=(1, 24),
        baseline=("partnership.RUS-CHN=1",),
    ),
    Response(
        "variant ukraine_war_drain",
        metric="ca_level_security",
        sign=-1,
        months=(1, 60),
        variant="ukraine_war_drain",
    ),
    Response(
        "variant bri_acceleration",
        metric="ca_share_CHN_economy",
        sign=+1,
        variant="bri_acceleration",
    ),
    Response(
        "Russia's security capacity halved",
        metric="ca_share_RUS_security",
        sign=-1,
        events=(HALVE_RUSSIAN_SECURITY,),
    ),
    Response(
        "Russia's security capacity halved",
        metric="ca_alignment_RUS",
        sign=-1,
        min_size=1.0,
        events=(HALVE_RUSSIAN_SECURITY,),
    ),
    Response(
        "China's economic effort doubled",
        ("powers.CHN.effort.economy=0.75",),
        "ca_share_CHN_economy",
        +1,
    ),
    Response(
        "China's economic effort doubled",
        ("powers.CHN.effort.economy=0.75",),
        "ca_alignment_CHN",
        +1,
        min_size=1.0,
    ),
)


def scenario_of(
    response: Response, base: str = "central_asia_2023", baseline: bool = False
) -> Scenario:
    """The scenario a response runs (or, with ``baseline``, the one it is compared with)."""
    from pydantic import TypeAdapter

    from multipolar.config.schema import Event

    if baseline:
        return load_scenario(base, list(response.baseline))
    spec = load_scenario(response.variant or base, list(response.changes))
    if response.events:
        extra = tuple(TypeAdapter(Event).validate_python(e) for e in response.events)
        spec = spec.model_copy(update={"events": spec.events + extra})
    return spec


def effect(baseline: dict[str, np.ndarray], changed: dict[str, np.ndarray], metric: str) -> Effect:
    """Effect of a change on ``metric`` from two replicate sets over the same seeds."""
    a, b = baseline[metric], changed[metric]
    pooled = math.sqrt((np.var(a, ddof=1) + np.var(b, ddof=1)) / 2.0) if len(a) > 1 else 0.0
    return Effect(metric, float(a.mean()), float(b.mean()), pooled)
