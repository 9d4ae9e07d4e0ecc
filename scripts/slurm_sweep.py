"""Run a multipolar sweep on GPUs: SLURM jobs (dask-jobqueue) or one multi-GPU node.

Two ways to get one Dask worker per GPU, each advertising a ``GPU=1`` resource so that Dask
places one GPU run at a time on it (``multipolar.sweep`` asks for ``GPU=1`` per task when the
workers advertise it and the backend is ``cupy`` or ``auto``):

SLURM, one job per GPU (needs ``pip install -e ".[cluster]"`` for dask-jobqueue)::

    python scripts/slurm_sweep.py slurm configs/sweeps/alignment_sobol.toml \\
        --jobs 8 --partition gpu --account myproj --walltime 04:00:00 \\
        --cores 8 --memory 32GB --out /scratch/$USER/sobol

Each job runs ``sbatch`` with ``--gres=gpu:1`` and starts one single-threaded worker with
``--resources GPU=1``. The script (the driver) stays on the login node, writes nothing but
the index and manifest itself, and can be rerun with ``--resume`` after a time limit: only
missing runs are run again.

One node with several GPUs::

    python scripts/slurm_sweep.py node configs/sweeps/alignment_sobol.toml --out sweeps/sobol

starts one worker per visible GPU with dask-cuda's ``LocalCUDACluster`` when it is
installed, else one worker process per GPU with ``CUDA_VISIBLE_DEVICES`` set to that GPU.

Both run the sweep with ``--backend cupy`` unless told otherwise, and exit like
``multipolar sweep``: 0, 3 when some runs failed, 2 on bad input.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any


def slurm_options(args: argparse.Namespace) -> dict[str, Any]:
    """Keyword arguments of ``dask_jobqueue.SLURMCluster``: one GPU and one worker per job."""
    options: dict[str, Any] = {
        "cores": args.cores,
        "processes": 1,
        "memory": args.memory,
        "walltime": args.walltime,
        "job_extra_directives": ["--gres=gpu:1", *args.sbatch],
        "worker_extra_args": ["--resources", "GPU=1", "--nthreads", "1"],
        "python": sys.executable,
        "log_directory": str(args.logs),
    }
    if args.partition:
        options["queue"] = args.partition
    if args.account:
        options["account"] = args.account
    return options


def visible_gpus(given: int | None = None) -> list[str]:
    """GPU ids of this node: ``--gpus N``, else ``CUDA_VISIBLE_DEVICES``, else ``nvidia-smi -L``."""
    if given is not None:
        return [str(i) for i in range(given)]
    visible = os.environ.get("CUDA_VISIBLE_DEVICES")
    if visible:
        return [v.strip() for v in visible.split(",") if v.strip()]
    if shutil.which("nvidia-smi") is None:
        return []
    listing = subprocess.run(
        ["nvidia-smi", "-L"], capture_output=True, text=True, timeout=30, check=False
    )
    return [str(i) for i, line in enumerate(listing.stdout.splitlines()) if line.startswith("GPU")]


def node_worker_specs(gpus: list[str]) -> dict[str, dict[str, Any]]:
    """A ``SpecCluster`` worker spec: one single-threaded nanny per GPU, pinned to it."""
    from distributed import Nanny

    return {
        f"gpu{gpu}": {
            "cls": Nanny,
            "options": {
                "nthreads": 1,
                "env": {"CUDA_VISIBLE_DEVICES": gpu},
                "resources": {"GPU": 1},
            },
        }
        for gpu in gpus
    }


@contextlib.contextmanager
def slurm_cluster(args: argparse.Namespace) -> Iterator[str]:
    """Start ``args.jobs`` SLURM jobs (one worker, one GPU each); yield the scheduler address."""
    from dask_jobqueue import SLURMCluster
    from distributed import Client

    args.logs.mkdir(parents=True, exist_ok=True)
    with SLURMCluster(**slurm_options(args)) as cluster:
        print(cluster.job_script(), file=sys.stderr)
        cluster.scale(jobs=args.jobs)
        with Client(cluster) as client:
            print(f"waiting for a first worker from {args.jobs} SLURM jobs", file=sys.stderr)
            client.wait_for_workers(1, timeout=args.queue_timeout)
        yield cluster.scheduler_address


@contextlib.contextmanager
def node_cluster(args: argparse.Namespace) -> Iterator[str]:
    """One worker per GPU of this node; yield the scheduler address."""
    from distributed import Client

    gpus = visible_gpus(args.gpus)
    if not gpus:
        raise SystemExit("node: no GPU visible (nvidia-smi -L lists none); use --gpus N")
    try:
        from dask_cuda import LocalCUDACluster
    except ImportError:
        from distributed import Scheduler, SpecCluster

        scheduler = {"cls": Scheduler, "options": {"dashboard_address": None}}
        cluster: Any = SpecCluster(workers=node_worker_specs(gpus), scheduler=scheduler)
    else:
        cluster = LocalCUDACluster(
            CUDA_VISIBLE_DEVICES=",".join(gpus),
            threads_per_worker=1,
            resources={"GPU": 1},
            dashboard_address=None,
        )
    with cluster, Client(cluster) as client:
        client.wait_for_workers(len(gpus), timeout=120)
        yield cluster.scheduler_address


def parse(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="where", required=True)
    slurm = sub.add_parser("slurm", help="one SLURM job per GPU (dask-jobqueue)")
    node = sub.add_parser("node", help="one worker per GPU of this node")
    for p in (slurm, node):
        p.add_argument("sweep", help="sweep file")
        p.add_argument("--out", type=Path, default=None)
        p.add_argument("--resume", action="store_true")
        p.add_argument("--backend", default="cupy")
        p.add_argument("--steps", type=int, default=None)
    slurm.add_argument("--jobs", type=int, default=4, help="SLURM jobs, one GPU each")
    slurm.add_argument("--partition", default=None)
    slurm.add_argument("--account", default=None)
    slurm.add_argument("--walltime", default="02:00:00")
    slurm.add_argument("--cores", type=int, default=4, help="CPU cores per job")
    slurm.add_argument("--memory", default="16GB", help="memory per job")
    slurm.add_argument("--sbatch", action="append", default=[], help="extra #SBATCH line")
    slurm.add_argument("--logs", type=Path, default=Path("slurm-logs"))
    slurm.add_argument("--queue-timeout", type=float, default=3600.0)
    node.add_argument("--gpus", type=int, default=None, help="GPUs to use (default: all)")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    from multipolar.cli import main as multipolar

    args = parse(argv)
    start = slurm_cluster if args.where == "slurm" else node_cluster
    expected = args.jobs if args.where == "slurm" else len(visible_gpus(args.gpus))
    with start(args) as address:
        command = ["sweep", args.sweep, "--scheduler", address, "--backend", args.backend]
        command += ["--workers", str(expected)]  # size tasks for every GPU, not the first
        if args.out is not None:
            command += ["--out", str(args.out)]
        if args.resume:
            command.append("--resume")
        if args.steps is not None:
            command += ["--steps", str(args.steps)]
        return multipolar(command)


if __name__ == "__main__":
    sys.exit(main())
