"""The history scenario runs on numba and, scheduled, reproduces every dated membership."""

from __future__ import annotations

import datetime as dt

import polars as pl
import pytest

from multipolar.backtest.data import load_history
from multipolar.backtest.modes import resolve_scenario
from multipolar.backtest.runner import run_one
from multipolar.config import load_scenario

pytestmark = pytest.mark.slow


def _month_applied(date: dt.date) -> dt.date:
    """An event takes effect on the first month start on or after its date."""
    if date.day == 1:
        return date
    return dt.date(date.year + date.month // 12, date.month % 12 + 1, 1)


@pytest.fixture(scope="module")
def scheduled_run(tmp_path_factory):
    scenario = resolve_scenario("history_1992_2024.toml", "scheduled", load_history().targets)
    out = tmp_path_factory.mktemp("history") / "seed-1"
    return scenario, run_one((scenario, 1, "numba", out, {"mode": "scheduled"}))


def test_the_history_scenario_validates():
    scenario = load_scenario("history_1992_2024.toml")
    assert scenario.run.start == dt.date(1992, 1, 1)
    assert scenario.run.end == dt.date(2025, 1, 1)


def test_scheduled_mode_reproduces_every_dated_membership(scheduled_run):
    scenario, run_dir = scheduled_run
    states = pl.read_parquet(run_dir / "states.parquet")
    assert states["date"].max() == dt.date(2025, 1, 1)
    record = sorted(
        (e for e in scenario.events if e.kind in ("join", "leave", "suspend")),
        key=lambda e: e.date,
    )
    initial = {(org, s) for org, spec in scenario.organizations.items() for s in spec.members}
    for date in states["date"].unique().sort():
        active = set(initial)
        for event in record:
            if _month_applied(event.date) > date:
                break
            key = (event.organization, event.state)
            if event.kind == "join":
                active.add(key)
            else:
                active.discard(key)
        modelled = {
            (org, iso3)
            for iso3, members in states.filter(pl.col("date") == date)
            .select("iso3", "memberships")
            .iter_rows()
            for org in filter(None, (members or "").split(","))
        }
        assert modelled == active, date


def test_scheduled_changes_are_all_events_and_bases_close_on_time(scheduled_run):
    _, run_dir = scheduled_run
    events = pl.read_parquet(run_dir / "events.parquet")
    assert "cause" in events.columns
    assert set(events["cause"].unique()) <= {"event", "initial"}
    closed = events.filter(pl.col("kind") == "base_close")
    dates = dict(zip(closed["subject"], closed["date"], strict=True))
    assert dates["usa_k2"] == dt.date(2005, 12, 1)
    assert dates["usa_manas"] == dt.date(2014, 7, 1)
