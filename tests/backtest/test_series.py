"""Capacities following the yearly record, in constant 2015 US$."""

from __future__ import annotations

import csv
import datetime as dt
import math
import shutil
import statistics
import tomllib

import pytest

from multipolar.backtest.data import history_dir, read_series
from multipolar.backtest.series import (
    BASE_YEAR,
    SIPRI_PRICE_YEAR,
    SeriesCapabilities,
    constant_gdp,
    interpolate,
    load_constant_series,
)
from multipolar.config import ScenarioError, load_scenario


@pytest.fixture(scope="module")
def series():
    return load_constant_series()


@pytest.fixture(scope="module")
def current():
    return read_series(history_dir() / "gdp_wdi.csv", "gdp_usd_bn")


def test_interpolate_holds_at_the_ends_and_is_linear_between():
    points = {2000: 10.0, 2002: 30.0}
    assert interpolate(points, 1995.0) == 10.0
    assert interpolate(points, 2010.0) == 30.0
    assert interpolate(points, 2001.5) == pytest.approx(20.0)


def test_constant_gdp_chains_growth_both_ways_from_the_base_year():
    current = {"AAA": {2013: 50.0, 2014: 80.0, 2015: 100.0, 2016: 130.0}, "BBB": {2014: 5.0}}
    growth = {"AAA": {2014: 25.0, 2015: 10.0, 2016: -50.0, 2018: 3.0}}
    result = constant_gdp(current, growth, base_year=2015)
    assert "BBB" not in result  # no base-year value
    assert result["AAA"][2015] == 100.0
    assert result["AAA"][2016] == pytest.approx(50.0)
    assert result["AAA"][2014] == pytest.approx(100.0 / 1.10)
    assert result["AAA"][2013] == pytest.approx(100.0 / 1.10 / 1.25)
    assert 2017 not in result["AAA"] and 2018 not in result["AAA"]  # the chain stops at a gap


def test_constant_equals_current_gdp_in_the_base_year_and_covers_the_record(series, current):
    for code, points in series.gdp.items():
        assert points[BASE_YEAR] == pytest.approx(current[code][BASE_YEAR])
        assert min(points) == min(current[code])  # as far back as the current series
        assert max(points) == 2024
    assert len(series.gdp) == len(current) == 21


def test_the_implied_us_deflator_matches_wdis_own_deflator(series, current):
    """Current / constant GDP of the USA is its GDP deflator: check it against WDI's."""
    inflation = read_series(history_dir() / "gdp_deflator_wdi.csv", "inflation_pct", signed=True)
    usa, constant = current["USA"], series.gdp["USA"]
    for year, rate in inflation["USA"].items():
        implied = (usa[year] / constant[year]) / (usa[year - 1] / constant[year - 1]) - 1.0
        assert 100.0 * implied == pytest.approx(rate, abs=0.01)
    chained = math.prod(
        1.0 + inflation["USA"][y] / 100.0 for y in range(BASE_YEAR + 1, SIPRI_PRICE_YEAR + 1)
    )
    assert series.us_price_ratio == pytest.approx(chained, rel=1e-4)


def test_sipri_constant_dollars_are_rebased_by_one_factor(series):
    sipri = read_series(history_dir() / "milex_sipri_constant.csv", "milex_usd2022_bn")
    for code, points in sipri.items():
        for year, value in points.items():
            assert series.military[code][year] * series.us_price_ratio == pytest.approx(value)


def test_sipri_current_and_constant_dollars_agree_in_the_price_year_and_track_us_prices(
    series, current
):
    cur = read_series(history_dir() / "milex_sipri.csv", "milex_usd_bn")
    const = read_series(history_dir() / "milex_sipri_constant.csv", "milex_usd2022_bn")
    for code in const:
        if SIPRI_PRICE_YEAR in const[code]:
            assert cur[code][SIPRI_PRICE_YEAR] == pytest.approx(const[code][SIPRI_PRICE_YEAR])
    # For the USA, current / constant 2022 US$ is the US price level relative to 2022: SIPRI
    # uses consumer prices, WDI the GDP deflator; over 1992-2023 the two stay within 10 %.
    for year in range(1992, 2024):
        sipri_prices = cur["USA"][year] / const["USA"][year]
        deflator = (current["USA"][year] / series.gdp["USA"][year]) / series.us_price_ratio
        assert sipri_prices == pytest.approx(deflator, rel=0.10)


