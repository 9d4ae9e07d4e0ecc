"""Substeps per month by scheme, and the validate-time advice to use the implicit scheme."""

from __future__ import annotations

import math

import pytest

from multipolar.cli import main
from multipolar.config import load_scenario
from multipolar.config.checks import (
    EXPLICIT_WARN_SUBSTEPS,
    implicit_substeps,
    scheme_warnings,
    stable_substeps,
    substeps_for,
)


def _scenario(*overrides: str):
    return load_scenario(overrides=list(overrides))


def test_implicit_substeps_follow_the_accuracy_target_not_the_resolution():
    coarse = _scenario("diffusion.scheme=implicit")
    fine = _scenario("diffusion.scheme=implicit", "geography.resolution=0.05")
    fastest = max(coarse.diffusion.security.decay, coarse.diffusion.economy.decay)
    assert substeps_for(coarse) == math.ceil(round(fastest / coarse.diffusion.accuracy, 9))
    assert substeps_for(fine) == substeps_for(coarse)
    assert stable_substeps(fine) > 20 * stable_substeps(coarse)


def test_accuracy_target_sets_dt_times_the_fastest_decay():
    for accuracy in (0.01, 0.05, 0.2):
        s = _scenario("diffusion.scheme=implicit", f"diffusion.accuracy={accuracy}")
        n = substeps_for(s)
        fastest = max(s.diffusion.security.decay, s.diffusion.economy.decay)
        assert fastest / n <= accuracy + 1e-12
        assert n == 1 or fastest / (n - 1) > accuracy


def test_implicit_substeps_are_capped_by_the_explicit_ones():
    s = _scenario("diffusion.scheme=implicit", "diffusion.accuracy=0.0001")
    assert implicit_substeps(s) == stable_substeps(s)


def test_explicit_auto_keeps_stability_and_a_number_is_taken_as_is():
    assert substeps_for(_scenario("diffusion.scheme=explicit")) == stable_substeps(_scenario())
    assert substeps_for(_scenario("diffusion.substeps=7")) == 7


def test_implicit_scheme_takes_any_substeps_without_a_stability_error():
    s = _scenario("diffusion.scheme=implicit", "diffusion.substeps=1")
    assert substeps_for(s) == 1
    with pytest.raises(ValueError, match="unstable"):
        _scenario("diffusion.scheme=explicit", "diffusion.substeps=1")


def test_validate_warns_with_the_cost_when_explicit_takes_thousands_of_substeps(capsys):
    keys = ["--set", "diffusion.scheme=explicit", "--set", "geography.resolution=0.04"]
    keys += ["--set", "geography.lon_max=60"]
    scenario = _scenario(*(k for k in keys if k != "--set"))
    assert substeps_for(scenario) >= EXPLICIT_WARN_SUBSTEPS
    assert main(["validate", "configs/central_asia_2023.toml", *keys]) == 0
    out, err = capsys.readouterr()
    assert out.strip() == "ok"
    line = err.strip()
    assert line.startswith("configs/central_asia_2023.toml: diffusion.scheme: warning: ")
    height, width = 750, 500
    cells = f"{height * width} cells x 6 channels x {substeps_for(scenario)} substeps x 120 months"
    assert cells in line and 'diffusion.scheme = "implicit" takes 4 substeps' in line


def test_no_warning_for_the_implicit_scheme_or_few_substeps():
    assert scheme_warnings(_scenario("geography.resolution=0.04", "geography.lon_max=60")) == []
    assert scheme_warnings(_scenario("diffusion.scheme=explicit")) == []


def test_cost_error_suggests_the_implicit_scheme():
    with pytest.raises(ValueError, match='use diffusion.scheme = "implicit"'):
        _scenario("diffusion.scheme=explicit", "geography.resolution=0.025")
