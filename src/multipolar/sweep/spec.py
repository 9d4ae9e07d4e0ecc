"""Sweep files: what to vary, how many replicates, how long, and what to keep.

A sweep file is TOML with one top-level ``[sweep]`` table (that table is how
``multipolar validate`` tells a sweep from a scenario)::

    [sweep]
    name = "alignment"
    scenario = "central_asia_2023.toml"   # relative to this file, or a bundled scenario
    set = ["geography.resolution=1.0"]    # fixed overrides for every run
    months = 12
    seed = 7                              # every run's seed derives from it
    replicates = 2

    [sweep.parameters]                    # dotted scenario keys
    "alignment.rate" = [0.05, 0.1, 0.2]   # a list: grid values
    # "alignment.rate" = { low = 0.05, high = 0.3 }   a range: needs [sweep.sampler]

    [sweep.sampler]
    method = "grid"                       # grid | lhs | sobol | morris
    samples = 64                          # base sample count for lhs, sobol and morris

    [sweep.outputs]
    tables = ["model"]                    # model always; states, basins, events on request
    metrics = []                          # model columns to keep (glob patterns); [] = all
    fields = false                        # the final fields, one .npz per task

Every problem is reported as ``<file>: <dotted.key>: <what is wrong>``, as for scenarios,
and every parameter value is checked against the base scenario before anything runs.
"""

from __future__ import annotations

import difflib
import fnmatch
import math
import stat
import tomllib
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from multipolar._resources import bundled_file, configs_dir
from multipolar.config import Problem, Scenario, ScenarioError, load_scenario, override

__all__ = [
    "MAX_SWEEP_BYTES",
    "OPTIONAL_TABLES",
    "Range",
    "SamplerSpec",
    "Sweep",
    "SweepInputError",
    "SweepSettings",
    "is_sweep_file",
    "load_sweep",
]

MAX_SWEEP_BYTES = 1024 * 1024
OPTIONAL_TABLES = ("states", "basins", "events")
TableName = Literal["model", "states", "basins", "events"]
Method = Literal["grid", "lhs", "sobol", "morris"]
SAMPLED: tuple[str, ...] = ("lhs", "sobol", "morris")


class SweepInputError(ScenarioError):
    """Bad input outside a sweep file (an option, an output folder): ``<where>: <problem>``.

    A :class:`ScenarioError`, so the command line reports it as one line and exits 2.
    """

    def __init__(self, where: str | Path, message: str) -> None:
        self.problems = []
        ValueError.__init__(self, f"{where}: {message}")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)


class Range(_Strict):
    """A continuous parameter range for a sampler: ``{ low = ..., high = ... }``."""

    low: float
    high: float


class SamplerSpec(_Strict):
    """How points are drawn: a full grid of the listed values, or a sampler over ranges."""

    method: Method = "grid"
    samples: Annotated[int, Field(ge=1, le=1_000_000)] = 16
    levels: Annotated[int, Field(ge=2, le=100)] = 4


class OutputsSpec(_Strict):
    """Which tables and metrics each run keeps; the model table is always kept."""

    tables: tuple[TableName, ...] = ("model",)
    metrics: tuple[str, ...] = ()
    fields: bool = False


class SweepSettings(_Strict):
    """The ``[sweep]`` table as written, before the parameters are checked."""

    name: Annotated[str, Field(min_length=1, max_length=100, pattern=r"^[A-Za-z0-9_.\-]+$")]
    scenario: Annotated[str, Field(min_length=1)]
    set: tuple[str, ...] = ()
    months: Annotated[int, Field(ge=1, le=100_000)]
    seed: Annotated[int, Field(ge=0, lt=2**63)] = 0
    replicates: Annotated[int, Field(ge=1, le=100_000)] = 1
    backend: str = "auto"
    runs_per_task: Annotated[int, Field(ge=1, le=100_000)] | None = None
    sampler: SamplerSpec = SamplerSpec()
    outputs: OutputsSpec = OutputsSpec()
    parameters: dict[str, Any] = Field(min_length=1)


