"""Event kinds and the event schedule.

Each kind of event is defined in one place, :data:`KINDS`: its schema (a class of
:mod:`multipolar.config.schema`), the check of its references against the scenario, its
description for the event table, and its effect on the :class:`~multipolar.world.World`.

Bases, projects and links carry their own opening and closing dates; those inside the run
become ``*_open``/``*_close``/``project_launch`` events, so one mechanism handles every
dated change. An event takes effect at the first monthly step whose date is on or after
its date; events of one step apply in date order, then scenario order. Events dated before
the start replay, in order, when the model is built (so a run may start later than its
facts file); events after the end never come due.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, get_args

from multipolar.config import Scenario, with_value
from multipolar.config.schema import (
    AlignmentShockEvent,
    CapacityShockEvent,
    Event,
    MembershipEvent,
    ParameterChangeEvent,
    SiteEvent,
    TreatyEvent,
)
from multipolar.mechanisms.budgets import enlargement_boost
from multipolar.timeline import step_of
from multipolar.world import World

__all__ = [
    "KINDS",
    "Applied",
    "EventKind",
    "EventSchedule",
    "apply_event",
    "check_event",
    "describe",
]

Finding = tuple[tuple[str | int, ...], str]


@dataclass(frozen=True)
class Applied:
    """A record of one change for the run's event table."""

    step: int
    date: dt.date
    kind: str
    subject: str
    detail: str
    cause: str


@dataclass(frozen=True)
class EventKind:
    """Everything about one family of event kinds."""

    schema: type
    check: Callable[[Scenario, Any], Iterator[Finding]]
    describe: Callable[[Any], tuple[str, str]]
    apply: Callable[[World, Any], bool]


# ---------------------------------------------------------------- memberships
def _check_membership(s: Scenario, e: MembershipEvent) -> Iterator[Finding]:
    if e.organization not in s.organizations:
        yield ("organization",), f"unknown organization {e.organization!r}"
    if e.state not in s.states:
        yield ("state",), f"unknown state {e.state!r}"


def _apply_membership(world: World, e: MembershipEvent) -> bool:
    table = world.memberships
    if e.kind == "join":
        joined = table.join(e.organization, e.state, world.date, cause="event")
        if joined:
            world.boost += enlargement_boost(world, e.organization)
        return joined
    if e.kind == "leave":
        return table.leave(e.organization, e.state, world.date, cause="event")
    return table.suspend(e.organization, e.state, world.date, cause="event")


# ---------------------------------------------------------------- treaties
def _check_treaty(s: Scenario, e: TreatyEvent) -> Iterator[Finding]:
    treaty = s.treaties.get(e.treaty)
    if treaty is None:
        yield ("treaty",), f"unknown treaty {e.treaty!r}"
    elif e.state not in treaty.parties:
        yield ("state",), f"{e.state!r} is not a party to {e.treaty}"


def _apply_treaty(world: World, e: TreatyEvent) -> bool:
    status = "suspended" if e.kind == "treaty_suspend" else "withdrawn"
    changed = world.treaty_status.get((e.treaty, e.state)) != status
    world.treaty_status[(e.treaty, e.state)] = status
    return changed


# ---------------------------------------------------------------- bases, projects, links
def _check_site(s: Scenario, e: SiteEvent) -> Iterator[Finding]:
    known = {"base": s.bases, "project": s.projects, "link": s.links}[e.section]
    if e.site not in {item.id for item in known}:
        yield (e.section,), f"unknown {e.section} {e.site!r}"


def _apply_site(world: World, e: SiteEvent) -> bool:
    active = world.active[e.section]
    opening = not e.kind.endswith("_close")
    changed = (e.site in active) != opening
    if opening:
        active.add(e.site)
    else:
        active.discard(e.site)
    return changed


# ---------------------------------------------------------------- shocks and parameters
def _check_shock(s: Scenario, e: CapacityShockEvent) -> Iterator[Finding]:
    if e.power not in s.powers:
        yield ("power",), f"unknown power {e.power!r}"


def _apply_shock(world: World, e: CapacityShockEvent) -> bool:
    world.capabilities.apply_shock(e.power, e.domain, e.factor, e.recovery_per_year)
    return True


def _check_parameter(s: Scenario, e: ParameterChangeEvent) -> Iterator[Finding]:
    """A value is checked when the events are replayed in order (config.history)."""
    return iter(())


def _apply_parameter(world: World, e: ParameterChangeEvent) -> bool:
    world.params = with_value(world.params, e.key, e.value)
    section, _, pair = e.key.partition(".")
    if section == "partnership":
        world.partnership[pair] = float(e.value)
    return True


def _check_alignment_shock(s: Scenario, e: AlignmentShockEvent) -> Iterator[Finding]:
    if e.state not in s.states:
        yield ("state",), f"unknown state {e.state!r}"
    if e.power not in s.powers:
        yield ("power",), f"unknown power {e.power!r}"


def _apply_alignment_shock(world: World, e: AlignmentShockEvent) -> bool:
    world.add_affinity(e.state, e.power, e.delta, e.half_life_months)
    return True


_FAMILIES = (
    EventKind(
        MembershipEvent, _check_membership, lambda e: (e.state, e.organization), _apply_membership
    ),
    EventKind(TreatyEvent, _check_treaty, lambda e: (e.state, e.treaty), _apply_treaty),
    EventKind(SiteEvent, _check_site, lambda e: (e.site, ""), _apply_site),
    EventKind(
        CapacityShockEvent,
        _check_shock,
        lambda e: (e.power, f"{e.domain} x{e.factor:g}"),
        _apply_shock,
    ),
    EventKind(
        ParameterChangeEvent, _check_parameter, lambda e: (e.key, repr(e.value)), _apply_parameter
    ),
    EventKind(
        AlignmentShockEvent,
        _check_alignment_shock,
        lambda e: (e.state, f"{e.power} {e.delta:+g}"),
        _apply_alignment_shock,
    ),
)
KINDS: dict[str, EventKind] = {
    name: family
    for family in _FAMILIES
    for name in get_args(family.schema.model_fields["kind"].annotation)
}


def check_event(scenario: Scenario, event: Event) -> Iterator[Finding]:
    """Problems with an event's references, as (key below the event, message) pairs."""
    yield from KINDS[event.kind].check(scenario, event)


def describe(event: Event) -> tuple[str, str]:
    """(subject, detail) of an event, for the event table."""
    return KINDS[event.kind].describe(event)


def apply_event(world: World, event: Event) -> bool:
    """Make one event's change to the world; False when it changed nothing."""
    return KINDS[event.kind].apply(world, event)


def _site_events(scenario: Scenario) -> list[Event]:
    start, end = scenario.run.start, scenario.run.end
    derived: list[Event] = []
    for section, items in (
        ("base", scenario.bases),
        ("project", scenario.projects),
        ("link", scenario.links),
    ):
        opening = "project_launch" if section == "project" else f"{section}_open"
        for item in items:
            for kind, date in ((opening, item.opened), (f"{section}_close", item.closed)):
                if date is not None and start < date < end:
                    derived.append(
                        SiteEvent(kind=kind, date=date, source=item.source, **{section: item.id})
                    )
    return derived


def _site_key(event: Event) -> tuple[str, dt.date, str]:
    return event.kind, event.date, event.site if isinstance(event, SiteEvent) else ""


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
