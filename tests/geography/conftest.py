from __future__ import annotations

import pytest

from multipolar.geography import Geography, Grid, build_geography

CONDUCTANCE = {"open_land": 1.0, "mountains": 0.4, "water": 0.1}


@pytest.fixture(scope="session")
def geo_cache(tmp_path_factory: pytest.TempPathFactory):
    return tmp_path_factory.mktemp("geo-cache")


@pytest.fixture(scope="session")
def geo25(geo_cache) -> Geography:
    return build_geography(Grid(resolution=0.25), CONDUCTANCE, cache_dir=geo_cache)


@pytest.fixture(scope="session")
def geo05(geo_cache) -> Geography:
    return build_geography(Grid(resolution=0.05), CONDUCTANCE, cache_dir=geo_cache)


@pytest.fixture(params=[0.25, 0.05], ids=["0.25deg", "0.05deg"])
def geo(request, geo25, geo05) -> Geography:
    return geo25 if request.param == 0.25 else geo05
