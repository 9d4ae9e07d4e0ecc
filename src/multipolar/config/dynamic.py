"""Parameters that events may change during a run, and how a change is applied.

A ``parameter_change`` event replaces one value of the scenario from its date on. The
model keeps the current parameters as a frozen :class:`Scenario` and swaps in the copy this
module returns. The change goes through the same dotted-key setter as ``--set`` and keyword
overrides, and the result is re-validated and re-checked like a file, so a changed value
obeys the same constraints (ranges, effort totals, partnership pairs) as one read from disk.
"""

from __future__ import annotations

from typing import Any

from multipolar.config.checks import check_parameters
from multipolar.config.errors import ScenarioError
from multipolar.config.schema import Scenario
from multipolar.config.toml_source import Layered, parse_key, set_value
from multipolar.config.validation import validate_layered

__all__ = ["DYNAMIC_SECTIONS", "EVENT", "with_value"]

DYNAMIC_SECTIONS = (
    "powers",
    "partnership",
    "partnership_dynamics",
    "alignment",
    "capability",
    "cohesion",
    "security_dilemma",
    "statecraft",
    "organizations",
    "treaties",
)
EVENT = "parameter_change"


def with_value(scenario: Scenario, key: str, value: Any, *, check: bool = False) -> Scenario:
    """Return ``scenario`` with the dotted ``key`` set to ``value``, re-validated.

    The value is checked against the schema (type, range). With ``check``, the result is
    also cross-checked (effort totals, partnership pairs, ...); events leave that to the
    validation of the whole scenario, which replays the changes of each month together
    (changing two effort values in one month passes through an invalid pair in between).

    Raises:
        ScenarioError: (a ValueError) the key is not changeable, does not exist, or the value
            is invalid; its one problem reads ``parameter_change: <key>: <what is wrong>``.
    """
    parts = parse_key(key, EVENT)
    if parts[0] not in DYNAMIC_SECTIONS:
        raise ScenarioError.one(
            EVENT,
            key,
            f"cannot change during a run; changeable sections: {', '.join(DYNAMIC_SECTIONS)}",
        )
    layered = Layered(EVENT)
    layered.merge(scenario.model_dump(mode="json"), EVENT)
    node: Any = layered.data
    for depth, part in enumerate(parts):
        is_new_pair = parts[0] == "partnership" and depth == 1
        if not isinstance(node, dict) or (part not in node and not is_new_pair):
            known = ".".join(str(p) for p in parts[: depth + 1])
            raise ScenarioError.one(EVENT, key, f"unknown key {known!r}")
        node = node.get(part)
    if isinstance(node, dict | list):
        raise ScenarioError.one(EVENT, key, "is a table; name one of its values")
    set_value(layered, parts, value, EVENT)
    return validate_layered(layered, check_parameters if check else None)
