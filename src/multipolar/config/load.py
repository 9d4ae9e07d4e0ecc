"""Load a scenario: read TOML (with ``extends``), apply overrides, validate, cross-check.

Every problem found is reported, each as ``<file>: <dotted.key>: <what is wrong>``, where
``<file>`` is the file (or ``--set``) that the offending key came from.
"""

from __future__ import annotations

import difflib
import types
import typing
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from multipolar._resources import configs_dir
from multipolar.config.checks import check_scenario
from multipolar.config.errors import Problem, ScenarioError
from multipolar.config.schema import EVENT_KINDS, Scenario
from multipolar.config.toml_source import Layered, apply_overrides, read_layers, set_value

__all__ = [
    "DEFAULT_SCENARIO",
    "bundled_scenarios",
    "default_scenario_path",
    "load_scenario",
    "override",
]

DEFAULT_SCENARIO = "central_asia_2023.toml"


def default_scenario_path() -> Path:
    """Path of the bundled default scenario (Central Asia, 2023-01 to 2033-01)."""
    return configs_dir() / DEFAULT_SCENARIO


def bundled_scenarios() -> list[Path]:
    """Every bundled scenario file (variants included), sorted by name."""
    return sorted(configs_dir().glob("*.toml"))


def _resolve_path(path: str | Path | None) -> Path:
    if path is None:
        return default_scenario_path()
    path = Path(path)
    if not path.exists() and not path.is_absolute() and (configs_dir() / path).is_file():
        return configs_dir() / path
    return path


def load_scenario(path: str | Path | None = None, overrides: Sequence[str] = ()) -> Scenario:
    """Load and validate a scenario file (default: the bundled Central Asia 2023 scenario).

    Args:
        path: a scenario TOML file, or the name of a bundled one; None for the default.
        overrides: ``dotted.key=value`` strings applied after the file, as ``--set`` does.

    Raises:
        ScenarioError: listing every problem, one ``<file>: <key>: <what>`` line each.
    """
    layered = read_layers(_resolve_path(path), search=(configs_dir(),))
    apply_overrides(layered, overrides)
    return _validate(layered)


def override(scenario: Scenario, values: Mapping[str, Any], label: str = "overrides") -> Scenario:
    """Return ``scenario`` with dotted keys set to new values (``a__b`` is read as ``a.b``).

    This is the thin keyword layer for ``mesa.batch_run`` and sliders; the result is
    validated and cross-checked like a file.
    """
    if not values:
        return scenario
    layered = Layered(label)
    layered.merge(scenario.model_dump(mode="json"), scenario.name)
    for key, value in values.items():
        parts = tuple(int(p) if p.isdigit() else p for p in key.replace("__", ".").split("."))
        set_value(layered, parts, value, label)
    return _validate(layered)


def _validate(layered: Layered) -> Scenario:
    try:
        scenario = Scenario.model_validate(layered.data)
    except ValidationError as error:
        raise ScenarioError(_pydantic_problems(error, layered)) from None
    findings = check_scenario(scenario)
    if findings:
        raise ScenarioError(
            Problem(layered.origin(key), _dotted(key), message) for key, message in findings
        )
    return scenario


def _dotted(key: Iterable[str | int]) -> str:
    return ".".join(str(part) for part in key)


def _pydantic_problems(error: ValidationError, layered: Layered) -> list[Problem]:
    problems = []
    for item in error.errors():
        loc = _strip_tags(item["loc"])
        problems.append(Problem(layered.origin(loc), _dotted(loc), _message(item, loc)))
    return problems


def _strip_tags(loc: tuple[Any, ...]) -> tuple[str | int, ...]:
    """Drop the discriminator tag pydantic inserts after an event's index."""
    if len(loc) >= 3 and loc[0] == "events" and loc[2] in EVENT_KINDS:
        return (*loc[:2], *loc[3:])
    return tuple(loc)


def _message(item: Any, loc: tuple[str | int, ...]) -> str:
    kind = item["type"]
    if kind == "extra_forbidden":
        known = _known_keys(loc[:-1])
        close = difflib.get_close_matches(str(loc[-1]), known, n=1)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        return f"unknown key{hint}"
    if kind == "missing":
        return "missing required key"
    if kind == "finite_number":
        return "must be a finite number (not nan or inf)"
    if kind == "union_tag_invalid":
        return f"unknown kind {item['input'].get('kind')!r}; choose from {', '.join(EVENT_KINDS)}"
    if kind == "union_tag_not_found":
        return "missing required key 'kind'"
    message = item["msg"]
    if message.startswith("Value error, "):
        message = message.removeprefix("Value error, ")
    return message[:1].lower() + message[1:]


def _known_keys(loc: tuple[str | int, ...]) -> list[str]:
    """Field names of the schema table at ``loc`` (for 'did you mean' hints)."""
    node: Any = Scenario
    for part in loc:
        node = _step_into(node, part)
        if node is None:
            return []
    return list(node.model_fields) if _is_model(node) else []


def _is_model(node: Any) -> bool:
    return isinstance(node, type) and issubclass(node, BaseModel)


def _step_into(node: Any, part: str | int) -> Any:
    if _is_model(node):
        field = node.model_fields.get(str(part))
        return None if field is None else _unwrap(field.annotation)
    origin = typing.get_origin(node)
    args = typing.get_args(node)
    if origin is dict:
        return _unwrap(args[1])
    if origin in (tuple, list) and args:
        return _unwrap(args[0])
    return None


def _unwrap(annotation: Any) -> Any:
    """Strip Annotated and Optional; keep dict/tuple/list and models."""
    while True:
        origin = typing.get_origin(annotation)
        if origin is typing.Annotated:
            annotation = typing.get_args(annotation)[0]
        elif origin in (typing.Union, types.UnionType):
            options = [a for a in typing.get_args(annotation) if a is not type(None)]
            models = [
                a for a in options if _is_model(a) or typing.get_origin(a) in (dict, tuple, list)
            ]
            if len(models) != 1:
                return None
            annotation = models[0]
        else:
            return annotation
