from __future__ import annotations

import pytest

from multipolar.sweep.cluster import gpu_resources

GPU = {"resources": {"GPU": 1.0}}
CPU = {"resources": {}}


def test_gpu_runs_ask_for_a_gpu_where_workers_have_one():
    assert gpu_resources({"a": CPU, "b": GPU}, "cupy") == {"GPU": 1}
    assert gpu_resources({"a": GPU}, "auto") == {"GPU": 1}


def test_cpu_runs_and_cpu_clusters_ask_for_nothing():
    assert gpu_resources({"a": GPU}, "numba") is None
    assert gpu_resources({"a": CPU}, "cupy") is None
    assert gpu_resources({}, "cupy") is None


def test_an_unreachable_scheduler_is_bad_input(write_sweep, capsys):
    import socket

    import dask
    import distributed  # noqa: F401 - its config defaults must exist before dask.config.set

    from multipolar.cli import main

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with dask.config.set({"distributed.comm.timeouts.connect": "1s"}):
        code = main(["sweep", str(write_sweep()), "--scheduler", f"tcp://127.0.0.1:{port}"])
    assert code == 2
    err = capsys.readouterr().err
    assert err.startswith(f"--scheduler: cannot connect to tcp://127.0.0.1:{port}")
    assert "Traceback" not in err


@pytest.mark.slow
def test_the_embedded_scheduler_keeps_no_long_history_of_tasks(write_sweep, tmp_path):
    """Dask's default log of the last 1000 messages to each worker would hold every task."""
    from multipolar.sweep import sweep_summary
    from multipolar.sweep.cluster import LOG_LENGTH, dask_executor

    path = write_sweep(months=1, extra="runs_per_task = 1", name="many")
    with dask_executor(1) as (executor, workers):
        scheduler = executor._client.cluster.scheduler
        for n in range(4):  # 16 tasks of one run each
            sweep_summary(path, executor, out=tmp_path / str(n), workers=workers)
        logs = [comm.recent_message_log for comm in scheduler.stream_comms.values()]
        tasks = [m for log in logs for m in log if "compute-task" in str(m)]
    assert logs and all(len(log) <= LOG_LENGTH for log in logs)
    assert len(tasks) < 16
