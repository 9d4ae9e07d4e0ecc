"""Benchmarks of `multipolar sweep` (docs/benchmarks.md, section "Sweeps").

    .venv/bin/python scripts/bench_sweep.py throughput --runs 24 --months 12
    .venv/bin/python scripts/bench_sweep.py overhead --runs 200 --months 12
    .venv/bin/python scripts/bench_sweep.py overhead --runs 200 --months 12 --unique
    .venv/bin/python scripts/bench_sweep.py memory --runs 100 1000

throughput: the same sweep on an embedded LocalCluster with 1 and with 2 workers, after a
warm-up sweep on each (JIT compilation and raster caches are per worker process, once).
overhead: wall time of a 1-worker sweep against the sum of its runs' step times (and of
their whole run times: model construction, with its spin-up, plus steps plus tables). The
sweep is two values times N/2 replicates, so a worker builds each scenario's model twice and
copies it for the other replicates; with --unique every run has its own value of the
parameter (a Latin hypercube of N points, one replicate), so every run builds its model.
memory: peak resident memory of the driver process (sampled every 20 ms) for short runs.
Each prints one JSON line per measurement.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import polars as pl

SWEEP = """
[sweep]
name = "bench"
scenario = "central_asia_2023.toml"
set = ["geography.resolution={resolution}"]
months = {months}
seed = 1
replicates = {replicates}
[sweep.parameters]
"alignment.rate" = [{values}]
"""
WARM_VALUES = "0.07, 0.09"  # not the measured sweep's: no model kept by a worker carries over

UNIQUE = """
[sweep]
name = "bench"
scenario = "central_asia_2023.toml"
set = ["geography.resolution={resolution}"]
months = {months}
seed = 1
replicates = 1
[sweep.sampler]
method = "lhs"
samples = {runs}
[sweep.parameters]
"alignment.rate" = {{ low = 0.05, high = 0.1 }}
"""


def _sweep_file(
    folder: Path,
    runs: int,
    months: int,
    resolution: float,
    unique: bool = False,
    values: str = "0.05, 0.1",
) -> Path:
    path = folder / f"bench-{runs}-{months}{'-unique' if unique else ''}.toml"
    if unique:
        text = UNIQUE.format(resolution=resolution, months=months, runs=runs)
    else:
        replicates = max(1, runs // 2)
        text = SWEEP.format(
            resolution=resolution, months=months, replicates=replicates, values=values
        )
    path.write_text(text)
    return path


def _sweep(path: Path, out: Path, executor, workers: int):
    from multipolar.sweep import sweep_summary

    shutil.rmtree(out, ignore_errors=True)
    return sweep_summary(path, executor, out=out, workers=workers, progress=False)


def throughput(args: argparse.Namespace, folder: Path) -> None:
    from multipolar.sweep.cluster import dask_executor

    path = _sweep_file(folder, args.runs, args.months, args.resolution)
    warm = _sweep_file(folder, 4, 1, args.resolution, values=WARM_VALUES)
    for workers in (1, 2):
        with dask_executor(workers) as (executor, n):
            _sweep(warm, folder / "warm", executor, n)
            summary = _sweep(path, folder / f"w{workers}", executor, n)
        runs = pl.read_parquet(folder / f"w{workers}" / "runs.parquet")
        print(
            json.dumps(
                {
                    "bench": "throughput",
                    "workers": workers,
                    "runs": summary.total,
                    "months": args.months,
                    "resolution": args.resolution,
                    "wall_s": round(summary.seconds, 2),
                    "runs_per_s": round(summary.total / summary.seconds, 3),
                    "mean_run_s": round(runs["seconds"].mean(), 3),
                    "busy": round(float(runs["seconds"].sum()) / (summary.seconds * workers), 3),
                }
            ),
            flush=True,
        )


def overhead(args: argparse.Namespace, folder: Path) -> None:
    from multipolar.sweep import load_sweep
    from multipolar.sweep.cluster import dask_executor
    from multipolar.sweep.plan import build_plan

    path = _sweep_file(folder, args.runs, args.months, args.resolution, args.unique)
    warm = _sweep_file(folder, 4, 1, args.resolution, values=WARM_VALUES)
    build_plan(load_sweep(path))  # the sampler's import (SALib, about 1 s): once, not per run
    with dask_executor(1) as (executor, n):
        _sweep(warm, folder / "warm", executor, n)
        summary = _sweep(path, folder / "o", executor, n)
    runs = pl.read_parquet(folder / "o" / "runs.parquet")
    steps, whole = float(runs["steps_s"].sum()), float(runs["seconds"].sum())
    print(
        json.dumps(
            {
                "bench": "overhead",
                "unique": args.unique,
                "workers": 1,
                "runs": summary.total,
                "months": args.months,
                "resolution": args.resolution,
                "wall_s": round(summary.seconds, 2),
                "sum_steps_s": round(steps, 2),
                "sum_run_s": round(whole, 2),
                "wall_over_steps": round(summary.seconds / steps, 3),
                "wall_over_runs": round(summary.seconds / whole, 3),
            }
        ),
        flush=True,
    )


def _peak_rss_child(runs: int, workers: int, resolution: float, folder: Path) -> None:
    import psutil

    from multipolar.sweep.cluster import dask_executor

    me = psutil.Process()
    peak = [me.memory_info().rss]
    done = threading.Event()

    def sample() -> None:
        while not done.is_set():
            peak[0] = max(peak[0], me.memory_info().rss)
            time.sleep(0.02)

    from multipolar.sweep import load_sweep
    from multipolar.sweep.plan import build_plan

    path = _sweep_file(folder, runs, 1, resolution)
    build_plan(load_sweep(_sweep_file(folder, 2, 1, resolution)))  # imports, not results
    with dask_executor(workers) as (executor, n):
        before = me.memory_info().rss
        watcher = threading.Thread(target=sample, daemon=True)
        watcher.start()
        summary = _sweep(path, folder / f"m{runs}", executor, n)
        done.set()
        watcher.join()
    print(
        json.dumps(
            {
                "bench": "memory",
                "runs": summary.total,
                "workers": workers,
                "months": 1,
                "wall_s": round(summary.seconds, 1),
                "driver_rss_before_mib": round(before / 2**20, 1),
                "driver_peak_rss_mib": round(peak[0] / 2**20, 1),
                "growth_mib": round((peak[0] - before) / 2**20, 1),
            }
        ),
        flush=True,
    )


def memory(args: argparse.Namespace, folder: Path) -> None:
    for runs in args.counts:
        subprocess.run(
            [
                sys.executable,
                __file__,
                "_memory_child",
                str(runs),
                str(args.resolution),
                str(folder),
            ],
            check=True,
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="bench", required=True)
    for name in ("throughput", "overhead"):
        p = sub.add_parser(name)
        p.add_argument("--runs", type=int, default=24 if name == "throughput" else 200)
        p.add_argument("--months", type=int, default=12)
        p.add_argument("--resolution", type=float, default=0.5)
        if name == "overhead":
            p.add_argument("--unique", action="store_true", help="every run its own scenario")
    p = sub.add_parser("memory")
    p.add_argument("--runs", dest="counts", type=int, nargs="+", default=[100, 1000])
    p.add_argument("--resolution", type=float, default=1.0)
    if len(sys.argv) > 1 and sys.argv[1] == "_memory_child":
        _peak_rss_child(int(sys.argv[2]), 2, float(sys.argv[3]), Path(sys.argv[4]))
        return
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-sweep-") as tmp:
        {"throughput": throughput, "overhead": overhead, "memory": memory}[args.bench](
            args, Path(tmp)
        )


if __name__ == "__main__":
    main()