class Sweep(BaseModel):
    """A validated sweep: its settings, the base scenario, and the parameters to vary.

    ``parameters`` maps each dotted key to its grid values (a tuple) or its :class:`Range`.
    ``scenario_path`` is the resolved base scenario file.
    """

    model_config = ConfigDict(frozen=True, arbitrary_types_allowed=True)

    source: str
    settings: SweepSettings
    scenario_path: Path
    base: Scenario
    parameters: dict[str, tuple[Any, ...] | Range]

    @property
    def method(self) -> str:
        """The sampling method (``grid`` when every parameter is a list of values)."""
        return self.settings.sampler.method

    @property
    def tables(self) -> tuple[str, ...]:
        """The tables each run writes, the model table first."""
        wanted = set(self.settings.outputs.tables)
        return ("model", *(t for t in OPTIONAL_TABLES if t in wanted))

    def resolved(self) -> dict[str, Any]:
        """JSON-able form of the sweep, as written to ``sweep.json``."""
        data = self.settings.model_dump(mode="json")
        data["scenario"] = str(self.scenario_path)
        data["parameters"] = {
            key: value.model_dump() if isinstance(value, Range) else list(value)
            for key, value in self.parameters.items()
        }
        data["outputs"]["tables"] = list(self.tables)
        return data


def is_sweep_file(path: str | Path) -> bool:
    """Whether ``path`` is a TOML file with a top-level ``[sweep]`` table.

    Unreadable or malformed files are not sweeps; loading them as scenarios reports why.
    """
    try:
        data = _read(bundled_file(path, _bundled_sweeps()))
    except ScenarioError:
        return False
    return isinstance(data.get("sweep"), dict)


def load_sweep(
    path: str | Path,
    overrides: list[str] | tuple[str, ...] = (),
    changes: Mapping[str, Any] | None = None,
) -> Sweep:
    """Read, validate and cross-check a sweep file against its base scenario.

    Args:
        path: the sweep TOML file, or the name of a bundled one under ``configs/sweeps``.
        overrides: extra ``dotted.key=value`` scenario overrides, applied after ``set``.
        changes: ``[sweep]`` settings replaced before validation (the command line's
            ``--steps`` and ``--backend``: ``{"months": 6}``).

    Raises:
        ScenarioError: listing every problem, one ``<file>: <key>: <what>`` line each.
    """
    path = bundled_file(path, _bundled_sweeps())
    label = str(path)
    data = _read(path)
    unknown = sorted(set(data) - {"sweep"})
    problems = [
        Problem(label, key, "unknown top-level key (a sweep has only [sweep])") for key in unknown
    ]
    table = data.get("sweep")
    if not isinstance(table, dict):
        problems.append(Problem(label, "sweep", "missing [sweep] table"))
        raise ScenarioError(problems)
    raw = {**table, **(changes or {})}
    if isinstance(raw.get("parameters"), dict):
        flat, flat_problems = _flatten_parameters(raw["parameters"])
        raw["parameters"] = flat
        problems += [Problem(label, f"sweep.parameters.{k}", m) for k, m in flat_problems]
    try:
        settings = SweepSettings.model_validate(raw)
    except ValidationError as error:
        problems += [Problem(label, key, message) for key, message in _pydantic_problems(error)]
        raise ScenarioError(problems) from None
    if problems:
        raise ScenarioError(problems)
    scenario_path = _resolve_scenario(settings.scenario, path.parent)
    if not scenario_path.is_file():
        message = f"no scenario {settings.scenario!r} next to this file or among the bundled ones"
        raise ScenarioError([Problem(label, "sweep.scenario", message)])
    base = load_scenario(scenario_path, [*settings.set, *overrides])
    parameters, found = _check_parameters(settings, base)
    problems += [Problem(label, key, message) for key, message in found]
    problems += [Problem(label, key, message) for key, message in _check_run(settings, base)]
    if problems:
        raise ScenarioError(problems)
    return Sweep(
        source=label,
        settings=settings,
        scenario_path=scenario_path,
        base=base,
        parameters=parameters,
    )


