"""Reading a run's changes back from its tables."""

from __future__ import annotations

import datetime as dt

import polars as pl

from multipolar.backtest.changes import changes_from_tables

D = dt.date


def test_changes_come_from_memberships_with_their_cause():
    states = pl.DataFrame(
        {
            "iso3": ["UZB"] * 4 + ["KAZ"] * 4,
            "date": [D(2000, m, 1) for m in (1, 2, 3, 4)] * 2,
            "memberships": ["CSTO", "CSTO", "", "SCO", "CSTO", "CSTO", "CSTO", "CSTO"],
        }
    )
    events = pl.DataFrame(
        {
            "date": [D(2000, 3, 1), D(2000, 4, 1), D(2000, 2, 1), D(2000, 4, 1)],
            "kind": ["leave", "join", "leave", "base_close"],
            "subject": ["UZB", "UZB", "KAZ", "usa_k2"],
            "detail": ["CSTO", "SCO", "SCO", ""],
            "cause": ["rule", "event", "event", "event"],
        }
    )
    changes = changes_from_tables(states, events)
    found = {(c.date, c.kind, c.state, c.organization, c.base, c.cause) for c in changes}
    assert found == {
        (D(2000, 3, 1), "exit", "UZB", "CSTO", "", "rule"),
        (D(2000, 4, 1), "join", "UZB", "SCO", "", "event"),
        (D(2000, 4, 1), "exit", "", "", "usa_k2", "event"),
    }  # KAZ's scheduled leave of an organization it was not in changed nothing
