"""Membership intervals of the watched organizations, for the membership timeline.

The intervals start from the scenario's members (with their accession dates) and follow the
run's recorded changes (``events.parquet``): a change caused by a dated scenario event takes
that event's own date (Finland joined NATO on 2023-04-04, which the model applies at the next
monthly step); a change made by a rule takes its step's date.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import polars as pl

__all__ = ["WATCHED", "Interval", "Marker", "membership_intervals"]

WATCHED = ("NATO", "CSTO", "SCO", "EAEU")
_CHANGES = ("join", "leave", "suspend", "resume")


@dataclass(frozen=True)
class Interval:
    """One state's membership of one organization in one status, from ``start`` to ``end``."""

    organization: str
    state: str
    start: dt.date
    end: dt.date
    status: str  # "active" | "suspended"


@dataclass(frozen=True)
class Marker:
    """A dated change of membership, drawn on the timeline."""

    organization: str
    state: str
    date: dt.date
    action: str
    cause: str


def _date(value: Any) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value)[:10])


def _event_dates(scenario: Mapping[str, Any]) -> dict[tuple[str, str, str], list[dt.date]]:
    dates: dict[tuple[str, str, str], list[dt.date]] = {}
    for event in scenario.get("events", []) or []:
        if event.get("kind") in _CHANGES and event.get("organization") and event.get("state"):
            key = (event["kind"], event["organization"], event["state"])
            dates.setdefault(key, []).append(_date(event["date"]))
    for values in dates.values():
        values.sort()
    return dates


def _recorded(events: pl.DataFrame) -> Iterable[tuple[str, str, str, dt.date, str]]:
    """(action, organization, state, date, cause) rows of recorded membership changes."""
    if events.height == 0 or "kind" not in events.columns:
        return []
    org_col = "organization" if "organization" in events.columns else "detail"
    state_col = "state" if "state" in events.columns else "subject"
    if org_col not in events.columns or state_col not in events.columns:
        return []
    rows = events.filter(pl.col("kind").is_in(list(_CHANGES)))
    if "step" in rows.columns:
        rows = rows.sort("step", maintain_order=True)
    causes = rows["cause"].to_list() if "cause" in rows.columns else ["event"] * rows.height
    return [
        (kind, org, state, _date(date), cause)
        for kind, org, state, date, cause in zip(
            rows["kind"].to_list(),
            rows[org_col].to_list(),
            rows[state_col].to_list(),
            rows["date"].to_list(),
            causes,
            strict=True,
        )
    ]


def membership_intervals(
    scenario: Mapping[str, Any],
    events: pl.DataFrame,
    end: dt.date,
    organizations: Iterable[str] = WATCHED,
) -> tuple[list[Interval], list[Marker]]:
    """The membership intervals up to ``end`` and the dated changes, for ``organizations``.

    Args:
        scenario: The resolved scenario as a mapping (the manifest's ``scenario``).
        events: The run's ``events.parquet`` table.
        end: Where open intervals end (the run's last date).
        organizations: The organizations to follow.

    Returns:
        ``(intervals, markers)``, sorted by organization, then state, then start.
    """
    watched = set(organizations)
    status: dict[tuple[str, str], tuple[str, dt.date]] = {}
    intervals: list[Interval] = []
    markers: list[Marker] = []
    for code, org in (scenario.get("organizations") or {}).items():
        if code not in watched:
            continue
        for state, joined in (org.get("members") or {}).items():
            status[(code, state)] = ("active", _date(joined))
    exact = _event_dates(scenario)

    def close(key: tuple[str, str], when: dt.date) -> None:
        current = status.pop(key, None)
        if current is not None:
            intervals.append(Interval(key[0], key[1], current[1], when, current[0]))

    for action, code, state, date, cause in _recorded(events):
        if code not in watched:
            continue
        if cause == "event" and exact.get((action, code, state)):
            date = exact[(action, code, state)].pop(0)
        key = (code, state)
        current = status.get(key)
        if cause == "initial":
            if current is None:
                status[key] = ("active", date)
            continue
        if action == "join" and current is None:
            status[key] = ("active", date)
        elif action in ("join", "resume") and current is not None and current[0] == "suspended":
            close(key, date)
            status[key] = ("active", date)
        elif action == "suspend" and current is not None and current[0] == "active":
            close(key, date)
            status[key] = ("suspended", date)
        elif action == "leave" and current is not None:
            close(key, date)
        else:
            continue
        markers.append(Marker(code, state, date, action, cause))
    for key in list(status):
        close(key, end)
    intervals.sort(key=lambda i: (i.organization, i.state, i.start))
    markers.sort(key=lambda m: (m.organization, m.state, m.date))
    return intervals, markers
