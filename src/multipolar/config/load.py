"""Load a scenario: read TOML (with ``extends``), apply overrides, validate, cross-check.

Every problem found is reported, each as ``<file>: <dotted.key>: <what is wrong>``, where
``<file>`` is the file that the offending key came from (``--set <key>: <what is wrong>``
for a command-line override).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from multipolar._resources import bundled_file, configs_dir
from multipolar.config.checks import Finding, check_scenario
from multipolar.config.errors import KEYWORDS, ScenarioError
from multipolar.config.history import check_history
from multipolar.config.schema import Scenario
from multipolar.config.toml_source import (
    Layered,
    apply_overrides,
    parse_key,
    read_layers,
    read_toml,
    set_value,
)
from multipolar.config.validation import problems_of, validate_layered

__all__ = [
    "DEFAULT_SCENARIO",
    "BundledScenario",
    "bundled_scenarios",
    "default_scenario_path",
    "describe_bundled",
    "full_checks",
    "load_scenario",
    "override",
    "resolve_scenario_path",
    "validate_fragment",
]

DEFAULT_SCENARIO = "central_asia_2023.toml"


def default_scenario_path() -> Path:
    """Path of the bundled default scenario (Central Asia, 2023-01 to 2033-01)."""
    return configs_dir() / DEFAULT_SCENARIO


def bundled_scenarios() -> list[Path]:
    """Every bundled scenario file (variants included), sorted by name.

    Fragments that scenarios extend (``fitted_parameters.toml``: no ``name`` of their own) are
    not scenarios.
    """
    return sorted(p for p in configs_dir().glob("*.toml") if _names_a_scenario(p))


def _names_a_scenario(path: Path) -> bool:
    try:
        return "name" in read_toml(path, str(path))
    except ScenarioError:
        return True  # a broken bundled file is reported by whoever loads it


@dataclass(frozen=True)
class BundledScenario:
    """A bundled scenario: the name to run it by, its file and its description."""

    name: str
    path: Path
    description: str


def describe_bundled() -> list[BundledScenario]:
    """The bundled scenarios with their descriptions (read from the files, not validated)."""
    found = []
    for path in bundled_scenarios():
        try:
            description = read_layers(path, search=(configs_dir(),)).data.get("description", "")
        except ScenarioError as error:
            description = f"(cannot be read: {error.problems[0].message})"
        found.append(BundledScenario(path.stem, path, str(description)))
    return found


def resolve_scenario_path(path: str | Path | None) -> Path:
    """The file a scenario argument names: a path, or a bundled scenario by file or name.

    ``ukraine_war_drain`` and ``ukraine_war_drain.toml`` both name the bundled variant when
    no such file exists in the current directory.
    """
    if path is None:
        return default_scenario_path()
    return bundled_file(path, configs_dir())


def full_checks(scenario: Scenario) -> list[Finding]:
    """Every check a scenario must pass: cross-references, grid and cost, then its events."""
    findings = check_scenario(scenario)
    if not findings:
        findings.extend(check_history(scenario))
    return findings


def load_scenario(path: str | Path | None = None, overrides: Sequence[str] = ()) -> Scenario:
    """Load and validate a scenario file (default: the bundled Central Asia 2023 scenario).

    Args:
        path: a scenario TOML file, or the name of a bundled one; None for the default.
        overrides: ``dotted.key=value`` strings applied after the file, as ``--set`` does.

    Raises:
        ScenarioError: listing every problem, one ``<file>: <key>: <what>`` line each.
    """
    layered = read_layers(resolve_scenario_path(path), search=(configs_dir(),))
    apply_overrides(layered, overrides)
    return validate_layered(layered, full_checks)


def validate_fragment(path: str | Path) -> bool:
    """Validate a file that may be a fragment (like the facts file, which has no ``name``).

    A fragment (a file with neither ``name`` nor ``extends``) has its keys and values checked
    against the schema; the keys a whole scenario needs (``name``, ``powers``, ``states``)
    may be missing, and cross-references are left to the scenarios that extend it.

    Returns:
        True when the file is a fragment (and valid); False when it is a whole scenario,
        which the caller should load with :func:`load_scenario`.

    Raises:
        ScenarioError: the fragment's problems.
    """
    layered = read_layers(resolve_scenario_path(path), search=(configs_dir(),))
    if "name" in layered.data or layered.extends is not None:
        return False  # a scenario, or a variant of one (which needs a name of its own)
    if not layered.data:
        raise ScenarioError.one(layered.top, "", "empty: no keys to check")
    try:
        Scenario.model_validate(layered.data)
    except ValidationError as error:
        problems = [
            p
            for p in problems_of(error, layered)
            if not (p.message == "missing required key" and "." not in p.key)
        ]
        if problems:
            raise ScenarioError(problems) from None
    return True


def override(scenario: Scenario, values: Mapping[str, Any], label: str = KEYWORDS) -> Scenario:
    """Return ``scenario`` with dotted keys set to new values (``a__b`` is read as ``a.b``).

    This is the thin keyword layer for ``mesa.batch_run`` and sliders; it uses the same
    setter as ``--set`` and the result is validated and cross-checked like a file.
    """
    if not values:
        return scenario
    layered = Layered(label)
    layered.merge(scenario.model_dump(mode="json"), scenario.name)
    for key, value in values.items():
        set_value(layered, parse_key(key.replace("__", "."), label), value, label)
    return validate_layered(layered, full_checks)
