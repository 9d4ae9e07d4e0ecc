"""scripts/slurm_sweep.py: the SLURM job options, and the one-worker-per-GPU node recipe."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "slurm_sweep.py"


@pytest.fixture(scope="module")
def script():
    spec = importlib.util.spec_from_file_location("slurm_sweep", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_slurm_jobs_ask_for_one_gpu_and_advertise_it(script, tmp_path):
    args = script.parse(
        [
            "slurm",
            "s.toml",
            "--jobs",
            "8",
            "--partition",
            "gpu",
            "--account",
            "p1",
            "--sbatch=--constraint=h100",
            "--logs",
            str(tmp_path),
        ]
    )
    options = script.slurm_options(args)
    assert options["job_extra_directives"] == ["--gres=gpu:1", "--constraint=h100"]
    assert options["worker_extra_args"][:2] == ["--resources", "GPU=1"]
    assert options["processes"] == 1
    assert (options["queue"], options["account"]) == ("gpu", "p1")
    assert args.jobs == 8 and args.backend == "cupy"


def test_gpus_come_from_the_flag_or_the_environment(script, monkeypatch):
    assert script.visible_gpus(3) == ["0", "1", "2"]
    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "2, 5")
    assert script.visible_gpus() == ["2", "5"]


def test_node_workers_are_pinned_one_per_gpu(script):
    specs = script.node_worker_specs(["0", "3"])
    assert [s["options"]["env"] for s in specs.values()] == [
        {"CUDA_VISIBLE_DEVICES": "0"},
        {"CUDA_VISIBLE_DEVICES": "3"},
    ]
    assert all(s["options"]["resources"] == {"GPU": 1} for s in specs.values())
