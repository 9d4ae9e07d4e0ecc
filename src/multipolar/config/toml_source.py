"""Read scenario TOML files, resolve ``extends`` chains and apply ``--set`` overrides.

The result is a plain nested dict plus an *origin map* that says which file (or
``--set``) each key came from, so that every problem can be reported against the file a
user has to edit.
"""

from __future__ import annotations

import math
import re
import tomllib
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from multipolar.config.errors import Problem, ScenarioError

__all__ = ["Layered", "apply_overrides", "parse_override", "read_layers", "set_value"]

Key = tuple[str | int, ...]
# arrays of tables merged by their ``id``; all other arrays are replaced, except ``events``,
# which a variant appends to.
_MERGE_BY_ID = ("bases", "projects")
_APPEND = ("events",)
OVERRIDES = "--set"


class Layered:
    """A merged scenario dict and the origin (file label) of each key in it."""

    def __init__(self, top: str) -> None:
        self.data: dict[str, Any] = {}
        self.origins: dict[Key, str] = {}
        self.top = top

    def origin(self, key: Key) -> str:
        """The file a key came from: its own, its nearest parent's, or the top file."""
        for n in range(len(key), 0, -1):
            found = self.origins.get(tuple(key[:n]))
            if found is not None:
                return found
        return self.top

    def merge(self, layer: Mapping[str, Any], label: str) -> None:
        """Merge ``layer`` (from ``label``) over what is here."""
        _merge_table(self.data, layer, (), label, self.origins)


def _record(value: Any, key: Key, label: str, origins: dict[Key, str]) -> None:
    origins[key] = label
    if isinstance(value, dict):
        for k, v in value.items():
            _record(v, (*key, k), label, origins)
    elif isinstance(value, list):
        for i, v in enumerate(value):
            _record(v, (*key, i), label, origins)


def _forget(key: Key, origins: dict[Key, str]) -> None:
    for k in [k for k in origins if k[: len(key)] == key]:
        del origins[k]


def _merge_table(
    base: dict[str, Any], layer: Mapping[str, Any], key: Key, label: str, origins: dict[Key, str]
) -> None:
    for name, value in layer.items():
        here = (*key, name)
        old = base.get(name)
        if isinstance(old, dict) and isinstance(value, dict):
            origins[here] = label
            _merge_table(old, value, here, label, origins)
        elif key == () and name in _APPEND and isinstance(old, list) and isinstance(value, list):
            offset = len(old)
            old.extend(value)
            for i, v in enumerate(value):
                _record(v, (*here, offset + i), label, origins)
        elif (
            key == () and name in _MERGE_BY_ID and isinstance(old, list) and isinstance(value, list)
        ):
            _merge_by_id(old, value, here, label, origins)
        else:
            _forget(here, origins)
            base[name] = _copy(value)
            _record(value, here, label, origins)


def _merge_by_id(
    old: list[Any], new: list[Any], key: Key, label: str, origins: dict[Key, str]
) -> None:
    index = {item.get("id"): i for i, item in enumerate(old) if isinstance(item, dict)}
    for item in new:
        at = index.get(item.get("id")) if isinstance(item, dict) else None
        if at is None:
            old.append(_copy(item))
            _record(item, (*key, len(old) - 1), label, origins)
        else:
            _merge_table(old[at], item, (*key, at), label, origins)


