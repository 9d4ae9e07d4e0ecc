"""Every event kind: its check, its description and its effect on a toy world."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from pydantic import TypeAdapter

from multipolar.config.schema import Event
from multipolar.events import KINDS, apply_event, check_event, describe
from multipolar.world import World

DATE = {"date": dt.date(2023, 6, 1)}
SAMPLES: dict[str, tuple[dict[str, Any], dict[str, Any]]] = {
    # kind: (a valid event, the same event with a bad reference)
    "join": ({"organization": "CSTO", "state": "CHN"}, {"organization": "XXX", "state": "CHN"}),
    "leave": ({"organization": "CSTO", "state": "KAZ"}, {"organization": "CSTO", "state": "XXX"}),
    "suspend": ({"organization": "CSTO", "state": "KAZ"}, {"organization": "X", "state": "KAZ"}),
    "treaty_suspend": ({"treaty": "CFE", "state": "RUS"}, {"treaty": "CFE", "state": "KAZ"}),
    "treaty_withdraw": ({"treaty": "CFE", "state": "RUS"}, {"treaty": "XXX", "state": "RUS"}),
    "base_open": ({"base": "rb"}, {"base": "nope"}),
    "base_close": ({"base": "rb"}, {"base": "nope"}),
    "project_launch": ({"project": "cp"}, {"project": "nope"}),
    "project_close": ({"project": "cp"}, {"project": "nope"}),
    "link_open": ({"link": "lk"}, {"link": "nope"}),
    "link_close": ({"link": "lk"}, {"link": "nope"}),
    "capacity_shock": (
        {"power": "RUS", "domain": "security", "factor": 0.5},
        {"power": "KAZ", "domain": "security", "factor": 0.5},
    ),
    "parameter_change": ({"key": "alignment.rate", "value": 0.2}, None),
    "alignment_shock": (
        {"state": "KAZ", "power": "CHN", "delta": 0.5},
        {"state": "KAZ", "power": "KAZ", "delta": 0.5},
    ),
}


def _event(kind: str, fields: dict[str, Any]):
    return TypeAdapter(Event).validate_python({"kind": kind, **DATE, **fields})


@pytest.fixture
def world(make_toy) -> World:
    link = {
        "id": "lk",
        "name": "remittances",
        "power": "RUS",
        "state": "KAZ",
        "domain": "economy",
        "opened": dt.date(2030, 1, 1),
    }
    treaty = {"CFE": {"name": "CFE", "parties": {"RUS": "in_force"}}}
    return World.at_start(make_toy(links=[link], treaties=treaty))


def test_every_kind_has_a_sample() -> None:
    assert set(SAMPLES) == set(KINDS)


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_check_accepts_good_references_and_names_bad_ones(kind: str, world: World) -> None:
    good, bad = SAMPLES[kind]
    assert list(check_event(world.params, _event(kind, good))) == []
    if bad is not None:
        findings = list(check_event(world.params, _event(kind, bad)))
        assert findings and all(isinstance(key, tuple) and msg for key, msg in findings)


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_describe_names_the_subject(kind: str) -> None:
    subject, _ = describe(_event(kind, SAMPLES[kind][0]))
    assert subject and subject in {str(v) for v in SAMPLES[kind][0].values()}


def _snapshot(world: World) -> tuple:
    return (
        sorted(world.memberships.rows()),
        sorted(world.treaty_status.items()),
        {k: sorted(v) for k, v in world.active.items()},
        world.capabilities.shock_factors().tolist(),
        world.params.alignment.rate,
        {k: v.tolist() for k, v in world.affinity.items()},
        world.boost.tolist(),
    )


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_apply_changes_the_world_and_reports_it(kind: str, world: World) -> None:
    event = _event(kind, SAMPLES[kind][0])
    if kind.endswith("_close"):  # close what is open
        world.active[event.section].add(event.site)
    if kind.endswith(("_open", "_launch")):
        world.active[event.section].discard(event.site)
    before = _snapshot(world)
    assert apply_event(world, event) is True
    assert _snapshot(world) != before


def test_join_of_a_rival_organization_boosts_rivals(world: World) -> None:
    apply_event(world, _event("join", {"organization": "CSTO", "state": "CHN"}))
    assert world.boost[world.power_index["CHN"]] > 0
    assert world.boost[world.power_index["RUS"]] == 0


def test_a_repeated_membership_event_changes_nothing(world: World) -> None:
    leave = _event("leave", {"organization": "CSTO", "state": "KAZ"})
    assert apply_event(world, leave) is True
    assert apply_event(world, leave) is False


def test_partnership_change_moves_the_dynamic_partnership(world: World) -> None:
    apply_event(world, _event("parameter_change", {"key": "partnership.RUS-CHN", "value": 0.1}))
    assert world.partnership_of("RUS", "CHN") == 0.1
    assert world.rivalry_matrix()[0, 1] == pytest.approx(0.9)
