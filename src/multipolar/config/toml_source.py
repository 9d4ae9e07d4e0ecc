"""Read scenario TOML files, resolve ``extends`` chains and set dotted keys.

The result is a plain nested dict plus an *origin map* that says which file (or ``--set``)
each key came from, so that every problem can be reported against the file a user has to
edit. :func:`set_value` is the one dotted-key setter: ``--set``, keyword overrides and
``parameter_change`` events all go through it, so they accept the same keys and give the
same messages.

Reading is defensive: only regular files are opened (a FIFO or a device is refused without
reading), files are limited in size, and malformed, deeply nested or absurd TOML becomes a
problem line, never a traceback.
"""

from __future__ import annotations

import math
import os
import re
import stat
import tomllib
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from multipolar.config.errors import OVERRIDES, Problem, ScenarioError

__all__ = [
    "MAX_FILE_BYTES",
    "OVERRIDES",
    "Layered",
    "apply_overrides",
    "parse_key",
    "parse_override",
    "read_layers",
    "read_toml",
    "set_value",
]

Key = tuple[str | int, ...]
# arrays of tables merged by their ``id``; ``events`` without an id are appended, events with
# an id merge into the event of that id (or are appended when it is new).
_MERGE_BY_ID = ("bases", "projects", "events")
_UNSETTABLE = ("extends",)
MAX_FILE_BYTES = 4 * 1024 * 1024
_ID = re.compile(r"^[A-Za-z_][A-Za-z0-9_\-]*$")


class Layered:
    """A merged scenario dict and the origin (file label) of each key in it."""

    def __init__(self, top: str) -> None:
        self.data: dict[str, Any] = {}
        self.origins: dict[Key, str] = {}
        self.top = top
        self.order: list[str] = []
        self._newest: dict[Key, str] | None = None
        self.extends: Any = None  # what the top file extends, if anything

    def note_layer(self, label: str) -> None:
        """Record ``label`` as the newest layer (merged or set last)."""
        self._newest = None
        if label in self.order:
            self.order.remove(label)
        self.order.append(label)

    def newest_origin(self, key: Key, *related: Key) -> str:
        """The most recent file (or ``--set``) that set ``key`` or anything inside it.

        A problem with a whole table (effort values that sum to more than 1) is blamed on
        whoever changed it last; ``related`` keys (the grid and diffusivities, for a problem
        reported on ``diffusion.substeps``) count as well.
        """
        if related:
            rank = {label: n for n, label in enumerate(self.order)}
            labels = [self.newest_origin(k) for k in (key, *related)]
            return max(labels, key=lambda label: rank.get(label, -1))
        if self._newest is None:
            rank = {label: n for n, label in enumerate(self.order)}
            newest: dict[Key, str] = {}
            for k, label in self.origins.items():
                if label not in rank:
                    continue
                for n in range(1, len(k) + 1):
                    prefix = k[:n]
                    held = newest.get(prefix)
                    if held is None or rank[label] > rank[held]:
                        newest[prefix] = label
            self._newest = newest
        return self._newest.get(tuple(key)) or self.origin(key)

    def origin(self, key: Key) -> str:
        """The file a key came from: its own, its nearest parent's, or the top file."""
        for n in range(len(key), 0, -1):
            found = self.origins.get(tuple(key[:n]))
            if found is not None:
                return found
        return self.top

    def merge(self, layer: Mapping[str, Any], label: str) -> None:
        """Merge ``layer`` (from ``label``) over what is here."""
        self.note_layer(label)
        _merge_table(self.data, layer, (), label, self.origins)


def _record(value: Any, key: Key, label: str, origins: dict[Key, str]) -> None:
    origins[key] = label
    if isinstance(value, dict):
        for k, v in value.items():
            _record(v, (*key, k), label, origins)
    elif isinstance(value, list):
        for i, v in enumerate(value):
            _record(v, (*key, i), label, origins)


def _forget(old: Any, key: Key, origins: dict[Key, str]) -> None:
    """Drop the origins of ``old`` (the value at ``key``) and of everything inside it."""
    origins.pop(key, None)
    if isinstance(old, dict):
        for k, v in old.items():
            _forget(v, (*key, k), origins)
    elif isinstance(old, list):
        for i, v in enumerate(old):
            _forget(v, (*key, i), origins)


def _merge_table(
    base: dict[str, Any], layer: Mapping[str, Any], key: Key, label: str, origins: dict[Key, str]
) -> None:
    for name, value in layer.items():
        here = (*key, name)
        old = base.get(name)
        if isinstance(old, dict) and isinstance(value, dict):
            # the table keeps the origin of the file that defined it: a key missing from it
            # is that file's to add
            origins.setdefault(here, label)
            _merge_table(old, value, here, label, origins)
        elif (
            key == () and name in _MERGE_BY_ID and isinstance(old, list) and isinstance(value, list)
        ):
            _merge_by_id(old, value, here, label, origins)
        else:
            _forget(old, here, origins)
            base[name] = _copy(value)
            _record(value, here, label, origins)


