"""The per-step finite check: a NaN or inf stops the run, named, with its month."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import numpy as np
import pytest

from multipolar import cli
from multipolar.guards import FiniteGuard, NonFiniteError, first_non_finite


def _model(model_vars: dict[str, list[Any]], tables: dict[str, dict[str, list[Any]]]) -> Any:
    collector = SimpleNamespace(model_vars=model_vars, tables=tables)
    return SimpleNamespace(datacollector=collector, date=dt.date(2024, 3, 1), steps=14)


def test_first_non_finite_skips_finite_values_and_flags_arrays() -> None:
    assert first_non_finite([("a", 1.0), ("b", True), ("c", "text"), ("d", np.ones(3))]) is None
    found = first_non_finite([("a", 1.0), ("b", np.array([1.0, np.inf])), ("c", np.nan)])
    assert found == ("b", np.inf)


def test_guard_names_the_quantity_the_row_and_the_month() -> None:
    tables = {"states": {"iso3": ["KAZ", "KGZ"], "align_RUS": [0.5, float("nan")]}}
    model = _model({"polarity_n_eff": [2.1]}, tables)
    with pytest.raises(NonFiniteError) as caught:
        FiniteGuard().check(model)
    message = str(caught.value)
    assert message.startswith("non-finite value in 2024-03 (step 14): states.align_RUS (KGZ) = nan")
    assert "\n" not in message


def test_guard_reads_only_new_values() -> None:
    series = {"x": [1.0]}
    model = _model(series, {})
    guard = FiniteGuard()
    guard.check(model)
    series["x"].append(float("inf"))
    with pytest.raises(NonFiniteError, match="x = inf"):
        guard.check(model)
    # an old bad value is not reported again, a new finite one passes
    series["x"].append(2.0)
    guard.check(model)


def test_a_run_that_turns_non_finite_exits_1_with_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from multipolar.model import MultipolarModel

    original = MultipolarModel.step

    def step(self: MultipolarModel) -> None:
        original(self)
        if self.steps == 2:
            next(iter(self.states.values())).alignment[:] = np.nan

    monkeypatch.setattr(MultipolarModel, "step", step)
    out = tmp_path / "run"
    args = ["run", "--backend", "numpy", "--steps", "3", "--out", str(out)]
    code = cli.main([*args, "--set", "geography.resolution=1.0"])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 1
    assert len(err) == 1 and err[0].startswith("non-finite value in 2023-03 (step 2): ")
    assert "nan" in err[0]
    assert list(tmp_path.iterdir()) == []


def test_final_fields_are_checked_cell_by_cell() -> None:
    fields = np.zeros((2, 3, 4), dtype=np.float32)
    model = SimpleNamespace(
        field=SimpleNamespace(to_host=lambda: fields),
        channels=["RUS.security", "RUS.economy"],
        date=dt.date(2033, 1, 1),
    )
    FiniteGuard().check_fields(model)
    fields[1, 2, 3] = np.inf
    with pytest.raises(
        NonFiniteError, match=r"2033-01: fields\[RUS.economy\] at cell \(2, 3\) = inf"
    ):
        FiniteGuard().check_fields(model)
