"""The event schedule: dated events from the scenario, and what each one does to the model.

Bases and projects carry their own opening and closing dates; those falling inside the run
become ``base_open``/``base_close``/``project_launch``/``project_close`` events, so one
mechanism handles every dated change. An event takes effect at the first monthly step whose
date is on or after the event's date; events of the same step apply in date order, then
scenario order. Events dated before the start replay, in order, when the model is built (so
a run may start later than its facts file); events after the end never come due.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING

from multipolar.config import Scenario, with_value
from multipolar.config.schema import Event, SiteEvent
from multipolar.timeline import step_of

if TYPE_CHECKING:
    from multipolar.model import MultipolarModel

__all__ = ["Applied", "EventSchedule", "apply_event", "describe"]


@dataclass(frozen=True)
class Applied:
    """A record of one change for the run's event table."""

    step: int
    date: dt.date
    kind: str
    subject: str
    detail: str
    cause: str


def _site_events(scenario: Scenario) -> list[Event]:
    start, end = scenario.run.start, scenario.run.end
    derived: list[Event] = []
    for kind, items, key in (
        ("base", scenario.bases, "base"),
        ("project", scenario.projects, "project"),
    ):
        opening = "base_open" if kind == "base" else "project_launch"
        closing = f"{kind}_close"
        for item in items:
            if start < item.opened < end:
                derived.append(
                    SiteEvent(kind=opening, date=item.opened, source=item.source, **{key: item.id})
                )
            if item.closed is not None and start < item.closed < end:
                derived.append(
                    SiteEvent(kind=closing, date=item.closed, source=item.source, **{key: item.id})
                )
    return derived


def _site_key(event: Event) -> tuple[str, dt.date, str]:
    return event.kind, event.date, getattr(event, "base", "") or getattr(event, "project", "")


class EventSchedule:
    """Events sorted by the step at which they take effect."""

    def __init__(self, scenario: Scenario) -> None:
        start = scenario.run.start
        explicit = {_site_key(e) for e in scenario.events}
        derived = [e for e in _site_events(scenario) if _site_key(e) not in explicit]
        events = [*derived, *scenario.events]
        ordered = sorted(enumerate(events), key=lambda pair: (pair[1].date, pair[0]))
        self._by_step: dict[int, list[Event]] = {}
        for _, event in ordered:
            self._by_step.setdefault(max(0, step_of(start, event.date)), []).append(event)

    def due(self, step: int) -> list[Event]:
        """Events that take effect at ``step``."""
        return self._by_step.get(step, [])

    def __len__(self) -> int:
        return sum(len(v) for v in self._by_step.values())


def describe(event: Event) -> tuple[str, str]:
    """(subject, detail) of an event, for the event table."""
    match event.kind:
        case "join" | "leave" | "suspend":
            return event.state, event.organization
        case "treaty_suspend" | "treaty_withdraw":
            return event.state, event.treaty
        case "base_open" | "base_close":
            return event.base, ""
        case "project_launch" | "project_close":
            return event.project, ""
        case "capacity_shock":
            return event.power, f"{event.domain} x{event.factor:g}"
        case _:
            return event.key, repr(event.value)


def apply_event(model: MultipolarModel, event: Event) -> None:
    """Make one event's change to the model."""
    date = model.date
    match event.kind:
        case "join":
            if model.memberships.join(event.organization, event.state, date, cause="event"):
                model.on_enlargement(event.organization)
        case "leave":
            model.memberships.leave(event.organization, event.state, date, cause="event")
        case "suspend":
            model.memberships.suspend(event.organization, event.state, date, cause="event")
        case "treaty_suspend":
            model.treaty_status[(event.treaty, event.state)] = "suspended"
        case "treaty_withdraw":
            model.treaty_status[(event.treaty, event.state)] = "withdrawn"
        case "base_open":
            model.active_bases.add(event.base)
        case "base_close":
            model.active_bases.discard(event.base)
        case "project_launch":
            model.active_projects.add(event.project)
        case "project_close":
            model.active_projects.discard(event.project)
        case "capacity_shock":
            model.capabilities.apply_shock(
                event.power, event.domain, event.factor, event.recovery_per_year
            )
        case "parameter_change":
            model.set_params(with_value(model.params, event.key, event.value))