def _item_id(item: Any) -> str | None:
    """An array item's ``id`` when it is a usable one (a string), else None."""
    if isinstance(item, dict):
        found = item.get("id")
        if isinstance(found, str):
            return found
    return None


def _merge_by_id(
    old: list[Any], new: list[Any], key: Key, label: str, origins: dict[Key, str]
) -> None:
    index = {_item_id(item): i for i, item in enumerate(old) if _item_id(item) is not None}
    for item in new:
        at = index.get(_item_id(item))
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


def _duplicate_ids(data: Mapping[str, Any], label: str) -> list[Problem]:
    """Array items of one file sharing an ``id`` (they would silently merge otherwise)."""
    problems = []
    for section in _MERGE_BY_ID:
        items = data.get(section)
        if not isinstance(items, list):
            continue
        seen: dict[str, int] = {}
        for n, item in enumerate(items):
            if isinstance(item, dict) and "id" in item and not isinstance(item["id"], str):
                problems.append(Problem(label, f"{section}.{n}.id", "must be a string"))
                continue
            found = _item_id(item)
            if found is None:
                continue
            if found in seen:
                problems.append(
                    Problem(
                        label,
                        f"{section}.{n}.id",
                        f"duplicate id {found!r} (also {section}.{seen[found]} in this file)",
                    )
                )
            else:
                seen[found] = n
    return problems


_DECLARE_TWICE = re.compile(r"Cannot declare \((?P<key>.*)\) twice \(at line (?P<line>\d+)")
_AT_LINE = re.compile(r"\(at line (?P<line>\d+), column \d+\)")


def _toml_problem(text: str, label: str, error: tomllib.TOMLDecodeError) -> Problem:
    message = str(error)
    twice = _DECLARE_TWICE.search(message)
    if twice:
        key = ".".join(part.strip(" '\"") for part in twice["key"].split(","))
        return Problem(label, key, f"declared twice (second time at line {twice['line']})")
    duplicate = _duplicate_key(text)
    if "Cannot overwrite" in message and duplicate:
        return Problem(
            label, duplicate[0], f"defined twice (lines {duplicate[1]} and {duplicate[2]})"
        )
    line = _AT_LINE.search(message)
    where = f"line {line['line']}" if line else "end of file"
    return Problem(label, where, f"malformed TOML: {_AT_LINE.sub('', message).strip()}")


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


def _read_bytes(path: Path, label: str) -> bytes:
    """A regular file's bytes; FIFOs, devices, folders and oversized files are refused."""

    def refuse(message: str) -> ScenarioError:
        return ScenarioError([Problem(label, "", message)])

    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    except FileNotFoundError:
        raise refuse("file not found") from None
    except IsADirectoryError:
        raise refuse("is a folder, not a scenario file") from None
    except (OSError, ValueError) as error:
        raise refuse(f"cannot read file: {getattr(error, 'strerror', None) or error}") from None
    try:
        info = os.fstat(fd)
        if stat.S_ISDIR(info.st_mode):
            raise refuse("is a folder, not a scenario file")
        if not stat.S_ISREG(info.st_mode):
            raise refuse("not a regular file (a pipe, socket or device is not read)")
        if info.st_size > MAX_FILE_BYTES:
            raise refuse(
                f"too large for a scenario file ({info.st_size} bytes; "
                f"the limit is {MAX_FILE_BYTES} bytes)"
            )
        with os.fdopen(fd, "rb", closefd=False) as handle:
            raw = handle.read(MAX_FILE_BYTES + 1)
    except OSError as error:
        raise refuse(f"cannot read file: {error.strerror or error}") from None
    finally:
        os.close(fd)
    if len(raw) > MAX_FILE_BYTES:
        raise refuse(f"too large for a scenario file (the limit is {MAX_FILE_BYTES} bytes)")
    return raw


def read_toml(path: Path, label: str) -> dict[str, Any]:
    """One scenario file's table, read defensively; problems raise ``ScenarioError``."""
    raw = _read_bytes(path, label)
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise ScenarioError([Problem(label, "", "not UTF-8 text")]) from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise ScenarioError([_toml_problem(text, label, error)]) from None
    except RecursionError:
        raise ScenarioError([Problem(label, "", "malformed TOML: nested too deeply")]) from None
    except ValueError as error:  # e.g. an integer with thousands of digits
        reason = "an integer with too many digits" if "digits" in str(error) else str(error)
        raise ScenarioError([Problem(label, "", f"malformed TOML: {reason}")]) from None
    problems = _duplicate_ids(data, label)
    if problems:
        raise ScenarioError(problems)
    return data


def _resolve_extends(name: Any, child: Path, label: str, search: Iterable[Path]) -> Path:
    if not isinstance(name, str) or not name:
        raise ScenarioError([Problem(label, "extends", "must be a file name (a string)")])
    if not name.endswith(".toml"):
        raise ScenarioError([Problem(label, "extends", "must name a .toml scenario file")])
    for folder in (child.parent, *search):
        candidate = (folder / name).resolve()
        if candidate.exists():
            return candidate
    raise ScenarioError(
        [Problem(label, "extends", f"no scenario file {name!r} next to this file or bundled")]
    )


