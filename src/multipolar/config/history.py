"""Replay a scenario's events in date order and check each against the state it acts on.

Memberships: a ``join`` by a state that is already an active member, a ``leave`` by a state
that is not a member, or a ``suspend`` of a membership that is not active is a mistake in
the scenario (it would silently do nothing in the run). Parameters: each ``parameter_change``
is applied, in order, to the parameters in force at its date, and the result must pass the
same checks as a file once all the changes of its month are made (so two changes that
together set a power's effort to zero fail, and two that move effort from one domain to the
other in one month pass).
"""

from __future__ import annotations

from collections.abc import Iterator

from multipolar.config.checks import Finding, check_parameters
from multipolar.config.dynamic import with_value
from multipolar.config.errors import ScenarioError
from multipolar.config.schema import Event, ParameterChangeEvent, Scenario
from multipolar.timeline import step_of

__all__ = ["check_history"]


def _memberships(s: Scenario) -> dict[tuple[str, str], str]:
    return {
        (code, iso3): "active"
        for code, org in s.organizations.items()
        for iso3, joined in org.members.items()
        if joined <= s.run.start
    }


def check_history(s: Scenario) -> Iterator[Finding]:
    """Findings for events that do not fit the memberships or parameters they act on."""
    status = _memberships(s)
    params = before = s
    month: list[tuple[int, ParameterChangeEvent]] = []
    order = sorted(range(len(s.events)), key=lambda n: (s.events[n].date, n))
    for position, n in enumerate(order):
        event = s.events[n]
        key = ("events", n)
        match event.kind:
            case "join" | "leave" | "suspend" if (
                event.organization in s.organizations and event.state in s.states
            ):
                pair = (event.organization, event.state)
                yield from _membership(event.kind, pair, status.get(pair), key, event.date)
                if event.kind == "join":
                    status[pair] = "active"
                elif event.kind == "leave":
                    status.pop(pair, None)
                elif status.get(pair) == "active":
                    status[pair] = "suspended"
            case "parameter_change":
                if not month:
                    before = params
                try:
                    params = with_value(params, event.key, event.value)
                    month.append((n, event))
                except ScenarioError as error:
                    yield from _change_problems(n, event, error)
        following = s.events[order[position + 1]] if position + 1 < len(order) else None
        if month and (following is None or _step(s, following) != _step(s, event)):
            findings = check_parameters(params)
            if findings:
                last_n, last = month[-1]
                for where, message in findings:
                    yield (
                        ("events", last_n, "key"),
                        f"after the changes of {last.date:%Y-%m} (last: {last.key} = "
                        f"{last.value:g}): {'.'.join(map(str, where))}: {message}",
                    )
                params = before
            month = []


def _step(s: Scenario, event: Event) -> int:
    return max(0, step_of(s.run.start, event.date))


def _change_problems(
    n: int, event: ParameterChangeEvent, error: ScenarioError
) -> Iterator[Finding]:
    for problem in error.problems:
        where = "" if problem.key == event.key else f"{problem.key}: "
        yield (
            ("events", n, "key"),
            f"setting {event.key} = {event.value:g} on {event.date}: {where}{problem.message}",
        )


def _membership(
    kind: str, pair: tuple[str, str], current: str | None, key: tuple[str | int, ...], date: object
) -> Iterator[Finding]:
    org, state = pair
    if kind == "join" and current == "active":
        yield (*key, "state"), f"{state} is already a member of {org} on {date}"
    elif kind == "leave" and current is None:
        yield (*key, "state"), f"{state} is not a member of {org} on {date}"
    elif kind == "suspend" and current != "active":
        yield (*key, "state"), f"{state} is not an active member of {org} on {date}"