def test_gdp_and_military_follow_the_series(series):
    caps = SeriesCapabilities(load_scenario("history_1992_2024.toml"))
    caps.update(dt.date(2008, 7, 1))  # between the mid-2008 and mid-2009 points
    for iso3 in ("USA", "CHN", "RUS", "KAZ"):
        gdp, mil = series.gdp[iso3], series.military[iso3]
        g, m = caps.of(iso3)
        assert min(gdp[2008], gdp[2009]) <= g <= max(gdp[2008], gdp[2009])
        b08, b09 = mil[2008] / gdp[2008], mil[2009] / gdp[2009]
        assert min(b08, b09) - 1e-12 <= m / g <= max(b08, b09) + 1e-12
    caps.update(dt.date(1992, 1, 1))  # before the first mid-year point: held
    g, m = caps.of("CHN")
    assert g == pytest.approx(series.gdp["CHN"][1992])
    assert m / g == pytest.approx(series.military["CHN"][1992] / series.gdp["CHN"][1992])
    caps.update(dt.date(2010, 1, 1))  # Turkmenistan: SIPRI 1994-1999 only, burden held
    g, m = caps.of("TKM")
    assert m / g == pytest.approx(series.military["TKM"][1999] / series.gdp["TKM"][1999])
    fallbacks = caps.fallbacks()
    assert "TKM 1999" in fallbacks["military_burden_held_after"]
    assert "AFG 2000" in fallbacks["gdp_held_before"]
    assert fallbacks["military_burden_imputed"] == []
    assert fallbacks["gdp_static"] == []


def test_a_state_without_sipri_figures_takes_the_median_burden(tmp_path, series):
    for path in history_dir().glob("*.csv"):
        shutil.copy(path, tmp_path / path.name)
    name = tmp_path / "milex_sipri_constant.csv"
    rows = list(csv.reader(name.open(encoding="utf-8")))
    with name.open("w", encoding="utf-8", newline="") as handle:
        csv.writer(handle).writerows([r for r in rows if r[0] != "TKM"])
    caps = SeriesCapabilities(load_scenario("history_1992_2024.toml"), tmp_path)
    assert caps.fallbacks()["military_burden_imputed"] == ["TKM"]
    caps.update(dt.date(2010, 1, 1))
    year = 2010 + 0.5 / 12
    burdens = [
        interpolate({y: series.military[c][y] / series.gdp[c][y] for y in series.military[c]}, year)
        for c in series.military
        if c != "TKM"
    ]
    g, m = caps.of("TKM")
    assert m / g == pytest.approx(statistics.median(burdens))


def test_missing_us_gdp_is_a_clear_error(tmp_path):
    for path in history_dir().glob("*.csv"):
        shutil.copy(path, tmp_path / path.name)
    growth = tmp_path / "gdp_growth_wdi.csv"
    rows = list(csv.reader(growth.open(encoding="utf-8")))
    with growth.open("w", encoding="utf-8", newline="") as handle:
        csv.writer(handle).writerows([r for r in rows if r[0] != "USA"])
    with pytest.raises(ScenarioError, match="USA"):
        load_constant_series(tmp_path)


def test_static_figures_are_the_series_values_of_their_year(series):
    """The facts' static figures are the backtest's reference capacities: same units."""
    facts = tomllib.loads((history_dir() / "facts_1992_2024.toml").read_text(encoding="utf-8"))
    for code, state in facts["states"].items():
        gdp = state["gdp"]
        assert gdp["value"] == pytest.approx(series.gdp[code][gdp["year"]], rel=5e-3)
        if "military_expenditure" in state:
            mil = state["military_expenditure"]
            assert mil["value"] == pytest.approx(series.military[code][mil["year"]], rel=5e-3)
        else:
            assert gdp["year"] not in series.military.get(code, {})