def read_layers(path: Path, search: Iterable[Path] = ()) -> Layered:
    """Read ``path`` and the files it extends, merged base-first.

    ``extends`` names one file or a list of files: each is read with its own chain, in the
    list's order, so a later one overrides an earlier one and the file itself overrides all
    (a scenario can extend its facts and a shared file of fitted parameters).
    """
    search = tuple(search)
    chain: list[tuple[Path, dict[str, Any]]] = []

    def visit(current: Path, stack: tuple[Path, ...]) -> dict[str, Any]:
        label = str(current)
        if any(current.resolve() == seen.resolve() for seen in stack):
            raise ScenarioError(
                [Problem(str(path), "extends", f"circular extends through {label}")]
            )
        data = read_toml(current, label)
        parents = data.get("extends")
        if not isinstance(parents, list):
            parents = [] if parents is None else [parents]
        for parent in parents:
            visit(_resolve_extends(parent, current, label, search), (*stack, current))
        chain.append((current, data))
        return data

    top = visit(path, ())
    layered = Layered(str(path))
    for file, data in chain:
        layered.merge(data, str(file))
    layered.data.pop("extends", None)
    layered.extends = top.get("extends")
    return layered


def parse_key(text: str, label: str = OVERRIDES) -> Key:
    """Split a dotted key into parts; digits become array indices.

    Raises:
        ScenarioError: an empty key or an empty part (``a..b``).
    """
    parts = text.split(".")
    if not text or any(not part for part in parts):
        raise ScenarioError([Problem(label, text or "(empty)", "expected a dotted key")])
    return tuple(int(p) if p.isdigit() else p for p in parts)


def parse_override(text: str) -> tuple[Key, Any]:
    """Parse ``dotted.key=value``; the value is read as TOML, or else as a bare string.

    A quoted value stays a string (``alignment.rate='0.2'`` is the string ``0.2``, which the
    schema then rejects for a number).
    """
    key, sep, value = text.partition("=")
    key = key.strip()
    if not sep or not key or any(not part for part in key.split(".")):
        raise ScenarioError([Problem(OVERRIDES, key or text, "expected dotted.key=value")])
    try:
        parsed = tomllib.loads(f"v = {value.strip()}")["v"]
    except (tomllib.TOMLDecodeError, RecursionError, ValueError):
        parsed = value.strip()
    parts = parse_key(key)
    if isinstance(parsed, float) and not math.isfinite(parsed):
        raise ScenarioError([Problem(OVERRIDES, key, "must be a finite number")])
    return parts, parsed


def apply_overrides(layered: Layered, overrides: Iterable[str]) -> None:
    """Apply ``--set dotted.key=value`` overrides in order, recording ``--set`` as their origin."""
    for text in overrides:
        set_value(layered, *parse_override(text), label=OVERRIDES)


def _find_by_id(items: list[Any], ident: str) -> int | None:
    for i, item in enumerate(items):
        if _item_id(item) == ident:
            return i
    return None


def set_value(layered: Layered, key: Key, value: Any, label: str) -> None:
    """Set one (possibly nested, possibly new) key, recording ``label`` as its origin.

    Array items are addressed by index (``events.3.factor``) or, for ``events``, ``bases``
    and ``projects``, by their ``id`` (``events.cfe_exit.factor``).

    Raises:
        ScenarioError: the key cannot be set (``extends``, a value inside a non-table, an
            index out of range, an unknown id); the problem is reported against ``label``.
    """
    dotted = _dotted(key)
    layered.note_layer(label)
    if key[0] in _UNSETTABLE:
        raise ScenarioError(
            [Problem(label, dotted, "cannot be set here; name the file to extend in the file")]
        )
    node: Any = layered.data
    resolved: list[str | int] = []
    for depth, part in enumerate(key):
        last = depth == len(key) - 1
        if isinstance(node, list):
            if isinstance(part, str):
                found = _find_by_id(node, part)
                if found is None:
                    raise ScenarioError([Problem(label, dotted, f"no item with id {part!r}")])
                part = found
            if part >= len(node):
                raise ScenarioError(
                    [Problem(label, dotted, f"index {part} out of range (there are {len(node)})")]
                )
        elif not isinstance(node, dict):
            raise ScenarioError(
                [Problem(label, dotted, f"{_dotted(resolved)} is a value, not a table")]
            )
        resolved.append(part)
        here = tuple(resolved)
        if last:
            break
        child = node[part] if isinstance(node, list) else node.get(part)
        if child is None:
            child = {}
            node[part] = child
            layered.origins[here] = label
        node = child
    here = tuple(resolved)
    if isinstance(node, list):
        _forget(node[here[-1]], here, layered.origins)
    else:
        _forget(node.get(here[-1]), here, layered.origins)
    node[here[-1]] = _copy(value)
    _record(value, here, label, layered.origins)


def _dotted(key: Iterable[str | int]) -> str:
    return ".".join(str(k) for k in key)
