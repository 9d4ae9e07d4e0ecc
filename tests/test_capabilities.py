from __future__ import annotations

import datetime as dt
import math

import pytest

from multipolar.capabilities import Capabilities
from multipolar.config import load_scenario


def test_gdp_grows_at_the_sourced_rate_and_military_follows() -> None:
    scenario = load_scenario()
    caps = Capabilities(scenario)
    chn = scenario.states["CHN"]
    caps.update(dt.date(2032, 7, 1))
    years = (2032 + 6.5 / 12) - (chn.gdp.year + 0.5)
    gdp, mil = caps.of("CHN")
    assert gdp == pytest.approx(chn.gdp.value * (1 + chn.gdp_growth.value) ** years)
    assert mil / gdp == pytest.approx(chn.military_expenditure.value / chn.gdp.value)


def test_missing_military_figure_takes_the_median_share() -> None:
    scenario = load_scenario()
    caps = Capabilities(scenario)
    assert scenario.states["UZB"].military_expenditure is None
    shares = sorted(
        s.military_expenditure.value / s.gdp.value
        for s in scenario.states.values()
        if s.military_expenditure is not None
    )
    n = len(shares)
    median = shares[n // 2] if n % 2 else (shares[n // 2 - 1] + shares[n // 2]) / 2
    gdp, mil = caps.of("UZB")
    assert mil / gdp == pytest.approx(median)


def test_shock_recovers_exponentially() -> None:
    caps = Capabilities(load_scenario())
    caps.apply_shock("RUS", "security", 0.6, recovery_per_year=0.5)
    for _ in range(12):
        caps.recover_month()
    assert caps.shock[("RUS", "security")] == pytest.approx(1 - 0.4 * math.exp(-0.5))
    assert caps.shock[("RUS", "economy")] == 1.0
