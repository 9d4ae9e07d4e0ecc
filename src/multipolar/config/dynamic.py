"""Parameters that events may change during a run, and how a change is applied.

A ``parameter_change`` event replaces one value of the scenario from its date on. The
model keeps the current parameters as a frozen :class:`Scenario` and swaps in the
re-validated copy this module returns, so a changed value obeys the same constraints as
one read from a file.
"""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError

from multipolar.config.schema import Scenario

__all__ = ["DYNAMIC_SECTIONS", "with_value"]

DYNAMIC_SECTIONS = (
    "powers",
    "partnership",
    "alignment",
    "capability",
    "security_dilemma",
    "statecraft",
    "organizations",
    "treaties",
)


def with_value(scenario: Scenario, key: str, value: Any) -> Scenario:
    """Return ``scenario`` with the dotted ``key`` set to ``value``, re-validated.

    Raises:
        ValueError: the key is not changeable, does not exist, or the value is invalid.
    """
    parts = key.split(".")
    if parts[0] not in DYNAMIC_SECTIONS:
        raise ValueError(
            f"{key!r} cannot change during a run; "
            f"changeable sections: {', '.join(DYNAMIC_SECTIONS)}"
        )
    data = scenario.model_dump()
    node: Any = data
    for depth, part in enumerate(parts[:-1]):
        if not isinstance(node, dict) or part not in node:
            raise ValueError(f"unknown key {'.'.join(parts[: depth + 1])!r}")
        node = node[part]
    last = parts[-1]
    if not isinstance(node, dict) or (last not in node and parts[0] != "partnership"):
        raise ValueError(f"unknown key {key!r}")
    if isinstance(node.get(last), dict):
        raise ValueError(f"{key!r} is a table; name one of its values")
    node[last] = value
    try:
        return Scenario.model_validate(data)
    except ValidationError as error:
        first = error.errors()[0]
        raise ValueError(f"{key} = {value!r}: {first['msg']}") from None
