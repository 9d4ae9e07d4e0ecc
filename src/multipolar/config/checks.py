"""Checks that need the whole scenario: cross-references, dates, the grid, stability and cost.

Each check yields ``(key, message)`` pairs; the loader attaches the file each key came from.
Every check the run would make is made here, so a scenario that validates also starts: the
grid is built (:class:`~multipolar.geography.Grid`), and the diffusion's substeps are checked
for stability and for cost (a month must not need more than :data:`MAX_SUBSTEPS` substeps
nor more than :data:`MAX_CELL_SUBSTEPS` cell updates per channel), and for memory (at most
:data:`MAX_CELL_CHANNELS` cells x channels).
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Iterator

from multipolar.config.schema import DOMAINS, Scenario
from multipolar.geography import Grid, terrain_features
from multipolar.kernels.contract import max_stable_dt
from multipolar.timeline import step_of

__all__ = [
    "BLAME",
    "EXPLICIT_WARN_SUBSTEPS",
    "BYTES_PER_CELL_CHANNEL",
    "MAX_CELL_CHANNELS",
    "MAX_CELL_SUBSTEPS",
    "MAX_SUBSTEPS",
    "NOMINAL_UPDATES_PER_S",
    "Finding",
    "check_parameters",
    "check_scenario",
    "grid_of",
    "implicit_substeps",
    "scheme_warnings",
    "stable_substeps",
    "substeps_for",
]

Finding = tuple[tuple[str | int, ...], str]
# keys whose problems are caused by other keys too: blame whoever changed any of them last
BLAME: dict[tuple[str | int, ...], tuple[tuple[str | int, ...], ...]] = {
    ("diffusion", "substeps"): (("diffusion",), ("geography",)),
    ("geography", "resolution"): (("geography",),),
}

_ISO3 = re.compile(r"^[A-Z]{3}$")
# The largest fields and the most work per month the model accepts. Memory grows with
# cells x channels: a run at 0.01 degree over the default region (18 million cells x 6
# channels, implicit scheme) peaked at 2.8 GB resident, about 26 bytes per cell and channel;
# the cap of 150 million cell-channels keeps a run under about 4 GB. 1e9 cell updates per
# channel per month is about 3 s a month for six channels at NOMINAL_UPDATES_PER_S.
MAX_CELL_CHANNELS = 150_000_000
BYTES_PER_CELL_CHANNEL = 26
MAX_SUBSTEPS = 10_000
MAX_CELL_SUBSTEPS = 1e9
# The Numba kernel's throughput on a 2-core VM, channel-cell updates per second
# (docs/benchmarks.md, "CPU: measured", 1024^2 x 6 one-pass): only for the estimates.
NOMINAL_UPDATES_PER_S = 2e9
_EFFORT_SLACK = 1e-9


def grid_of(scenario: Scenario) -> Grid:
    """The scenario's raster grid (raises ValueError when the bounds do not fit)."""
    g = scenario.geography
    return Grid(g.lon_min, g.lon_max, g.lat_min, g.lat_max, g.resolution)


def _cells_per_degree2(scenario: Scenario) -> float:
    return 1.0 / scenario.geography.resolution**2


def _max_conductance(scenario: Scenario) -> float:
    c = scenario.geography.conductance
    return max(c.open_land, c.mountains, c.water, *c.features.values())


def _stable_dt(scenario: Scenario, domain: str) -> float:
    spec = getattr(scenario.diffusion, domain)
    return max_stable_dt(
        spec.diffusivity * _cells_per_degree2(scenario), spec.decay, _max_conductance(scenario)
    )


def stable_substeps(scenario: Scenario) -> int:
    """Fewest substeps per month that keep every channel stable, with the safety margin."""
    smallest = min(_stable_dt(scenario, d) for d in DOMAINS)
    return max(1, math.ceil(1.0 / (smallest * scenario.diffusion.safety)))


EXPLICIT_WARN_SUBSTEPS = 1000
"""Explicit substeps per month from which ``multipolar validate`` suggests the implicit scheme."""


def implicit_substeps(scenario: Scenario) -> int:
    """Substeps per month of the implicit scheme for ``diffusion.accuracy``.

    The fewest with ``dt * max(decay) <= accuracy`` (docs/model.md): backward Euler then
    misstates the decay of a transient by about ``accuracy / 2``, and a steady field not
    at all. It does not depend on the resolution. Capped at the explicit scheme's stable
    substeps, beyond which the implicit scheme buys nothing.
    """
    fastest = max(getattr(scenario.diffusion, d).decay for d in DOMAINS)
    wanted = max(1, math.ceil(round(fastest / scenario.diffusion.accuracy, 9)))
    return min(wanted, stable_substeps(scenario))


def substeps_for(scenario: Scenario) -> int:
    """Substeps per month the model takes: ``diffusion.substeps``, or ``"auto"`` by scheme.

    ``"auto"`` is :func:`stable_substeps` for the explicit scheme (stability) and
    :func:`implicit_substeps` for the implicit one (accuracy).
    """
    spec = scenario.diffusion
    if spec.substeps != "auto":
        return spec.substeps
    return stable_substeps(scenario) if spec.scheme == "explicit" else implicit_substeps(scenario)


