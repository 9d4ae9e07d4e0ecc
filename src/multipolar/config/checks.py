"""Checks that need the whole scenario: cross-references, dates, stability.

Each check yields ``(key, message)`` pairs; the loader attaches the file each key came from.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Iterator

from multipolar.config.dynamic import with_value
from multipolar.config.schema import DOMAINS, ParameterChangeEvent, Scenario
from multipolar.geography import terrain_features
from multipolar.kernels.contract import max_stable_dt

__all__ = ["channel_names", "check_scenario", "stable_substeps"]

Finding = tuple[tuple[str | int, ...], str]

_ISO3 = re.compile(r"^[A-Z]{3}$")


def channel_names(scenario: Scenario) -> list[str]:
    """Channel labels in kernel order: ``<power>.<domain>``, power-major."""
    return [f"{p}.{d}" for p in scenario.powers for d in DOMAINS]


def _cells_per_degree2(scenario: Scenario) -> float:
    return 1.0 / scenario.geography.resolution**2


def _max_conductance(scenario: Scenario) -> float:
    c = scenario.geography.conductance
    return max(c.open_land, c.mountains, c.water, *c.features.values())


def stable_substeps(scenario: Scenario) -> int:
    """Fewest substeps per month that keep every channel stable, with the safety margin."""
    c_max = _max_conductance(scenario)
    smallest = min(
        max_stable_dt(
            getattr(scenario.diffusion, d).diffusivity * _cells_per_degree2(scenario),
            getattr(scenario.diffusion, d).decay,
            c_max,
        )
        for d in DOMAINS
    )
    return max(1, math.ceil(1.0 / (smallest * scenario.diffusion.safety)))


def _check_stability(s: Scenario) -> Iterator[Finding]:
    if s.diffusion.substeps == "auto":
        return
    dt = 1.0 / s.diffusion.substeps
    c_max = _max_conductance(s)
    for domain in DOMAINS:
        spec = getattr(s.diffusion, domain)
        d_cells = spec.diffusivity * _cells_per_degree2(s)
        limit = max_stable_dt(d_cells, spec.decay, c_max)
        if dt > limit:
            channels = ", ".join(f"{p}.{domain}" for p in s.powers)
            yield (
                ("diffusion", "substeps"),
                f"unstable for channels {channels}: dt = 1/{s.diffusion.substeps} = {dt:.4g} month "
                f"exceeds the largest stable dt {limit:.4g} (D = {d_cells:.4g} cells^2/month at "
                f"{s.geography.resolution} degree, decay {spec.decay:g}/month, max conductance "
                f'{c_max:g}); use substeps >= {math.ceil(1.0 / limit)} or "auto"',
            )


def _check_geography(s: Scenario) -> Iterator[Finding]:
    g = s.geography
    for lo, hi in (("lon_min", "lon_max"), ("lat_min", "lat_max")):
        span = getattr(g, hi) - getattr(g, lo)
        if span <= 0:
            yield ("geography", hi), f"must be greater than {lo}"
        elif abs(span / g.resolution - round(span / g.resolution)) > 1e-6:
            yield ("geography", "resolution"), f"must divide the {lo}..{hi} span ({span:g} degrees)"
    known = terrain_features()
    for name in g.conductance.features:
        if name not in known:
            yield (
                ("geography", "conductance", "features", name),
                f"unknown terrain feature; known: {', '.join(sorted(known))}",
            )


def _check_states_and_powers(s: Scenario) -> Iterator[Finding]:
    for iso3, state in s.states.items():
        if not _ISO3.match(iso3):
            yield ("states", iso3), "state keys must be ISO 3166 alpha-3 codes (three capitals)"
        if state.role == "great_power" and iso3 not in s.powers:
            yield ("states", iso3, "role"), "a great_power needs a [powers] entry"
        for power in state.initial_alignment or {}:
            if power not in s.powers:
                yield ("states", iso3, "initial_alignment", power), "not one of the powers"
        if state.initial_alignment is not None and sum(state.initial_alignment.values()) <= 0:
            yield ("states", iso3, "initial_alignment"), "must have a positive total"
    for power, spec in s.powers.items():
        if power not in s.states:
            yield ("powers", power), "no state with this code"
        elif s.states[power].role != "great_power":
            yield ("powers", power), 'its state must have role = "great_power"'
        elif s.states[power].gdp_growth is None:
            yield ("states", power, "gdp_growth"), "a great power needs a sourced gdp_growth"
        for n, iso3 in enumerate(spec.near_abroad):
            if iso3 not in s.states:
                yield ("powers", power, "near_abroad", n), f"unknown state {iso3!r}"
        if sum(spec.effort.values()) <= 0:
            yield ("powers", power, "effort"), "must have a positive total"
    for pair in s.partnership:
        a, sep, b = pair.partition("-")
        if not sep or a not in s.powers or b not in s.powers or a == b:
            yield (
                ("partnership", pair),
                "keys must be two different powers joined by '-', e.g. RUS-CHN",
            )
    for bloc, members in s.metrics.blocs.items():
        for n, power in enumerate(members):
            if power not in s.powers:
                yield ("metrics", "blocs", bloc, n), f"unknown power {power!r}"
    for n, power in enumerate(s.metrics.rivalry_pair):
        if power not in s.powers:
            yield ("metrics", "rivalry_pair", n), f"unknown power {power!r}"


def _check_organizations(s: Scenario) -> Iterator[Finding]:
    for code, org in s.organizations.items():
        for iso3, joined in org.members.items():
            if iso3 not in s.states:
                yield ("organizations", code, "members", iso3), "unknown state"
            elif joined > s.run.start:
                yield (
                    ("organizations", code, "members", iso3),
                    f"joined {joined} after the run starts ({s.run.start}): use a join event",
                )
        for power in org.leaders:
            if power not in s.powers:
                yield ("organizations", code, "leaders", power), "not one of the powers"
        if not org.leaders:
            yield ("organizations", code, "leaders"), "needs at least one leading power"
        if sum(org.domains.values()) <= 0:
            yield ("organizations", code, "domains"), "must have a positive total"
        for n, iso3 in enumerate(org.rules.candidates):
            if iso3 not in s.states:
                yield ("organizations", code, "rules", "candidates", n), f"unknown state {iso3!r}"
    for code, treaty in s.treaties.items():
        for iso3 in treaty.parties:
            if iso3 not in s.states:
                yield ("treaties", code, "parties", iso3), "unknown state"


def _check_sites(s: Scenario) -> Iterator[Finding]:
    for section, items in (("bases", s.bases), ("projects", s.projects)):
        counts = Counter(item.id for item in items)
        for n, item in enumerate(items):
            if counts[item.id] > 1:
                yield (section, n, "id"), f"duplicate id {item.id!r}"
            if item.power not in s.powers:
                yield (section, n, "power"), f"unknown power {item.power!r}"
            if item.closed is not None and item.closed <= item.opened:
                yield (section, n, "closed"), "must be after opened"
    for n, base in enumerate(s.bases):
        if base.host not in s.states:
            yield ("bases", n, "host"), f"unknown state {base.host!r}"


def _check_events(s: Scenario) -> Iterator[Finding]:
    bases = {b.id for b in s.bases}
    projects = {p.id for p in s.projects}
    for n, event in enumerate(s.events):
        key = ("events", n)
        match event.kind:
            case "join" | "leave" | "suspend":
                if event.organization not in s.organizations:
                    yield (*key, "organization"), f"unknown organization {event.organization!r}"
                if event.state not in s.states:
                    yield (*key, "state"), f"unknown state {event.state!r}"
            case "treaty_suspend" | "treaty_withdraw":
                treaty = s.treaties.get(event.treaty)
                if treaty is None:
                    yield (*key, "treaty"), f"unknown treaty {event.treaty!r}"
                elif event.state not in treaty.parties:
                    yield (*key, "state"), f"{event.state!r} is not a party to {event.treaty}"
            case "base_open" | "base_close":
                if event.base not in bases:
                    yield (*key, "base"), f"unknown base {event.base!r}"
            case "project_launch" | "project_close":
                if event.project not in projects:
                    yield (*key, "project"), f"unknown project {event.project!r}"
            case "capacity_shock":
                if event.power not in s.powers:
                    yield (*key, "power"), f"unknown power {event.power!r}"
            case "parameter_change":
                yield from _check_parameter_change(s, event, key)


def _check_parameter_change(
    s: Scenario, event: ParameterChangeEvent, key: tuple[str | int, ...]
) -> Iterator[Finding]:
    try:
        with_value(s, event.key, event.value)
    except ValueError as error:
        yield (*key, "key"), str(error)


def check_scenario(s: Scenario) -> list[Finding]:
    """Every cross-reference, date-range and stability problem of a parsed scenario."""
    checks = (
        _check_geography,
        _check_states_and_powers,
        _check_organizations,
        _check_sites,
        _check_events,
        _check_stability,
    )
    return [finding for check in checks for finding in check(s)]
