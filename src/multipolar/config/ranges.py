"""The range of every numeric scenario key, read from the schema itself.

Every number a scenario holds has a lower and an upper bound that keep the model's
arithmetic finite and its meaning intact; this module lists them so the documentation
(``docs/scenario-ranges.md``, written by ``python -m multipolar.config.ranges``) cannot
drift from the schema, and so a test can insist that no numeric key is left unbounded.
"""

from __future__ import annotations

import sys
import types
import typing
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from annotated_types import Ge, Gt, Le, Lt
from pydantic import BaseModel

from multipolar.config.schema import Scenario

__all__ = ["UNBOUNDED_BY_DESIGN", "NumericKey", "numeric_keys", "render_markdown"]

# Numbers whose range is another key's: a parameter_change's value is checked against the
# range of the key it sets.
UNBOUNDED_BY_DESIGN = ("events.<n>.value",)


@dataclass(frozen=True)
class NumericKey:
    """One numeric key: its dotted pattern, type, bounds and the table's description."""

    key: str
    kind: str
    lower: str
    upper: str
    table: str
    strict: bool = False

    @property
    def bounded(self) -> bool:
        """Whether the key has both a lower and an upper bound."""
        return bool(self.lower) and bool(self.upper)


def _number(value: float) -> str:
    return str(value) if isinstance(value, int) else f"{value:g}"


def _strict(constraints: list[Any]) -> bool:
    """Whether a number must be a number (not a numeric string or a boolean)."""
    return any(
        getattr(c, "strict", None) is True
        for item in constraints
        for c in (getattr(item, "metadata", None) or [item])
    )


def _bound(constraints: list[Any]) -> tuple[str, str]:
    lower = upper = ""
    for item in constraints:
        for c in getattr(item, "metadata", None) or [item]:
            if isinstance(c, Ge):
                lower = f">= {_number(c.ge)}"
            elif isinstance(c, Gt):
                lower = f"> {_number(c.gt)}"
            elif isinstance(c, Le):
                upper = f"<= {_number(c.le)}"
            elif isinstance(c, Lt):
                upper = f"< {_number(c.lt)}"
    return lower, upper


def _visit(annotation: Any, constraints: list[Any], key: str, table: str) -> Iterator[NumericKey]:
    origin = typing.get_origin(annotation)
    args = typing.get_args(annotation)
    if origin is typing.Annotated:
        yield from _visit(args[0], [*constraints, *args[1:]], key, table)
    elif origin in (typing.Union, types.UnionType):
        for option in args:
            if option is not type(None):
                yield from _visit(option, constraints, key, table)
    elif origin is dict:
        yield from _visit(args[1], [], f"{key}.<key>", table)
    elif origin in (tuple, list):
        for option in dict.fromkeys(a for a in args if a is not Ellipsis):
            yield from _visit(option, [], f"{key}.<n>", table)
    elif isinstance(annotation, type) and issubclass(annotation, BaseModel):
        yield from _fields(annotation, f"{key}.")
    elif annotation in (int, float):
        lower, upper = _bound(constraints)
        yield NumericKey(key, annotation.__name__, lower, upper, table, _strict(constraints))


def _fields(model: type[BaseModel], prefix: str) -> Iterator[NumericKey]:
    table = (model.__doc__ or "").strip().splitlines()[0] if model.__doc__ else ""
    for name, field in model.model_fields.items():
        yield from _visit(field.annotation, list(field.metadata), f"{prefix}{name}", table)


def numeric_keys() -> list[NumericKey]:
    """Every numeric key of the scenario schema, once each, in schema order."""
    seen: dict[str, NumericKey] = {}
    for item in _fields(Scenario, ""):
        seen.setdefault(item.key, item)
    return list(seen.values())


def render_markdown() -> str:
    """The ranges as a Markdown document."""
    lines = [
        "# Scenario keys: the range of every number",
        "",
        "Generated from the schema by `python -m multipolar.config.ranges > "
        "docs/scenario-ranges.md`;",
        "a test fails when this file and the schema disagree. `validate` refuses any value",
        "outside its range (`<key>` stands for a table's keys, `<n>` for an array's items).",
        "Diffusion settings are also checked for stability and cost (at most 10,000 substeps",
        "and 1e9 cell updates per channel per month, 150 million cells x channels), and",
        "effort values must",
        "sum to at most 1 with a positive total.",
        "",
        "| key | type | lower | upper | table |",
        "|---|---|---|---|---|",
    ]
    for item in numeric_keys():
        upper = item.upper or "(the range of the key it sets)"
        lines.append(
            f"| `{item.key}` | {item.kind} | {item.lower or '-'} | {upper} | {item.table} |"
        )
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    sys.stdout.write(render_markdown())
