"""Dask distributed as the sweep's executor: an embedded LocalCluster or an existing cluster.

The embedded cluster has one single-threaded worker process per core, Numba's kernels
included (``NUMBA_NUM_THREADS=1``: runs in parallel rather than threads fighting over the
cores; the tests check that its tables equal those of an in-process sweep), and listens on
127.0.0.1 only, its HTTP endpoint on a free port.

The embedded scheduler lives in the driver's process, so its debugging logs are kept short:
by default Dask keeps the last thousand messages to each worker, each holding a task with
its base scenario (about a quarter of a MiB once unpickled), which would make the driver's
memory grow with the number of tasks.

On a cluster whose workers advertise a ``GPU`` resource (``dask worker --resources GPU=1``,
as ``scripts/slurm_sweep.py`` starts them), GPU runs ask for one GPU each, so Dask places one
task per GPU.
"""

from __future__ import annotations

import concurrent.futures as cf
import contextlib
import logging
import os
from collections.abc import Iterator
from typing import Any

__all__ = ["dask_executor", "gpu_resources"]

LOG_LENGTH = 10  # Dask's low-level logs (messages to each worker, transitions) when embedded


def _connect(address: str) -> Any:
    """A client of the scheduler at ``address``; an unreachable one is bad input.

    The wait is Dask's ``distributed.comm.timeouts.connect`` (30 s unless configured).
    """
    import dask
    from distributed import Client

    from multipolar.sweep.spec import SweepInputError

    timeout = dask.config.get("distributed.comm.timeouts.connect")
    try:
        return Client(address, timeout=timeout)
    except (OSError, TimeoutError, ValueError) as error:
        message = f"cannot connect to {address}: {' '.join(str(error).split())}"
        raise SweepInputError("--scheduler", message) from None


def gpu_resources(workers: dict[str, Any], backend: str) -> dict[str, float] | None:
    """``{"GPU": 1}`` when runs use a GPU backend and some worker advertises a GPU."""
    if backend not in ("cupy", "auto"):
        return None
    has_gpu = any(w.get("resources", {}).get("GPU", 0) >= 1 for w in workers.values())
    return {"GPU": 1} if has_gpu else None


@contextlib.contextmanager
def dask_executor(
    workers: int | None = None, scheduler: str | None = None, backend: str = "auto"
) -> Iterator[tuple[cf.Executor, int]]:
    """A ``concurrent.futures`` executor on Dask, and the number of workers it has.

    Args:
        workers: worker processes of the embedded cluster (default: one per core); not
            used with ``scheduler``.
        scheduler: address of an existing scheduler (``tcp://host:8786``); None starts an
            embedded ``LocalCluster`` and stops it on exit.
        backend: the runs' backend, to request a ``GPU`` resource for GPU runs.
    """
    import dask
    from distributed import Client, LocalCluster

    with contextlib.ExitStack() as stack:
        if scheduler is None:
            stack.enter_context(
                dask.config.set({"distributed.admin.low-level-log-length": LOG_LENGTH})
            )
            cluster = stack.enter_context(
                LocalCluster(
                    n_workers=workers or os.cpu_count() or 1,
                    threads_per_worker=1,
                    processes=True,
                    host="127.0.0.1",
                    dashboard_address="127.0.0.1:0",  # a free local port rather than 8787
                    silence_logs=logging.ERROR,  # shutdown chatter is not the user's concern
                    env={"NUMBA_NUM_THREADS": "1"},
                )
            )
            client = stack.enter_context(Client(cluster))
        else:
            client = stack.enter_context(_connect(scheduler))
        info = client.scheduler_info()["workers"]
        resources = gpu_resources(info, backend)
        options: dict[str, Any] = {"pure": False}
        if resources:
            options["resources"] = resources
        yield client.get_executor(**options), max(1, len(info))
