"""Capacities following the yearly record."""

from __future__ import annotations

import datetime as dt

import pytest

from multipolar.backtest.data import history_dir, read_series
from multipolar.backtest.series import SeriesCapabilities, interpolate
from multipolar.config import load_scenario


def test_interpolate_holds_at_the_ends_and_is_linear_between():
    points = {2000: 10.0, 2002: 30.0}
    assert interpolate(points, 1995.0) == 10.0
    assert interpolate(points, 2010.0) == 30.0
    assert interpolate(points, 2001.5) == pytest.approx(20.0)


def test_gdp_and_military_follow_the_sourced_years():
    gdp = read_series(history_dir() / "gdp_wdi.csv", "gdp_usd_bn")
    milex = read_series(history_dir() / "milex_sipri.csv", "milex_usd_bn")
    caps = SeriesCapabilities(load_scenario("history_1992_2024.toml"))
    caps.update(dt.date(2008, 7, 1))  # between the mid-2008 and mid-2009 points
    for iso3 in ("USA", "CHN", "RUS"):
        g, m = caps.of(iso3)
        assert min(gdp[iso3][2008], gdp[iso3][2009]) <= g <= max(gdp[iso3][2008], gdp[iso3][2009])
        b08 = milex[iso3][2008] / gdp[iso3][2008]
        b15 = milex[iso3][2015] / gdp[iso3][2015]
        assert min(b08, b15) - 1e-9 <= m / g <= max(b08, b15) + 1e-9
    caps.update(dt.date(1992, 1, 1))  # before the first mid-year point: held
    g, m = caps.of("CHN")
    assert g == pytest.approx(gdp["CHN"][1992])
    assert m / g == pytest.approx(milex["CHN"][2008] / gdp["CHN"][2008])  # burden held back
    assert "UZB" in caps.fallbacks()["military_burden_imputed"]
