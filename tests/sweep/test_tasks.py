from __future__ import annotations

import pickle

import pytest

from multipolar.sweep import load_sweep
from multipolar.sweep import tasks as sweep_tasks
from multipolar.sweep.execute import _context
from multipolar.sweep.layout import BASE
from multipolar.sweep.plan import build_plan
from multipolar.sweep.tasks import TaskSpec


@pytest.fixture
def task(write_sweep, tmp_path, monkeypatch):
    """A task of the tiny sweep as the driver makes it, with no base scenario read yet."""
    monkeypatch.setattr(sweep_tasks, "_bases", {})
    sweep = load_sweep(write_sweep())
    out = tmp_path / "out"
    context = _context(sweep, out)
    return sweep, TaskSpec(str(out), "t", context, build_plan(sweep).runs, "a")


def test_a_task_sent_to_a_worker_names_the_base_scenario_rather_than_carrying_it(task):
    sweep, spec = task
    data = pickle.dumps(spec)
    assert len(data) < len(pickle.dumps(sweep.base)) / 4
    first, second = pickle.loads(data), pickle.loads(data)
    assert first.context.base == sweep.base
    assert first.context.base is second.context.base  # read once per worker
    assert first == second and first.runs == spec.runs


def test_a_base_file_that_is_not_the_sweeps_is_refused(task, tmp_path):
    _, spec = task
    data = pickle.dumps(spec)
    (tmp_path / "out" / BASE).write_bytes(pickle.dumps("another scenario"))
    with pytest.raises(ValueError, match="not the base scenario of this sweep"):
        pickle.loads(data)


def test_in_process_the_context_holds_the_scenario_itself(task):
    sweep, spec = task
    assert spec.context.base is sweep.base
