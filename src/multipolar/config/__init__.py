"""Scenario files: schema, loading (with ``extends`` and ``--set``), and clear errors."""

from __future__ import annotations

from multipolar.config.checks import stable_substeps
from multipolar.config.dynamic import with_value
from multipolar.config.errors import Problem, ScenarioError
from multipolar.config.load import (
    DEFAULT_SCENARIO,
    BundledScenario,
    bundled_scenarios,
    default_scenario_path,
    describe_bundled,
    load_scenario,
    override,
    resolve_scenario_path,
    validate_fragment,
)
from multipolar.config.schema import DOMAINS, Scenario

__all__ = [
    "DEFAULT_SCENARIO",
    "DOMAINS",
    "BundledScenario",
    "Problem",
    "Scenario",
    "ScenarioError",
    "bundled_scenarios",
    "default_scenario_path",
    "describe_bundled",
    "load_scenario",
    "override",
    "resolve_scenario_path",
    "stable_substeps",
    "validate_fragment",
    "with_value",
]
