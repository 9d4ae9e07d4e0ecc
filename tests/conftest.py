"""Shared fixtures: an isolated raster cache, and a three-state toy world without rasters."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest


@pytest.fixture(autouse=True, scope="session")
def _raster_cache(tmp_path_factory: pytest.TempPathFactory) -> None:
    """Keep the geography cache inside the test session's temporary folder."""
    import os

    os.environ.setdefault("MULTIPOLAR_CACHE_DIR", str(tmp_path_factory.mktemp("cache")))


SOURCE = {"year": 2022, "source": "toy figure for a test"}


def toy_scenario(**changes: Any) -> Any:
    """RUS and CHN (great powers) and KAZ, one organization led by RUS, one base, one project.

    Imports stay inside: the kernel tests must run where only NumPy and Numba are installed.
    """
    from multipolar.config import Scenario

    data: dict[str, Any] = {
        "name": "toy",
        "run": {"start": dt.date(2023, 1, 1), "end": dt.date(2024, 1, 1)},
        "powers": {
            "RUS": {"regional_weight": 1.0, "effort": {"security": 0.6, "economy": 0.4}},
            "CHN": {"regional_weight": 0.5, "effort": {"security": 0.2, "economy": 0.8}},
        },
        "partnership": {"RUS-CHN": 0.6},
        "states": {
            "RUS": {
                "name": "Russia",
                "role": "great_power",
                "capital": {"name": "Moscow", "lon": 37.6, "lat": 55.8},
                "gdp": {"value": 2000.0, **SOURCE},
                "military_expenditure": {"value": 100.0, **SOURCE},
                "gdp_growth": {"value": 0.01, **SOURCE},
            },
            "CHN": {
                "name": "China",
                "role": "great_power",
                "capital": {"name": "Beijing", "lon": 116.4, "lat": 39.9},
                "gdp": {"value": 18000.0, **SOURCE},
                "military_expenditure": {"value": 300.0, **SOURCE},
                "gdp_growth": {"value": 0.04, **SOURCE},
            },
            "KAZ": {
                "name": "Kazakhstan",
                "role": "central_asia",
                "capital": {"name": "Astana", "lon": 71.4, "lat": 51.2},
                "gdp": {"value": 200.0, **SOURCE},
            },
        },
        "organizations": {
            "CSTO": {
                "name": "Collective Security Treaty Organization",
                "members": {"RUS": dt.date(1992, 5, 15), "KAZ": dt.date(1992, 5, 15)},
                "leaders": {"RUS": 1.0},
                "domains": {"security": 0.9, "economy": 0.1},
            }
        },
        "bases": [
            {
                "id": "rb",
                "name": "a Russian base",
                "power": "RUS",
                "host": "KAZ",
                "lon": 70.0,
                "lat": 50.0,
                "opened": dt.date(2000, 1, 1),
                "size": {"value": 1000.0, "unit": "troops", **SOURCE},
            }
        ],
        "projects": [
            {
                "id": "cp",
                "name": "a Chinese pipeline",
                "power": "CHN",
                "domain": "economy",
                "path": [[70.0, 45.0], [80.0, 45.0]],
                "opened": dt.date(2010, 1, 1),
                "size": {"value": 5.0, "unit": "usd_bn", **SOURCE},
            }
        ],
    }
    for key, value in changes.items():
        node = data
        *parents, last = key.split("__")
        for part in parents:
            node = node.setdefault(part, {})
        node[last] = value
    return Scenario.model_validate(data)


@pytest.fixture
def make_toy() -> Any:
    """A function building the toy scenario with ``a__b=value`` changes."""
    return toy_scenario


@pytest.fixture
def toy() -> Any:
    """The toy world at its start."""
    from multipolar.world import World

    return World.at_start(toy_scenario())


@pytest.fixture
def everywhere() -> Any:
    """A presence test for which every state, base and project has cells (no raster)."""
    return lambda section, key: True
