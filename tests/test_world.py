"""The World's views of the scenario: conflicts by date and the adversaries' backing."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest

from multipolar.config import load_scenario
from multipolar.world import World


@pytest.fixture(scope="module")
def history():
    return load_scenario("history_1992_2024.toml")


def test_adversaries_follow_the_conflicts_dates(history) -> None:
    world = World.at_start(history)
    assert world.adversaries("ARM") == ["AZE"]  # Turkey closed the border in 1993
    assert world.adversaries("KAZ") == []
    world.date = dt.date(1994, 1, 1)
    assert sorted(world.adversaries("ARM")) == ["AZE", "TUR"]
    assert world.adversaries("TUR") == ["ARM"]


def test_backing_is_the_adversaries_mean_alignment(history) -> None:
    world = World.at_start(history)
    world.date = dt.date(1994, 1, 1)
    alignments = {
        "ARM": np.array([0.8, 0.1, 0.1]),
        "AZE": np.array([0.2, 0.2, 0.6]),
        "TUR": np.array([0.0, 0.0, 1.0]),
        "KAZ": np.array([0.5, 0.3, 0.2]),
    }
    world.back_adversaries(alignments)
    assert world.backing_of("ARM") == pytest.approx([0.1, 0.1, 0.8])
    assert world.backing_of("AZE") == pytest.approx(alignments["ARM"])
    assert world.backing_of("KAZ") == pytest.approx(np.zeros(3))
