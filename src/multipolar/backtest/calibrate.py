"""Fit free parameters on 1992-2007 alone, by a sampled search.

Method: a Latin hypercube (:class:`scipy.stats.qmc.LatinHypercube`, seeded) of ``samples``
points over the ranges in :data:`PARAMETERS`, then a grid over each key of :data:`REFINE`
at the best point so far; each point runs the history in the
endogenous mode from 1992-01 to 2008-01 (nothing after 2007 is seen) over ``seeds`` seeds,
in a process pool, and is scored by the Brier skill score of the calibration period (ties
broken by fewer false changes): the skill, because it equals one minus the sum of squared
errors over the number of real changes, so points with different false changes compare.
The best point is written twice: as a scenario file that extends the history scenario with
every fitted value, so ``multipolar backtest <that file>`` judges it on 2008-2024; and as
``fitted_parameters.toml``, the model's own parameters alone (not the history's assumptions
in :data:`SCENARIO_ONLY`), the file that the bundled default and history scenarios extend.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from multipolar.backtest.changes import changes_from_tables, scheduled_record
from multipolar.backtest.data import Target
from multipolar.backtest.scorer import Change, score
from multipolar.backtest.series import SeriesCapabilities
from multipolar.config import Scenario, override

__all__ = [
    "CALIBRATION_END",
    "PARAMETERS",
    "REFINE",
    "SCENARIO_ONLY",
    "Fit",
    "calibrate",
    "latin_hypercube",
    "write_fit",
]

# free parameters and their search ranges: alignment dynamics (the least constrained part), the
# CSTO's exit threshold (the rule behind most targets), the hosts' base-eviction ratio, and the
# US's regional weight before and during the war in Afghanistan (assumptions of the scenario).
# The threat weight stays below the default security need (0.8), as docs/model.md §7.4 requires:
# a power's presence must attract its host more than it makes the host balance against it.
PARAMETERS: dict[str, tuple[float, float]] = {
    "alignment.rate": (0.02, 0.3),
    "alignment.temperature": (0.2, 1.5),
    "alignment.threat_weight": (0.0, 0.75),
    "alignment.institution_weight": (0.0, 2.0),
    "alignment.adversary_weight": (0.0, 2.0),
    "alignment.noise": (0.0, 0.6),
    "organizations.CSTO.rules.leave_threshold": (0.05, 0.4),
    "base_rules.evict_ratio": (0.3, 0.9),
    "powers.USA.regional_weight": (0.02, 0.15),
    "events.usa_afghanistan_war.value": (0.05, 0.3),
}
# searched after the hypercube, one at a time on a grid at its best point: switches whose
# "off" value (0) the hypercube could only reach by chance
REFINE: dict[str, tuple[float, ...]] = {
    "organizations.CSTO.rules.leave_ratio": (0.0, 0.5, 0.6, 0.7, 0.8),
}
# assumptions of the history scenario, fitted with the rest but not shared with other scenarios
SCENARIO_ONLY = ("powers.USA.regional_weight", "events.usa_afghanistan_war.value")
CALIBRATION_END = dt.date(2008, 1, 1)
FRAGMENT = "fitted_parameters.toml"


@dataclass(frozen=True)
class Fit:
    """One evaluated point of the search."""

    values: dict[str, float]
    brier: float
    brier_skill: float | None
    false_changes_per_seed: float


def latin_hypercube(
    samples: int, seed: int, parameters: dict[str, tuple[float, float]] = PARAMETERS
) -> list[dict[str, float]]:
    """``samples`` points of a seeded Latin hypercube over ``parameters``' ranges."""
    from scipy.stats import qmc

    unit = qmc.LatinHypercube(d=len(parameters), seed=seed).random(samples)
    low = [lo for lo, _ in parameters.values()]
    high = [hi for _, hi in parameters.values()]
    scaled = qmc.scale(unit, low, high)
    return [
        {key: round(float(x), 4) for key, x in zip(parameters, row, strict=True)} for row in scaled
    ]


def _run_changes(job: tuple[Scenario, dict[str, float], int, str]) -> list[Change]:
    """Run one (point, seed) to 2008-01 in memory and return its changes."""
    from multipolar.io import model_tables
    from multipolar.model import MultipolarModel

    scenario, values, seed, backend = job
    end = min(scenario.run.end, CALIBRATION_END)
    scenario = override(scenario, {**values, "run.seed": seed, "run.end": end.isoformat()})
    model = MultipolarModel(scenario=scenario, backend=backend)
    capabilities = SeriesCapabilities(scenario)
    capabilities.update(model.date)
    model.world.capabilities = capabilities
    for _ in range(model.n_steps):
        model.step()
    tables = model_tables(model)
    return changes_from_tables(tables["states"], tables["events"])


def _ranked(fits: list[Fit]) -> list[Fit]:
    # the skill, not the Brier score itself: points differ in their false changes, hence in
    # their items, and only 1 - B / B_ref = 1 - (sum of squared errors) / (real changes) is
    # comparable across them (each false change adds its squared probability)
    return sorted(
        fits,
        key=lambda f: (
            -(f.brier_skill if f.brier_skill is not None else -1e9),
            f.false_changes_per_seed,
        ),
    )


