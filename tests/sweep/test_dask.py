"""Sweeps on a real Dask cluster: a scheduler and two worker processes started here."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import polars as pl
import pytest

from multipolar.cli import main
from multipolar.sweep import load, run_sweep, sweep_summary
from multipolar.sweep.plan import build_plan
from multipolar.sweep.spec import load_sweep

pytestmark = pytest.mark.slow
HOST = "127.0.0.1"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


@dataclass
class Cluster:
    address: str
    workers: dict[str, subprocess.Popen]  # worker address -> process
    processes: list[subprocess.Popen]


def _start(args: list[str], log: Path) -> subprocess.Popen:
    with open(log, "wb") as out:
        return subprocess.Popen(
            [sys.executable, "-m", *args],
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,  # its own process group, stopped as a whole below
        )


def _stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    from distributed import Client

    logs = tmp_path_factory.mktemp("dask-logs")
    port = _free_port()
    address = f"tcp://{HOST}:{port}"
    processes = [
        _start(
            [
                "distributed.cli.dask_scheduler",
                "--host",
                HOST,
                "--port",
                str(port),
                "--no-dashboard",
            ],
            logs / "scheduler.log",
        )
    ]
    workers = {}
    try:
        for i in range(2):
            worker_port = _free_port()
            process = _start(
                [
                    "distributed.cli.dask_worker",
                    address,
                    "--host",
                    HOST,
                    "--worker-port",
                    str(worker_port),
                    "--nthreads",
                    "1",
                    "--no-nanny",
                    "--no-dashboard",
                    "--name",
                    f"w{i}",
                ],
                logs / f"worker{i}.log",
            )
            processes.append(process)
            workers[f"tcp://{HOST}:{worker_port}"] = process
        with Client(address, timeout="30s") as client:
            client.wait_for_workers(2, timeout=90)
            assert set(client.scheduler_info()["workers"]) == set(workers)
        yield Cluster(address, workers, processes)
    finally:
        for process in reversed(processes):
            _stop(process)


SWEEP = """
[sweep]
name = "dask"
scenario = "central_asia_2023.toml"
set = ["geography.resolution=1.0"]
months = {months}
seed = 4
replicates = 2
runs_per_task = 2
[sweep.parameters]
"alignment.rate" = [0.05, 0.1, 0.2]
[sweep.outputs]
tables = ["model", "states"]
"""


def _table(out: Path, name: str) -> pl.DataFrame:
    return load(out, name).collect().sort("run_id", "step", *(["iso3"] if name == "states" else []))


def _same_results(first: Path, second: Path) -> None:
    for name in ("model", "states"):
        a, b = _table(first, name), _table(second, name)
        assert a.columns == b.columns
        assert a.equals(b), name


def test_sweep_on_the_cluster_matches_a_local_sweep(cluster, write_sweep, serial, tmp_path, capsys):
    path = write_sweep(SWEEP.format(months=3))
    local = run_sweep(path, serial, out=tmp_path / "local")
    out = tmp_path / "dask"
    assert main(["sweep", str(path), "--scheduler", cluster.address, "--out", str(out)]) == 0
    assert f"outputs: {out}" in capsys.readouterr().out
    runs = pl.read_parquet(out / "runs.parquet")
    assert sorted(runs["run_id"]) == sorted(build_plan(load_sweep(path)).run_ids)
    assert set(runs["status"]) == {"ok"}
    assert set(runs["worker"]) <= set(cluster.workers)
    assert load(out).collect().group_by("run_id").len()["len"].to_list() == [4] * 6
    _same_results(local, out)


def test_failed_runs_on_the_cluster_exit_3(cluster, write_sweep, tmp_path, capsys):
    text = SWEEP.format(months=1).replace('tables = ["model", "states"]', 'metrics = ["nope*"]')
    path = write_sweep(text)
    out = tmp_path / "out"
    assert main(["sweep", str(path), "--scheduler", cluster.address, "--out", str(out)]) == 3
    assert "6 failed" in capsys.readouterr().out
    errors = pl.read_parquet(out / "runs.parquet")["error"]
    assert errors.str.contains("'nope\\*' matches no model column").all()


def test_a_killed_worker_loses_no_run_and_duplicates_none(cluster, write_sweep, serial, tmp_path):
    from distributed import Client

    path = write_sweep(SWEEP.format(months=60))  # tasks of about a second
    result = {}

    def drive() -> None:
        result["summary"] = sweep_summary(
            path, out=tmp_path / "dask", scheduler=cluster.address, progress=False
        )

    driver = threading.Thread(target=drive)
    driver.start()
    victim = None
    with Client(cluster.address) as client:
        deadline = time.monotonic() + 120
        while victim is None and time.monotonic() < deadline:
            busy = [w for w, keys in client.processing().items() if keys and w in cluster.workers]
            victim = busy[0] if busy else None
            time.sleep(0.05)
    assert victim is not None, "no worker ever got a task"
    time.sleep(0.1)  # inside its first task, which lasts about a second
    cluster.workers[victim].send_signal(signal.SIGKILL)
    assert cluster.workers[victim].wait(timeout=10) == -signal.SIGKILL
    driver.join(timeout=300)
    assert not driver.is_alive()
    summary = result["summary"]
    assert (summary.ran, summary.failed) == (6, 0)
    out = tmp_path / "dask"
    runs = pl.read_parquet(out / "runs.parquet")
    assert set(runs["status"]) == {"ok"}
    assert victim not in set(runs["worker"])  # killed in its first task, which ran again
    counts = load(out).collect().group_by("run_id").len()
    assert sorted(counts["run_id"]) == sorted(runs["run_id"])
    assert set(counts["len"]) == {61}
    local = run_sweep(path, serial, out=tmp_path / "local")
    _same_results(local, out)


def test_a_terminated_driver_exits_143_and_resume_completes_the_rest(
    cluster, write_sweep, tmp_path, capsys
):
    path = write_sweep(SWEEP.format(months=12).replace("runs_per_task = 2", "runs_per_task = 1"))
    out = tmp_path / "out"
    command = [
        sys.executable,
        "-m",
        "multipolar.cli",
        "sweep",
        str(path),
        "--scheduler",
        cluster.address,
        "--out",
        str(out),
    ]
    driver = subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True
    )
    try:
        deadline = time.monotonic() + 120
        while not list((out / "records").glob("part-*.parquet")) and time.monotonic() < deadline:
            time.sleep(0.05)
        driver.send_signal(signal.SIGTERM)
        _, err = driver.communicate(timeout=180)
    finally:
        _stop(driver)
    assert driver.returncode == 143, err.decode()
    assert b"Traceback" not in err, err.decode()
    assert b"interrupted by SIGTERM; completed runs are kept" in err
    assert pl.read_parquet(out / "runs.parquet").height == 6
    assert (
        main(["sweep", str(path), "--scheduler", cluster.address, "--out", str(out), "--resume"])
        == 0
    )
    line = capsys.readouterr().out.splitlines()[0]
    ran, done = int(line.split()[1]), int(line.split("(")[1].split()[0])
    assert done >= 1 and ran + done == 6
    counts = load(out).collect().group_by("run_id").len()
    assert counts.height == 6 and set(counts["len"]) == {13}


def test_the_embedded_local_cluster_matches_a_local_sweep(write_sweep, serial, tmp_path, capsys):
    path = write_sweep(SWEEP.format(months=2))
    out = tmp_path / "embedded"
    assert main(["sweep", str(path), "--workers", "2", "--out", str(out)]) == 0
    assert capsys.readouterr().out.startswith("sweep: 6 runs in ")
    assert pl.read_parquet(out / "runs.parquet")["worker"].str.starts_with("tcp://127.0.0.1:").all()
    _same_results(run_sweep(path, serial, out=tmp_path / "local"), out)