def _bundled_sweeps() -> Path:
    """Folder of the bundled sweep files, which a sweep argument may name without a path."""
    return configs_dir() / "sweeps"


def _resolve_scenario(name: str, here: Path) -> Path:
    """A scenario named by a sweep: next to the sweep file, else a bundled one."""
    local = here / name
    if local.is_file():
        return local
    bundled = configs_dir() / name
    return bundled if bundled.is_file() else local


def _read(path: Path) -> dict[str, Any]:
    label = str(path)
    try:
        info = path.stat()
    except FileNotFoundError:
        names = ", ".join(sorted(p.stem for p in _bundled_sweeps().glob("*.toml")))
        message = f"file not found (bundled sweeps: {names})"
        raise ScenarioError([Problem(label, "", message)]) from None
    except OSError as error:
        raise ScenarioError([Problem(label, "", f"cannot read: {error.strerror}")]) from None
    if not stat.S_ISREG(info.st_mode):
        raise ScenarioError([Problem(label, "", "not a regular file")])
    if info.st_size > MAX_SWEEP_BYTES:
        raise ScenarioError([Problem(label, "", f"larger than {MAX_SWEEP_BYTES} bytes")])
    try:
        with open(path, "rb") as handle:
            return tomllib.loads(handle.read(MAX_SWEEP_BYTES).decode("utf-8"))
    except UnicodeDecodeError:
        raise ScenarioError([Problem(label, "", "not UTF-8 text")]) from None
    except tomllib.TOMLDecodeError as error:
        raise ScenarioError([Problem(label, "", f"invalid TOML: {error}")]) from None
    except RecursionError:
        raise ScenarioError([Problem(label, "", "invalid TOML: nested too deeply")]) from None
    except ValueError as error:  # an integer too long to convert, say
        raise ScenarioError([Problem(label, "", f"invalid TOML: {error}")]) from None
    except OSError as error:
        raise ScenarioError([Problem(label, "", f"cannot read: {error.strerror}")]) from None


def _is_range_table(value: Mapping[str, Any]) -> bool:
    return "low" in value or "high" in value


def _flatten_parameters(
    table: Mapping[str, Any], prefix: str = ""
) -> tuple[dict[str, Any], list[tuple[str, str]]]:
    """Turn ``{alignment: {rate: [...]}}`` and ``{"alignment.rate": [...]}`` into dotted keys."""
    flat: dict[str, Any] = {}
    problems: list[tuple[str, str]] = []
    for name, value in table.items():
        key = f"{prefix}{name}"
        if isinstance(value, dict) and not _is_range_table(value):
            inner, inner_problems = _flatten_parameters(value, f"{key}.")
            flat.update(inner)
            problems += inner_problems
        elif key in flat:
            problems.append((key, "given twice"))
        else:
            flat[key] = value
    return flat, problems


def _check_parameters(
    settings: SweepSettings, base: Scenario
) -> tuple[dict[str, tuple[Any, ...] | Range], list[tuple[str, str]]]:
    method = settings.sampler.method
    parameters: dict[str, tuple[Any, ...] | Range] = {}
    problems: list[tuple[str, str]] = []
    for key, value in settings.parameters.items():
        where = f"sweep.parameters.{key}"
        if isinstance(value, list):
            if method != "grid":
                problems.append(
                    (
                        where,
                        f"a list of values needs sampler method 'grid', not "
                        f"{method!r}; give a range {{ low = ..., high = ... }}",
                    )
                )
                continue
            if not value:
                problems.append((where, "empty list of values"))
                continue
            problems += [(where, m) for m in _check_values(base, key, value)]
            parameters[key] = tuple(value)
        elif isinstance(value, dict):
            if method == "grid":
                problems.append(
                    (
                        where,
                        "a range needs a sampler: set sweep.sampler.method to lhs, sobol or morris",
                    )
                )
                continue
            found = _parse_range(value)
            if isinstance(found, str):
                problems.append((where, found))
                continue
            problems += [(where, m) for m in _check_values(base, key, [found.low, found.high])]
            parameters[key] = found
        else:
            problems.append(
                (where, "must be a list of values or a table { low = ..., high = ... }")
            )
    if key_clash := sorted(set(parameters) & {_set_key(s) for s in settings.set}):
        problems += [(f"sweep.parameters.{k}", "also fixed in sweep.set") for k in key_clash]
    return parameters, problems


