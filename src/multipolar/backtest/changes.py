"""Read what a run changed back from its run directory.

Membership changes are read from ``states.parquet`` (the month-by-month memberships, so a
scheduled event that changed nothing is not counted) and their cause from
``events.parquet``; base closures from ``events.parquet``.
"""

from __future__ import annotations

from pathlib import Path

import polars as pl

from multipolar.backtest.scorer import Change
from multipolar.config import Scenario

__all__ = ["changes_from_tables", "membership_table", "read_changes", "scheduled_record"]


def membership_table(states: pl.DataFrame) -> dict[tuple[str, str], list]:
    """``{(iso3, date): sorted organizations}`` from a states table."""
    return {
        (iso3, date): sorted(filter(None, (members or "").split(",")))
        for iso3, date, members in states.select("iso3", "date", "memberships").iter_rows()
    }


def _causes(events: pl.DataFrame) -> dict[tuple[object, str, str], str]:
    causes: dict[tuple[object, str, str], str] = {}
    for date, subject, detail, cause in events.select(
        "date", "subject", "detail", "cause"
    ).iter_rows():
        key = (date, subject, detail)
        # a rule-made change and a scheduled one in the same month: the rule is what moved it
        if causes.get(key) != "rule":
            causes[key] = cause
    return causes


def read_changes(run_dir: Path) -> list[Change]:
    """Every membership change and base closure of one run directory, in date order."""
    return changes_from_tables(
        pl.read_parquet(run_dir / "states.parquet"), pl.read_parquet(run_dir / "events.parquet")
    )


def changes_from_tables(states: pl.DataFrame, events: pl.DataFrame) -> list[Change]:
    """Every membership change and base closure from a run's states and events tables."""
    states = states.sort("iso3", "date")
    causes = _causes(events)
    changes: list[Change] = []
    for (iso3,), frame in states.group_by("iso3", maintain_order=True):
        before: set[str] | None = None
        for date, members in frame.select("date", "memberships").iter_rows():
            now = set(filter(None, (members or "").split(",")))
            if before is not None:
                for org, kind in [(o, "join") for o in now - before] + [
                    (o, "exit") for o in before - now
                ]:
                    cause = causes.get((date, iso3, org), "rule")
                    changes.append(Change(date, kind, str(iso3), org, "", cause))  # type: ignore[arg-type]
            before = now
    for date, subject, cause in (
        events.filter(pl.col("kind") == "base_close").select("date", "subject", "cause").iter_rows()
    ):
        changes.append(Change(date, "exit", "", "", subject, cause))
    return sorted(changes, key=lambda c: (c.date, c.key))


def scheduled_record(scenario: Scenario) -> list[Change]:
    """The dated changes a scenario schedules: membership events and bases' closing dates.

    In the endogenous mode these are the documented changes that are not targets (Georgia and
    Azerbaijan leaving the Collective Security Treaty in 1999): a rule that makes one of them
    on its own makes a change history did make, so it is not a false change.
    """
    record = [
        Change(
            event.date,
            "join" if event.kind == "join" else "exit",
            event.state,
            event.organization,
            "",
            "event",
        )
        for event in scenario.events
        if event.kind in ("join", "leave", "suspend")
    ]
    record += [
        Change(base.closed, "exit", "", "", base.id, "event")
        for base in scenario.bases
        if base.closed is not None
    ]
    return sorted(record, key=lambda c: (c.date, c.key))