def scheme_warnings(scenario: Scenario) -> list[Finding]:
    """Advice for a valid scenario: an explicit scheme taking thousands of substeps a month.

    The message estimates the run's cost (cells x channels x substeps x months) and the
    implicit scheme's substeps.
    """
    spec = scenario.diffusion
    if spec.scheme != "explicit":
        return []
    substeps = substeps_for(scenario)
    if substeps < EXPLICIT_WARN_SUBSTEPS:
        return []
    height, width = grid_of(scenario).shape
    channels = len(scenario.powers) * len(DOMAINS)
    months = step_of(scenario.run.start, scenario.run.end)
    updates = height * width * channels * substeps * months
    hours = updates / NOMINAL_UPDATES_PER_S / 3600
    return [
        (
            ("diffusion", "scheme"),
            f"the explicit scheme takes {substeps} substeps a month here: {height * width} cells "
            f"x {channels} channels x {substeps} substeps x {months} months = {updates:.3g} cell "
            f'updates (about {hours:.3g} h on a 2-core CPU); diffusion.scheme = "implicit" takes '
            f"{implicit_substeps(scenario)} substeps a month at any resolution",
        )
    ]


def _check_stability(s: Scenario) -> Iterator[Finding]:
    if s.diffusion.substeps == "auto" or s.diffusion.scheme == "implicit":
        return
    dt = 1.0 / s.diffusion.substeps
    c_max = _max_conductance(s)
    for domain in DOMAINS:
        spec = getattr(s.diffusion, domain)
        d_cells = spec.diffusivity * _cells_per_degree2(s)
        limit = _stable_dt(s, domain)
        if dt > limit:
            channels = ", ".join(f"{p}.{domain}" for p in s.powers)
            yield (
                ("diffusion", "substeps"),
                f"unstable for channels {channels}: dt = 1/{s.diffusion.substeps} = {dt:.4g} month "
                f"exceeds the largest stable dt {limit:.4g} (D = {d_cells:.4g} cells^2/month at "
                f"{s.geography.resolution} degree, decay {spec.decay:g}/month, max conductance "
                f'{c_max:g}); use substeps >= {math.ceil(1.0 / limit)} or "auto"',
            )


def _way_out(s: Scenario) -> str:
    implicit = (
        f'use diffusion.scheme = "implicit" ({implicit_substeps(s)} substeps a month), '
        if s.diffusion.scheme == "explicit"
        else ""
    )
    return (
        f"{implicit}coarsen geography.resolution (now {s.geography.resolution:g} degree; the "
        "cost grows as 1/resolution^4), lower diffusion.security/economy.diffusivity, or "
        "shrink the region"
    )


def _check_cost(s: Scenario, cells: int) -> Iterator[Finding]:
    """Refuse diffusion settings that would take hours per month (or never finish)."""
    substeps = substeps_for(s)
    how = "auto picks" if s.diffusion.substeps == "auto" else "substeps ="
    if substeps > MAX_SUBSTEPS:
        yield (
            ("diffusion", "substeps"),
            f"{how} {substeps} substeps per month, above the cap of {MAX_SUBSTEPS}; " + _way_out(s),
        )
        return
    work = cells * substeps
    if work > MAX_CELL_SUBSTEPS:
        months = step_of(s.run.start, s.run.end)
        seconds = work * 2 * len(s.powers) * months / NOMINAL_UPDATES_PER_S
        yield (
            ("diffusion", "substeps"),
            f"{cells} cells x {substeps} substeps = {work:.3g} cell updates per channel per "
            f"month, above the cap of {MAX_CELL_SUBSTEPS:.0e} (estimated {seconds / 3600:.3g} h "
            f"for the {months} months on a 2-core CPU); " + _way_out(s),
        )


def _check_geography(s: Scenario) -> Iterator[Finding]:
    g = s.geography
    for lo, hi in (("lon_min", "lon_max"), ("lat_min", "lat_max")):
        if getattr(g, hi) <= getattr(g, lo):
            yield ("geography", hi), f"must be greater than {lo}"
            return
    try:
        grid = grid_of(s)
    except ValueError as error:
        yield ("geography", "resolution"), f"does not fit the region: {error}"
        return
    height, width = grid.shape
    channels = len(s.powers) * len(DOMAINS)
    if height * width * channels > MAX_CELL_CHANNELS:
        size = height * width * channels * BYTES_PER_CELL_CHANNEL / 1e9
        yield (
            ("geography", "resolution"),
            f"{width} x {height} cells x {channels} channels = {width * height * channels} "
            f"cell-channels (about {size:.3g} GB of memory), above the cap of "
            f"{MAX_CELL_CHANNELS:.3g}; coarsen the resolution or shrink the region",
        )
    else:
        yield from _check_stability(s)
        yield from _check_cost(s, height * width)
    known = terrain_features()
    for name in g.conductance.features:
        if name not in known:
            yield (
                ("geography", "conductance", "features", name),
                f"unknown terrain feature; known: {', '.join(sorted(known))}",
            )


