"""Sensitivity indices of a finished sweep with SALib: Sobol' or Morris, per output metric.

A metric's value for a run is its value at the final month, or its mean over the last
``window`` months; replicates of a point are averaged. Sobol' sweeps give first-order and
total indices with bootstrap confidence intervals; Morris sweeps give mu* (with its
confidence interval) and sigma. A metric that does not vary across the sweep gets indices of
zero: no parameter moves it.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl

from multipolar.sweep.layout import INDEX, MANIFEST, PLAN
from multipolar.sweep.spec import SweepInputError

__all__ = ["INDEX_COLUMNS", "analyze", "bar_chart", "point_outputs"]

INDEX_COLUMNS = {
    "sobol": ("S1", "S1_conf", "ST", "ST_conf"),
    "morris": ("mu_star", "mu_star_conf", "sigma", "mu"),
}
_NOT_METRICS = {"step", "date", "run_id", "replicate", "seed"}


def _bad(where: Path | str, message: str) -> SweepInputError:
    return SweepInputError(where, message)


def _manifest(out_dir: Path) -> dict[str, Any]:
    path = out_dir / MANIFEST
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise _bad(out_dir, f"not a sweep folder (no {MANIFEST})") from None
    except (OSError, ValueError) as error:
        raise _bad(path, f"unreadable: {error}") from None


def point_outputs(
    out_dir: Path, names: Sequence[str], metrics: Sequence[str], window: int = 1
) -> tuple[np.ndarray, pl.DataFrame]:
    """Parameter matrix ``X`` (points in sampler order) and each metric per point.

    Raises:
        SweepInputError: a metric is unknown, or some point has no completed run.
    """
    from multipolar.sweep.api import load

    model_folder = out_dir / "model"
    if not any(model_folder.glob("part-*.parquet")):
        raise _bad(out_dir, "no completed runs (model/ is empty)")
    lazy = load(out_dir)
    columns = lazy.collect_schema()
    unknown = [m for m in metrics if m not in columns]
    if unknown:
        known = ", ".join(c for c in columns if c not in _NOT_METRICS and c not in names)
        raise _bad(f"--metric {unknown[0]}", f"no such metric in {out_dir}; known: {known}")
    per_run = (
        lazy.select("run_id", "step", *metrics)
        .filter(pl.col("step") > pl.col("step").max().over("run_id") - window)
        .group_by("run_id")
        .agg(pl.col(metrics).cast(pl.Float64).mean())
    )
    plan = pl.scan_parquet(out_dir / PLAN)
    per_point = (
        plan.join(per_run, on="run_id", how="left")
        .group_by("point")
        .agg(pl.col(metrics).mean(), pl.col(metrics[0]).is_null().any().alias("_missing"))
        .sort("point")
        .collect()
    )
    missing = int(per_point["_missing"].sum())
    if missing:
        raise _bad(
            out_dir,
            f"{missing} of {per_point.height} points lack a completed run; "
            "complete the sweep (multipolar sweep ... --resume) first",
        )
    runs = pl.read_parquet(out_dir / INDEX, columns=["run_id", *names])
    x = (
        pl.read_parquet(out_dir / PLAN)
        .join(runs, on="run_id", how="left")
        .group_by("point")
        .agg(pl.col(names).first())
        .sort("point")
        .select(names)
        .to_numpy()
        .astype(float)
    )
    return x, per_point.select(metrics)


def analyze(
    out_dir: str | Path,
    metrics: Sequence[str] = (),
    window: int = 1,
    seed: int = 0,
) -> pl.DataFrame:
    """Sensitivity indices of ``metrics`` (default: every numeric model metric).

    Returns:
        One row per (metric, parameter), with the method's index columns.

    Raises:
        SweepInputError: the folder is not a Sobol' or Morris sweep, a metric is unknown,
            or some point has no completed run.
    """
    from SALib.analyze import morris, sobol

    out_dir = Path(out_dir)
    manifest = _manifest(out_dir)
    sweep = manifest["sweep"]
    method = sweep["sampler"]["method"]
    if method not in INDEX_COLUMNS:
        raise _bad(out_dir, f"sensitivity needs a sobol or morris sweep, not {method!r}")
    if window < 1:
        raise _bad("--window", "must be at least 1")
    names = list(sweep["parameters"])
    problem = {
        "num_vars": len(names),
        "names": names,
        "bounds": [[sweep["parameters"][n]["low"], sweep["parameters"][n]["high"]] for n in names],
    }
    if not metrics:
        metrics = _default_metrics(out_dir, names)
    x, outputs = point_outputs(out_dir, names, list(metrics), window)
    rows = []
    for metric in metrics:
        y = outputs[metric].to_numpy().astype(float)
        if np.ptp(y) <= 1e-12 * max(1.0, float(np.abs(y).max())):
            indices = {c: np.zeros(len(names)) for c in INDEX_COLUMNS[method]}
        elif method == "sobol":
            indices = sobol.analyze(problem, y, calc_second_order=False, seed=seed)
        else:
            levels = sweep["sampler"]["levels"]
            indices = morris.analyze(problem, x, y, num_levels=levels, seed=seed)
        for i, name in enumerate(names):
            row = {"metric": metric, "parameter": name}
            row.update({c: float(indices[c][i]) for c in INDEX_COLUMNS[method]})
            rows.append(row)
    return pl.DataFrame(rows)


def _default_metrics(out_dir: Path, names: Sequence[str]) -> list[str]:
    from multipolar.sweep.api import load

    schema = load(out_dir).collect_schema()
    return [
        c
        for c, dtype in schema.items()
        if c not in _NOT_METRICS and c not in names and dtype.is_numeric()
    ]


def bar_chart(table: pl.DataFrame, path: Path) -> Path:
    """One panel per metric: total and first-order indices (Sobol') or mu* (Morris)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    metrics = table["metric"].unique(maintain_order=True).to_list()
    sobol_table = "ST" in table.columns
    fig, axes = plt.subplots(len(metrics), 1, figsize=(7, 1.2 + 0.35 * table.height), squeeze=False)
    for ax, metric in zip(axes[:, 0], metrics, strict=True):
        part = table.filter(pl.col("metric") == metric)
        y = np.arange(part.height)
        if sobol_table:
            ax.barh(y - 0.2, part["ST"], 0.4, xerr=part["ST_conf"], label="total (ST)")
            ax.barh(y + 0.2, part["S1"], 0.4, xerr=part["S1_conf"], label="first order (S1)")
        else:
            ax.barh(y, part["mu_star"], 0.6, xerr=part["mu_star_conf"], label="mu*")
        ax.set_yticks(y, part["parameter"].to_list())
        ax.invert_yaxis()
        ax.set_title(metric, fontsize=10)
        ax.legend(fontsize=8, loc="lower right")
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path