def _set_key(assignment: str) -> str:
    return assignment.split("=", 1)[0].strip()


def _parse_range(value: Mapping[str, Any]) -> Range | str:
    extra = sorted(set(value) - {"low", "high"})
    if extra:
        return f"unknown key {extra[0]!r} in a range (use low and high)"
    bounds = {}
    for bound in ("low", "high"):
        given = value.get(bound)
        if isinstance(given, bool) or not isinstance(given, int | float):
            return f"{bound}: missing or not a number"
        if not math.isfinite(given):
            return f"{bound}: must be a finite number"
        bounds[bound] = float(given)
    if not bounds["low"] < bounds["high"]:
        return f"low ({bounds['low']:g}) must be below high ({bounds['high']:g})"
    return Range(**bounds)


def _check_values(base: Scenario, key: str, values: list[Any]) -> Iterator[str]:
    """Apply each value to the base scenario; yield one message per bad value."""
    for value in dict.fromkeys(map(_hashable, values)):
        try:
            override(base, {key: value})
        except ScenarioError as error:
            for problem in error.problems:
                inner = "" if problem.key == key else f"{problem.key}: "
                yield f"value {value!r}: {inner}{problem.message}"
        except (TypeError, ValueError) as error:
            yield f"value {value!r}: {error}"


def _hashable(value: Any) -> Any:
    return tuple(value) if isinstance(value, list) else value


def _check_run(settings: SweepSettings, base: Scenario) -> Iterator[tuple[str, str]]:
    from multipolar.kernels import registered_backends
    from multipolar.timeline import step_of

    months = step_of(base.run.start, base.run.end)
    if settings.months > months:
        yield (
            "sweep.months",
            f"must be at most {months} for {base.name} ({base.run.start} to {base.run.end}); "
            'extend it with set = ["run.end=..."]',
        )
    sampler = settings.sampler
    if sampler.method == "sobol" and sampler.samples & (sampler.samples - 1):
        yield ("sweep.sampler.samples", f"must be a power of 2 for sobol, not {sampler.samples}")
    for i, pattern in enumerate(settings.outputs.metrics):
        if not pattern or pattern != pattern.strip():
            yield (f"sweep.outputs.metrics.{i}", "empty or padded pattern")
        elif fnmatch.translate(pattern) == fnmatch.translate("*") and len(pattern) > 1:
            yield (f"sweep.outputs.metrics.{i}", "use [] to keep every metric")
    # availability is the workers' business (a GPU cluster's driver may have no GPU)
    known = ("auto", *registered_backends())
    if settings.backend not in known:
        yield (
            "sweep.backend",
            f"unknown backend {settings.backend!r}; choose from {', '.join(known)}",
        )


def _pydantic_problems(error: ValidationError) -> Iterator[tuple[str, str]]:
    for item in error.errors():
        loc = ("sweep", *(str(p) for p in item["loc"]))
        key = ".".join(loc)
        kind = item["type"]
        if kind == "extra_forbidden":
            known = _known_fields(loc[1:-1])
            close = difflib.get_close_matches(loc[-1], known, n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            yield key, f"unknown key{hint}"
        elif kind == "missing":
            yield key, "missing required key"
        elif kind == "finite_number":
            yield key, "must be a finite number (not nan or inf)"
        else:
            message = item["msg"].removeprefix("Value error, ")
            yield key, message[:1].lower() + message[1:]


def _known_fields(path: tuple[str, ...]) -> list[str]:
    node: type[BaseModel] = SweepSettings
    for part in path:
        field = node.model_fields.get(part)
        annotation = getattr(field, "annotation", None)
        if not (isinstance(annotation, type) and issubclass(annotation, BaseModel)):
            return []
        node = annotation
    return list(node.model_fields)