def _check_states(s: Scenario) -> Iterator[Finding]:
    for iso3, state in s.states.items():
        if not _ISO3.match(iso3):
            yield ("states", iso3), "state keys must be ISO 3166 alpha-3 codes (three capitals)"
        if state.gdp.value <= 0:
            yield ("states", iso3, "gdp", "value"), "must be positive (capability is built on it)"
        if state.role == "great_power" and iso3 not in s.powers:
            yield ("states", iso3, "role"), "a great_power needs a [powers] entry"
        for power in state.initial_alignment or {}:
            if power not in s.powers:
                yield ("states", iso3, "initial_alignment", power), "not one of the powers"
        if state.initial_alignment is not None and sum(state.initial_alignment.values()) <= 0:
            yield ("states", iso3, "initial_alignment"), "must have a positive total"


def _check_powers(s: Scenario) -> Iterator[Finding]:
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
        total = sum(spec.effort.values())
        if total <= 0:
            yield ("powers", power, "effort"), "must have a positive total"
        elif total > 1.0 + _EFFORT_SLACK:
            shares = " + ".join(f"{v:g}" for v in spec.effort.values())
            yield (
                ("powers", power, "effort"),
                f"splits the regional capability, so its values must sum to at most 1 "
                f"({shares} = {total:g})",
            )
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


_SITES = (("bases", "host"), ("projects", None), ("links", "state"))


def _check_sites(s: Scenario) -> Iterator[Finding]:
    for section, place in _SITES:
        items = getattr(s, section, ())
        counts = Counter(item.id for item in items)
        for n, item in enumerate(items):
            if counts[item.id] > 1:
                yield (section, n, "id"), f"duplicate id {item.id!r}"
            if item.power not in s.powers:
                yield (section, n, "power"), f"unknown power {item.power!r}"
            if item.closed is not None and item.closed <= item.opened:
                yield (section, n, "closed"), "must be after opened"
            if place is not None and getattr(item, place) not in s.states:
                yield (section, n, place), f"unknown state {getattr(item, place)!r}"
    bases = {base.id: base for base in s.bases}
    for n, base in enumerate(s.bases):
        parent = bases.get(base.part_of or "")
        if base.part_of is not None and (parent is None or parent.part_of is not None):
            yield ("bases", n, "part_of"), "must name a base record with no part_of of its own"
        elif parent is not None and (parent.power != base.power or base.size is not None):
            yield ("bases", n, "part_of"), "a garrison shares its base's power and size"
    yield from _check_size_units(s)


def _check_conflicts(s: Scenario) -> Iterator[Finding]:
    for n, conflict in enumerate(s.conflicts):
        first, second = conflict.states
        for i, iso3 in enumerate(conflict.states):
            if iso3 not in s.states:
                yield ("conflicts", n, "states", i), f"unknown state {iso3!r}"
        if first == second:
            yield ("conflicts", n, "states"), "a conflict needs two different states"
        if conflict.end is not None and conflict.end <= conflict.start:
            yield ("conflicts", n, "end"), "must be after start"


def _check_size_units(s: Scenario) -> Iterator[Finding]:
    """Sizes weigh one power's instruments of a kind and domain: they must share a unit."""
    first: dict[tuple[str, str, str], tuple[str, int]] = {}
    for section, _ in _SITES:
        for n, item in enumerate(getattr(s, section, ())):
            if item.size is None:
                continue
            domain = getattr(item, "domain", "security")
            group = (item.power, section, domain)
            unit, at = first.setdefault(group, (item.size.unit, n))
            if item.size.unit != unit:
                yield (
                    (section, n, "size", "unit"),
                    f"{item.size.unit!r} differs from {unit!r} of {section}.{at} "
                    f"({item.power}'s {domain} {section} must share one unit)",
                )


def _check_events(s: Scenario) -> Iterator[Finding]:
    """Each event's references (by its kind's own check in :mod:`multipolar.events`) and ids.

    Whether an event fits the memberships and parameters it acts on is checked by
    :mod:`multipolar.config.history`, which replays them in date order.
    """
    from multipolar.events import check_event  # the events module imports this package

    ids = Counter(event.id for event in s.events if event.id is not None)
    for n, event in enumerate(s.events):
        if event.id is not None and ids[event.id] > 1:
            yield ("events", n, "id"), f"duplicate event id {event.id!r}"
        for below, message in check_event(s, event):
            yield ("events", n, *below), message


def check_parameters(s: Scenario) -> list[Finding]:
    """The checks a changed parameter can fail (what ``parameter_change`` events re-run)."""
    checks = (_check_states, _check_powers, _check_organizations)
    return [finding for check in checks for finding in check(s)]


def check_scenario(s: Scenario) -> list[Finding]:
    """Every cross-reference, date-range, grid, stability and cost problem of a scenario."""
    checks = (
        _check_geography,
        _check_states,
        _check_powers,
        _check_organizations,
        _check_sites,
        _check_conflicts,
        _check_events,
    )
    return [finding for check in checks for finding in check(s)]