def _copy(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _copy(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_copy(v) for v in value]
    return value


_DECLARE_TWICE = re.compile(r"Cannot declare \((?P<key>.*)\) twice \(at line (?P<line>\d+)")
_AT_LINE = re.compile(r"\(at line (?P<line>\d+), column \d+\)")


def _toml_problem(path: Path, label: str, error: tomllib.TOMLDecodeError) -> Problem:
    text = str(error)
    twice = _DECLARE_TWICE.search(text)
    if twice:
        key = ".".join(part.strip(" '\"") for part in twice["key"].split(","))
        return Problem(label, key, f"declared twice (second time at line {twice['line']})")
    duplicate = _duplicate_key(path.read_text(encoding="utf-8", errors="replace"))
    if "Cannot overwrite" in text and duplicate:
        return Problem(
            label, duplicate[0], f"defined twice (lines {duplicate[1]} and {duplicate[2]})"
        )
    line = _AT_LINE.search(text)
    where = f"line {line['line']}" if line else "end of file"
    return Problem(label, where, f"malformed TOML: {_AT_LINE.sub('', text).strip()}")


_HEADER = re.compile(r"^\s*\[\[?\s*([^\]]+?)\s*\]\]?\s*(#.*)?$")
_ASSIGN = re.compile(r"^\s*([A-Za-z0-9_\-\"'.]+)\s*=")


def _duplicate_key(text: str) -> tuple[str, int, int] | None:
    """Find a key assigned twice in the same table (tomllib does not say which)."""
    seen: dict[str, int] = {}
    table = ""
    for number, line in enumerate(text.splitlines(), start=1):
        header = _HEADER.match(line)
        if header:
            table = header[1].replace('"', "").replace("'", "")
            if line.lstrip().startswith("[["):
                table = f"{table}#{number}"
            continue
        assign = _ASSIGN.match(line)
        if assign:
            key = f"{table}.{assign[1]}" if table else assign[1]
            if key in seen:
                return re.sub(r"#\d+", "", key), seen[key], number
            seen[key] = number
    return None


def _read_one(path: Path, label: str) -> dict[str, Any]:
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise ScenarioError([Problem(label, "", "file not found")]) from None
    except OSError as error:
        raise ScenarioError([Problem(label, "", f"cannot read file: {error.strerror}")]) from None
    try:
        return tomllib.loads(raw.decode("utf-8"))
    except UnicodeDecodeError:
        raise ScenarioError([Problem(label, "", "not UTF-8 text")]) from None
    except tomllib.TOMLDecodeError as error:
        raise ScenarioError([_toml_problem(path, label, error)]) from None


def _resolve_extends(name: Any, child: Path, label: str, search: Iterable[Path]) -> Path:
    if not isinstance(name, str) or not name:
        raise ScenarioError([Problem(label, "extends", "must be a file name (a string)")])
    for folder in (child.parent, *search):
        candidate = (folder / name).resolve()
        if candidate.is_file():
            return candidate
    raise ScenarioError(
        [Problem(label, "extends", f"no scenario file {name!r} next to this file or bundled")]
    )


def read_layers(path: Path, search: Iterable[Path] = ()) -> Layered:
    """Read ``path`` and the chain of files it extends, merged base-first."""
    chain: list[tuple[Path, dict[str, Any]]] = []
    current = path
    search = tuple(search)
    while True:
        label = str(current)
        if any(current.resolve() == seen.resolve() for seen, _ in chain):
            raise ScenarioError(
                [Problem(str(path), "extends", f"circular extends through {label}")]
            )
        data = _read_one(current, label)
        chain.append((current, data))
        parent = data.get("extends")
        if parent is None:
            break
        current = _resolve_extends(parent, current, label, search)
    layered = Layered(str(path))
    for file, data in reversed(chain):
        layered.merge(data, str(file))
    layered.data.pop("extends", None)
    return layered


def parse_override(text: str) -> tuple[Key, Any]:
    """Parse ``dotted.key=value``; the value is read as TOML, or as a bare string."""
    key, sep, value = text.partition("=")
    key = key.strip()
    if not sep or not key or any(not part for part in key.split(".")):
        raise ScenarioError([Problem(OVERRIDES, key or text, "expected dotted.key=value")])
    try:
        parsed = tomllib.loads(f"v = {value.strip()}")["v"]
    except tomllib.TOMLDecodeError:
        parsed = value.strip()
    parts: Key = tuple(int(p) if p.isdigit() else p for p in key.split("."))
    if isinstance(parsed, float) and not math.isfinite(parsed):
        raise ScenarioError([Problem(OVERRIDES, key, "must be a finite number")])
    return parts, parsed


def apply_overrides(layered: Layered, overrides: Iterable[str]) -> None:
    """Apply ``--set dotted.key=value`` overrides in order, recording ``--set`` as their origin."""
    for text in overrides:
        set_value(layered, *parse_override(text), label=OVERRIDES)


def set_value(layered: Layered, key: Key, value: Any, label: str) -> None:
    """Set one (possibly nested, possibly new) key, recording ``label`` as its origin."""
    node: Any = layered.data
    for depth, part in enumerate(key[:-1]):
        here = key[: depth + 1]
        if isinstance(node, list) and isinstance(part, int):
            if part >= len(node):
                raise ScenarioError([Problem(label, _dotted(here), "index out of range")])
            node = node[part]
        elif isinstance(node, dict):
            node = node.setdefault(part, {})
        else:
            raise ScenarioError([Problem(label, _dotted(here), "is not a table")])
    last = key[-1]
    if isinstance(node, list) and isinstance(last, int) and last < len(node):
        node[last] = value
    elif isinstance(node, dict):
        node[last] = value
    else:
        raise ScenarioError([Problem(label, _dotted(key), "cannot be set")])
    _forget(key, layered.origins)
    _record(value, key, label, layered.origins)


def _dotted(key: Key) -> str:
    return ".".join(str(k) for k in key)