def _evaluate(
    scenario: Scenario,
    targets: Sequence[Target],
    points: list[dict[str, float]],
    seeds: Sequence[int],
    backend: str,
    workers: int,
) -> list[Fit]:
    """Score each point on 1992-2007 over ``seeds``, in the order given."""
    for values in points:
        override(scenario, values)  # a bad range fails here, before any run
    jobs = [(scenario, values, seed, backend) for values in points for seed in seeds]
    if workers <= 1:
        results = [_run_changes(job) for job in jobs]
    else:
        with ProcessPoolExecutor(max_workers=workers) as pool:
            results = list(pool.map(_run_changes, jobs))
    early = [t for t in targets if t.date < CALIBRATION_END]
    record = scheduled_record(scenario)
    fits = []
    for i, values in enumerate(points):
        runs = results[i * len(seeds) : (i + 1) * len(seeds)]
        period = score(early, runs, record=record).periods["calibration"]
        fits.append(Fit(values, period.brier, period.brier_skill, period.false_changes_per_seed))
    return fits


def calibrate(
    scenario: Scenario,
    targets: Sequence[Target],
    samples: int = 16,
    seeds: Sequence[int] = (1, 2),
    backend: str = "numba",
    workers: int = 1,
    sample_seed: int = 2005,
    refine: dict[str, tuple[float, ...]] = REFINE,
) -> list[Fit]:
    """Fit on 1992-2007: a Latin hypercube, then a grid over each ``refine`` key in turn.

    Returns every evaluated point, best first. ``scenario`` must already be in the
    endogenous mode.
    """
    start = {key: grid[0] for key, grid in refine.items()}
    points = [{**values, **start} for values in latin_hypercube(samples, sample_seed)]
    fits = _ranked(_evaluate(scenario, targets, points, seeds, backend, workers))
    for key, grid in refine.items():
        best = fits[0].values
        points = [{**best, key: value} for value in grid]
        fits = _ranked(fits + _evaluate(scenario, targets, points, seeds, backend, workers))
    return fits


def _toml_lines(values: dict[str, float]) -> list[str]:
    """``values`` (dotted keys) as TOML tables; ``events.<id>.<field>`` merges by the id."""
    tables: dict[str, dict[str, float]] = {}
    events: dict[str, dict[str, float]] = {}
    for key, value in values.items():
        section, _, name = key.partition(".")
        if section == "events":
            event, _, field = name.partition(".")
            events.setdefault(event, {})[field] = value
        else:
            tables.setdefault(section, {})[name] = value
    lines: list[str] = []
    for section, entries in tables.items():
        lines += ["", f"[{section}]", *(f"{k} = {v!r}" for k, v in entries.items())]
    for event, entries in events.items():
        fields = [f"{k} = {v!r}" for k, v in entries.items()]
        lines += ["", "[[events]]", f'id = "{event}"', *fields]
    return lines


def write_fit(fit: Fit, extends: str, folder: Path, about: dict[str, Any]) -> tuple[Path, Path]:
    """Write the fit: a scenario extending ``extends`` with every value, and the shared fragment.

    Returns:
        The calibrated scenario's path and the ``fitted_parameters.toml`` fragment's path.
    """
    header = [
        "# Written by `multipolar backtest --calibrate`: free parameters fitted on 1992-2007",
        "# only (Latin hypercube search, docs/validation.md).",
        *(f"# {k}: {v}" for k, v in about.items()),
        f"# calibration-period Brier score {fit.brier:.4f}, skill {fit.brier_skill}, "
        f"false changes per seed {fit.false_changes_per_seed:g}",
    ]
    folder.mkdir(parents=True, exist_ok=True)
    scenario = folder / f"{Path(extends).stem}_calibrated.toml"
    scenario.write_text(
        "\n".join(
            [
                *header,
                f"# Judge it on 2008-2024 with `multipolar backtest {scenario.name}`.",
                "",
                f'name = "{Path(extends).stem}_calibrated"',
                f'description = "{Path(extends).stem} with its free parameters fitted on '
                f"1992-2007 by multipolar backtest --calibrate (Brier skill {fit.brier_skill:.2f} "
                f'on 1992-2007); judge it on 2008-2024."',
                f'extends = "{extends}"',
                *_toml_lines(fit.values),
            ]
        )
        + "\n",
        encoding="utf-8",
    )
    shared = {k: v for k, v in fit.values.items() if k not in SCENARIO_ONLY}
    fragment = folder / FRAGMENT
    fragment.write_text(
        "\n".join(
            [
                *header,
                "# The model's parameters alone (not the history's assumptions): the bundled",
                "# default and history scenarios extend this file; copy it to configs/ to adopt",
                "# it.",
                *_toml_lines(shared),
            ]
        )
        + "\n",
        encoding="utf-8",
    )
    return scenario, fragment
