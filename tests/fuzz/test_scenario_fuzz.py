"""Property: any mutation of the default scenario is rejected cleanly or runs finite.

A mutation sets one key of the resolved default scenario (or adds or deletes one) to a value
drawn from numbers at the edges of the floating-point range, huge integers, strings, booleans,
dates, arrays and tables, or scales a number by 0 to 1e6 (plausible changes, so that many
mutated scenarios are valid and run). Validation must then either raise
:class:`ScenarioError` (exit 2 on the command line, one line per problem, no traceback) or
accept a scenario that runs two months with finite outputs. Runs use a 1-degree grid (set
before the mutation, which may change it) and the NumPy backend to stay quick. The examples
are derandomized so CI is reproducible; ``HYPOTHESIS_PROFILE=deep`` explores more.
"""

from __future__ import annotations

import copy
import datetime as dt
import math
import os
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from multipolar._resources import configs_dir
from multipolar.config import ScenarioError, default_scenario_path
from multipolar.config.load import full_checks
from multipolar.config.toml_source import Layered, read_layers
from multipolar.config.validation import validate_layered
from multipolar.guards import FiniteGuard

settings.register_profile(
    "ci",
    max_examples=60,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
settings.register_profile(
    "deep", parent=settings.get_profile("ci"), max_examples=3000, derandomize=False
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))


def _base() -> Layered:
    layered = read_layers(default_scenario_path(), search=(configs_dir(),))
    layered.data["geography"]["resolution"] = 1.0
    return layered


BASE = _base()


def _paths(node: Any, key: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [key] if key else []
    if isinstance(node, dict):
        for k, v in node.items():
            found.extend(_paths(v, (*key, k)))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            found.extend(_paths(v, (*key, i)))
    return found


PATHS = _paths(BASE.data)

EDGES = [
    0,
    -1,
    1,
    0.5,
    1e308,
    -1e308,
    1e-308,
    1e-300,
    5e-324,
    1e6,
    2**63,
    -(2**63),
    10**30,
    float("nan"),
    float("inf"),
    "",
    "0.2",
    "auto",
    "RUS",
    "x" * 300,
    True,
    False,
    [],
    [1],
    ["KAZ"],
    {},
    {"a": 1},
    dt.date(1800, 1, 1),
    dt.date(2030, 6, 1),
]
VALUES = st.one_of(
    st.sampled_from(EDGES),
    st.floats(allow_nan=True, allow_infinity=True),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.text(max_size=8),
)


def _parent(data: dict[str, Any], key: tuple[Any, ...]) -> Any:
    node: Any = data
    for part in key[:-1]:
        node = node[part]
    return node


@st.composite
def mutations(draw: st.DrawFn) -> tuple[str, tuple[Any, ...], Any]:
    key = draw(st.sampled_from(PATHS))
    kind = draw(st.sampled_from(["set", "set", "scale", "scale", "scale", "delete", "add"]))
    if kind == "scale":  # a plausible change: often valid, so the model runs with it
        return kind, key, draw(st.sampled_from([0.0, 0.5, 2.0, 10.0, 100.0, 1e6]))
    return kind, key, draw(VALUES)


def _mutate(layered: Layered, kind: str, key: tuple[Any, ...], value: Any) -> None:
    parent = _parent(layered.data, key)
    last = key[-1]
    if kind == "scale":
        old = parent[last]
        if isinstance(old, int | float) and not isinstance(old, bool):
            parent[last] = old * value if isinstance(old, float) else int(old * value)
    elif kind == "delete":
        parent.pop(last)
    elif kind == "add" and isinstance(parent, dict):
        parent[f"{last}_extra"] = value
    else:
        parent[last] = value


def _run_two_months(scenario: Any) -> None:
    from multipolar.model import MultipolarModel

    model = MultipolarModel(scenario=scenario, backend="numpy")
    guard = FiniteGuard()
    guard.check(model)
    for _ in range(min(2, model.n_steps)):
        model.step()
        guard.check(model)
    assert np.isfinite(model.field.to_host()).all()


@settings(parent=settings.get_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci")))
@given(st.lists(mutations(), min_size=1, max_size=2))
@pytest.mark.slow
def test_mutated_default_scenario_is_rejected_cleanly_or_runs_finite(
    changes: list[tuple[str, tuple[Any, ...], Any]],
) -> None:
    layered = Layered(BASE.top)
    layered.data = copy.deepcopy(BASE.data)
    layered.origins = dict(BASE.origins)
    layered.order = list(BASE.order)
    for kind, key, value in changes:
        try:
            _mutate(layered, kind, key, value)
        except (KeyError, IndexError, TypeError):
            continue  # an earlier change removed this key's table
    try:
        scenario = validate_layered(layered, full_checks)
    except ScenarioError as error:
        event("rejected")
        assert error.problems
        for problem in error.problems:
            text = str(problem)
            assert text and "\n" not in text and "Traceback" not in text
        return
    event("ran")
    _run_two_months(scenario)


def test_the_unmutated_base_runs_finite() -> None:
    scenario = validate_layered(BASE, full_checks)
    assert math.isclose(scenario.geography.resolution, 1.0)
    _run_two_months(scenario)


LITERALS = st.one_of(
    st.sampled_from(
        [
            "1e308",
            "-1e308",
            "nan",
            "inf",
            "0",
            "-0.0",
            "1" * 5000,
            "'0.2'",
            "true",
            "[1, [2]]",
            "{a = 1}",
            "2024-13-01",
            "2024-02-01",
            '"auto"',
            "[",
            "'",
            "",
        ]
    ),
    st.text(alphabet="0123456789.-e+[]{}=\"' abcxyz_", max_size=12),
)


@settings(
    parent=settings.get_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci")),
    max_examples=40,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    key=st.one_of(
        st.sampled_from([".".join(map(str, p)) for p in PATHS]),
        st.text(alphabet="abcdefghijklmnopqrstuvwxyz._0123456789-", max_size=20),
    ),
    value=LITERALS,
)
def test_any_set_on_the_command_line_is_ok_or_bad_input(
    key: str, value: str, capsys: pytest.CaptureFixture[str]
) -> None:
    from multipolar import cli

    capsys.readouterr()
    code = cli.main(["validate", str(default_scenario_path()), f"--set={key}={value}"])
    err = capsys.readouterr().err
    assert code in (0, 2), err
    assert "Traceback" not in err and "internal error" not in err
    if code == 2:
        assert err.startswith("--set ") or err.startswith(str(default_scenario_path().parent))
