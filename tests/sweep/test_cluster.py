from __future__ import annotations

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
