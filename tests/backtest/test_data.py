"""The history data files: every row sourced, every year and date parsed and in range."""

from __future__ import annotations

import csv
import datetime as dt
import tomllib

import pytest

from multipolar.backtest.data import (
    FIRST_YEAR,
    LAST_YEAR,
    history_dir,
    load_history,
    read_series,
    read_targets,
)
from multipolar.config import ScenarioError

SERIES = {
    "gdp_wdi.csv": "gdp_usd_bn",
    "population_wdi.csv": "population_m",
    "milex_sipri.csv": "milex_usd_bn",
}


@pytest.mark.parametrize("name", sorted(SERIES))
def test_series_rows_are_sourced_and_in_range(name):
    path = history_dir() / name
    rows = list(csv.DictReader(path.open(encoding="utf-8")))
    assert rows
    for row in rows:
        assert row["source"].strip()
        assert FIRST_YEAR <= int(row["year"]) <= LAST_YEAR
        assert float(row[SERIES[name]]) > 0
    assert read_series(path, SERIES[name])


def test_targets_and_shifts_are_sourced_and_dated_in_range():
    history = load_history()
    assert history.targets and history.shifts
    low, high = dt.date(FIRST_YEAR, 1, 1), dt.date(LAST_YEAR, 12, 31)
    for t in history.targets:
        assert t.source and low <= t.date <= high
        assert t.occurred or t.window_end is not None
    for s in history.shifts:
        assert s.source and low <= s.start < s.end <= high


def test_facts_file_events_are_sourced_and_in_range():
    facts = tomllib.loads((history_dir() / "facts_1992_2024.toml").read_text(encoding="utf-8"))
    assert facts["events"]
    for event in facts["events"]:
        assert event["source"].strip()
        assert dt.date(FIRST_YEAR, 1, 1) <= event["date"] <= dt.date(LAST_YEAR, 12, 31)
    for site in [*facts["bases"], *facts["projects"]]:
        assert site["source"].strip()


def test_a_bad_row_is_one_clear_line(tmp_path):
    path = tmp_path / "targets.csv"
    path.write_text(
        "id,change,state,organization,base,date,occurred,window_end,source\n"
        "x,leave,UZB,CSTO,,1999-13-01,1,,somewhere\n"
        "y,merge,UZB,CSTO,,1999-01-01,1,,\n",
        encoding="utf-8",
    )
    with pytest.raises(ScenarioError) as info:
        read_targets(path)
    lines = str(info.value).splitlines()
    assert any("row 2: date" in line for line in lines)
    assert any("row 3: change" in line and "choose from" in line for line in lines)
    assert any("row 3: source" in line for line in lines)
    assert all(line.startswith(str(path)) for line in lines)
