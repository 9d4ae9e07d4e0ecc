"""Turn a merged scenario dict into a :class:`Scenario`, or into problem lines.

Shared by the file loader, keyword overrides and ``parameter_change`` events, so the three
give the same messages. Pydantic's errors become ``<file>: <dotted.key>: <what is wrong>``
lines with the file each key came from; nothing here lets a traceback through for any input
a TOML file can hold.
"""

from __future__ import annotations

import difflib
import types
import typing
from collections.abc import Callable, Iterable
from typing import Any

from pydantic import BaseModel, ValidationError

from multipolar.config.checks import BLAME, Finding
from multipolar.config.errors import Problem, ScenarioError
from multipolar.config.schema import EVENT_KINDS, Scenario
from multipolar.config.toml_source import Layered

__all__ = ["dotted", "problems_of", "validate_layered"]

Checks = Callable[[Scenario], list[Finding]]


def validate_layered(layered: Layered, checks: Checks | None = None) -> Scenario:
    """Validate the merged data against the schema, then run ``checks`` on the result.

    Raises:
        ScenarioError: one problem per wrong key, attributed to the file it came from.
    """
    try:
        scenario = Scenario.model_validate(layered.data)
    except ValidationError as error:
        raise ScenarioError(problems_of(error, layered)) from None
    except (RecursionError, OverflowError, TypeError, ValueError) as error:
        raise ScenarioError([Problem(layered.top, "", f"cannot be read: {error}")]) from None
    findings = checks(scenario) if checks is not None else []
    if findings:
        raise ScenarioError(
            Problem(
                layered.newest_origin(key, *BLAME.get(key, ())), dotted(key, layered.data), message
            )
            for key, message in findings
        )
    return scenario


def dotted(key: Iterable[str | int], data: Any = None) -> str:
    """A key as dotted text; an event with an ``id`` is named by it (``events.cfe.date``)."""
    parts = [str(part) for part in key]
    if data is not None and len(parts) >= 2 and parts[0] == "events" and parts[1].isdigit():
        events = data.get("events") if isinstance(data, dict) else None
        n = int(parts[1])
        if isinstance(events, list) and n < len(events) and isinstance(events[n], dict):
            ident = events[n].get("id")
            if isinstance(ident, str) and ident and not ident.isdigit():
                parts[1] = ident
    return ".".join(parts)


def problems_of(error: ValidationError, layered: Layered) -> list[Problem]:
    """One problem per wrong key, with the file each key came from.

    The alternatives of a union (``substeps``: a number or ``"auto"``) are joined in one line.
    """
    found: dict[tuple[str | int, ...], tuple[str, list[str]]] = {}
    for item in error.errors():
        loc = _strip_tags(item["loc"])
        # a missing key is for the file that defined its table to add; any other problem is
        # blamed on whoever set the key (or, for a whole table, changed it) last
        where = layered.origin(loc) if item["type"] == "missing" else layered.newest_origin(loc)
        message = _message(item, loc)
        if loc in found:
            if message not in found[loc][1]:
                found[loc][1].append(message)
        else:
            found[loc] = (where, [message])
    return [
        Problem(where, dotted(loc, layered.data), _either(messages))
        for loc, (where, messages) in found.items()
    ]


def _either(messages: list[str]) -> str:
    """``input should be A`` and ``input should be B`` read ``input should be A or B``."""
    head = "input should be "
    if all(m.startswith(head) for m in messages):
        return head + " or ".join(m.removeprefix(head) for m in messages)
    return " or ".join(messages)


def _strip_tags(loc: tuple[Any, ...]) -> tuple[str | int, ...]:
    """Drop the tags pydantic inserts: an event's kind, a union member's type name."""
    kept: list[str | int] = []
    for n, part in enumerate(loc):
        if n == 2 and loc[0] == "events" and part in EVENT_KINDS:
            continue
        if isinstance(part, str) and (
            part.startswith(("literal[", "constrained-", "function-")) or part in _TYPE_TAGS
        ):
            continue
        kept.append(part)
    return tuple(kept)


_TYPE_TAGS = {"int", "float", "str", "bool"}


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
        found = item["input"].get("kind") if isinstance(item["input"], dict) else None
        return f"unknown kind {found!r}; choose from {', '.join(EVENT_KINDS)}"
    if kind == "union_tag_not_found":
        return "missing required key 'kind'"
    if kind in ("float_type", "int_type") and isinstance(item.get("input"), str):
        return f"{item['msg'][:1].lower()}{item['msg'][1:]}, not the string {item['input']!r}"
    message = str(item["msg"])
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
