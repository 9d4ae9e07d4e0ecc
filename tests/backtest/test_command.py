"""The ``multipolar backtest`` command end to end, and its bad input."""

from __future__ import annotations

import json
import tomllib

import pytest

from multipolar.backtest.calibrate import PARAMETERS, REFINE, latin_hypercube
from multipolar.cli import main


def test_latin_hypercube_covers_every_range_once_per_stratum():
    points = latin_hypercube(8, seed=3)
    for key, (low, high) in PARAMETERS.items():
        values = sorted(p[key] for p in points)
        assert all(low <= v <= high for v in values)
        strata = {min(int((v - low) / (high - low) * 8), 7) for v in values}
        assert strata == set(range(8))


@pytest.mark.slow
def test_backtest_with_calibration_writes_runs_scorecard_fit_and_figure(tmp_path, capsys):
    out = tmp_path / "bt"
    # a shortened history (1992-1998) keeps the test quick; the command is the same
    code = main(
        [
            "backtest",
            "--seeds",
            "1",
            "--calibrate",
            "--samples",
            "2",
            "--out",
            str(out),
            "--json",
            str(tmp_path / "card.json"),
            "--set",
            "run.end=1998-01-01",
        ]
    )
    assert code == 0
    card = json.loads((tmp_path / "card.json").read_text())
    assert card["mode"] == "endogenous" and card["seeds"] == [1]
    assert set(card["periods"]) == {"calibration", "test"}
    assert all(0.0 <= t["probability"] <= 1.0 for t in card["targets"])
    assert card["shifts_total"] == 5
    assert (out / "seed-1" / "events.parquet").is_file()
    assert (out / "seed-1" / "manifest.json").is_file()
    assert (out / "alignment.png").stat().st_size > 0
    fitted = next(out.glob("*_calibrated.toml"))
    values = tomllib.loads(fitted.read_text())
    assert set(values["alignment"]) <= {k.split(".")[1] for k in PARAMETERS}
    assert "Brier" in capsys.readouterr().out
    # two hypercube points, then the grid of each refined key at the best of them
    fits = json.loads((out / "calibration.json").read_text())
    ((key, grid),) = REFINE.items()
    assert len(fits) == 2 + len(grid)
    refined = [f["values"] for f in fits if f["values"][key] != grid[0]]
    assert len(refined) == len(grid) - 1
    assert all(
        {k: v for k, v in r.items() if k != key}
        == {k: v for k, v in refined[0].items() if k != key}
        for r in refined
    )
    skills = [f["brier_skill"] if f["brier_skill"] is not None else -1e9 for f in fits]
    assert skills == sorted(skills, reverse=True)


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (["backtest", "--seeds", "0"], "--seeds"),
        (["backtest", "--calibrate", "--search-seeds", "0"], "--search-seeds"),
        (["backtest", "no_such_scenario.toml", "--seeds", "1"], "no_such_scenario"),
    ],
)
def test_bad_input_is_exit_2_with_one_line(tmp_path, capsys, argv, expected):
    assert main([*argv, "--out", str(tmp_path / "x")]) == 2
    err = capsys.readouterr().err
    assert expected in err and "Traceback" not in err


def test_a_written_fit_loads_and_sets_its_values(tmp_path):
    from multipolar._resources import configs_dir
    from multipolar.backtest.calibrate import Fit, write_fit
    from multipolar.config import load_scenario

    values = {
        "alignment.rate": 0.123,
        "organizations.CSTO.rules.leave_threshold": 0.15,
        "events.usa_afghanistan_war.value": 0.07,
    }
    fit = Fit(values, brier=0.4, brier_skill=0.2, false_changes_per_seed=0.0)
    parent = str(configs_dir() / "history_1992_2024.toml")
    path, fragment = write_fit(fit, parent, tmp_path, {"samples": 1})
    scenario = load_scenario(path)
    assert scenario.alignment.rate == 0.123
    assert "fitted on 1992-2007" in scenario.description and "0.20" in scenario.description
    assert scenario.description != load_scenario(parent).description
    assert scenario.organizations["CSTO"].rules.leave_threshold == 0.15
    assert scenario.organizations["CSTO"].rules.join_threshold == 0.6  # the rest is inherited
    assert len(scenario.events) == len(load_scenario(parent).events)
    war = next(e for e in scenario.events if e.id == "usa_afghanistan_war")
    assert war.value == 0.07
    # the fragment holds the model's parameters, not the history's assumptions, and the
    # default scenario takes them when it extends it
    variant = tmp_path / "variant.toml"
    variant.write_text(
        f'name = "v"\nextends = ["central_asia_2023.toml", "{fragment}"]\n', encoding="utf-8"
    )
    assert "usa_afghanistan_war" not in fragment.read_text(encoding="utf-8")
    default = load_scenario(variant)
    assert default.alignment.rate == 0.123
    assert default.organizations["CSTO"].rules.leave_threshold == 0.15
