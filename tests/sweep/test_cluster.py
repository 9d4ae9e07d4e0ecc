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
