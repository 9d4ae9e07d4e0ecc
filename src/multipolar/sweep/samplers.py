"""Parameter points for a sweep: a full grid of listed values, or SALib samples of ranges.

The samplers are SALib's, seeded from the sweep seed, so the same sweep file always gives the
same points; :mod:`multipolar.sweep.sensitivity` analyses the results in the same order.
"""

from __future__ import annotations

import itertools
from typing import Any

import numpy as np

from multipolar.sweep.spec import Range, Sweep

__all__ = ["problem", "sample_points"]


def problem(sweep: Sweep) -> dict[str, Any]:
    """The SALib problem dict (names and bounds) of a sampled sweep."""
    ranges = {k: v for k, v in sweep.parameters.items() if isinstance(v, Range)}
    return {
        "num_vars": len(ranges),
        "names": list(ranges),
        "bounds": [[r.low, r.high] for r in ranges.values()],
    }


def sample_points(sweep: Sweep) -> list[dict[str, Any]]:
    """Every parameter point of the sweep, in sampler order (one dict per point)."""
    method = sweep.method
    if method == "grid":
        keys = list(sweep.parameters)
        values = [sweep.parameters[k] for k in keys]
        return [dict(zip(keys, combo, strict=True)) for combo in itertools.product(*values)]
    matrix = sample_matrix(sweep)
    names = problem(sweep)["names"]
    return [{name: float(x) for name, x in zip(names, row, strict=True)} for row in matrix]


def sample_matrix(sweep: Sweep) -> np.ndarray:
    """SALib's sample matrix for a sampled sweep (rows are points)."""
    from SALib.sample import latin, morris, sobol

    spec = sweep.settings.sampler
    prob = problem(sweep)
    seed = sweep.settings.seed
    if sweep.method == "sobol":
        return sobol.sample(prob, spec.samples, calc_second_order=False, seed=seed)
    if sweep.method == "morris":
        return morris.sample(prob, spec.samples, num_levels=spec.levels, seed=seed)
    return latin.sample(prob, spec.samples, seed=seed)
