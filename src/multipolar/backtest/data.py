"""The sourced history the backtest scores against: targets, alignment shifts, yearly series.

All files live in ``configs/data/history/``. Every row carries its source; a malformed row
is a :class:`~multipolar.config.ScenarioError` naming ``<file>: row <n>: <column>: <problem>``.
"""

from __future__ import annotations

import csv
import datetime as dt
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from multipolar._resources import configs_dir
from multipolar.config import Problem, ScenarioError

__all__ = [
    "FIRST_YEAR",
    "LAST_YEAR",
    "HistoryData",
    "Shift",
    "Target",
    "history_dir",
    "load_history",
    "read_series",
    "read_shifts",
    "read_targets",
]

FIRST_YEAR = 1992
LAST_YEAR = 2024

ChangeKind = Literal["join", "leave", "suspend", "base_close"]


@dataclass(frozen=True)
class Target:
    """A documented change (``occurred``) or a documented non-change over a window.

    Membership targets name a state and an organization, base targets a base. For a change
    the model is credited within a tolerance around ``date``; for a non-change any model
    change of that kind between ``date`` and ``window_end`` counts against it.
    """

    id: str
    change: ChangeKind
    state: str
    organization: str
    base: str
    date: dt.date
    occurred: bool
    window_end: dt.date | None
    source: str

    @property
    def exit(self) -> bool:
        """True for a leave, suspension or base closure (the membership or base ends)."""
        return self.change != "join"


@dataclass(frozen=True)
class Shift:
    """A documented shift of alignment: ``states`` move ``direction`` with ``power``."""

    id: str
    states: tuple[str, ...]
    power: str
    measure: Literal["align", "economy_share"]
    direction: int
    start: dt.date
    end: dt.date
    source: str


@dataclass(frozen=True)
class HistoryData:
    """Everything the scorer needs from the record."""

    targets: tuple[Target, ...]
    shifts: tuple[Shift, ...]


def history_dir() -> Path:
    """Folder of the bundled history data (``configs/data/history``)."""
    return configs_dir() / "data" / "history"


class _Rows:
    """Reads a CSV file and collects one problem per bad cell."""

    def __init__(self, path: Path, required: tuple[str, ...]) -> None:
        self.path = path
        self.problems: list[Problem] = []
        try:
            with path.open(newline="", encoding="utf-8") as handle:
                reader = csv.DictReader(handle)
                self.columns = tuple(reader.fieldnames or ())
                self.rows = list(reader)
        except OSError as error:
            raise ScenarioError(
                [Problem(str(path), "", f"cannot read: {error.strerror}")]
            ) from None
        missing = [c for c in required if c not in self.columns]
        if missing:
            raise ScenarioError(
                [Problem(str(path), "", f"missing column(s): {', '.join(missing)}")]
            )

    def each(self) -> Iterator[tuple[int, dict[str, str]]]:
        for number, row in enumerate(self.rows, start=2):
            yield number, {k: (v or "").strip() for k, v in row.items() if k is not None}

    def bad(self, number: int, column: str, message: str) -> None:
        self.problems.append(Problem(str(self.path), f"row {number}: {column}", message))

    def parse[T](
        self, number: int, row: dict[str, str], column: str, convert: Callable[[str], T]
    ) -> T | None:
        text = row.get(column, "")
        if not text:
            self.bad(number, column, "missing value")
            return None
        try:
            return convert(text)
        except ValueError as error:
            self.bad(number, column, f"{text!r}: {error}")
            return None

    def done(self) -> None:
        if self.problems:
            raise ScenarioError(self.problems)


def _date(text: str) -> dt.date:
    value = dt.date.fromisoformat(text)
    if not dt.date(FIRST_YEAR, 1, 1) <= value <= dt.date(LAST_YEAR, 12, 31):
        raise ValueError(f"must lie in {FIRST_YEAR}..{LAST_YEAR}")
    return value


def _year(text: str) -> int:
    value = int(text)
    if not FIRST_YEAR <= value <= LAST_YEAR:
        raise ValueError(f"must lie in {FIRST_YEAR}..{LAST_YEAR}")
    return value


def _positive(text: str) -> float:
    value = float(text)
    if not value > 0 or value != value or value == float("inf"):
        raise ValueError("must be a positive finite number")
    return value


def _choice(*options: str) -> Callable[[str], str]:
    def convert(text: str) -> str:
        if text not in options:
            raise ValueError(f"choose from {', '.join(options)}")
        return text

    return convert


def _flag(text: str) -> bool:
    return _choice("0", "1")(text) == "1"


def read_targets(path: Path) -> tuple[Target, ...]:
    """Read ``targets.csv``: one documented change or non-change per row."""
    reader = _Rows(
        path,
        (
            "id",
            "change",
            "state",
            "organization",
            "base",
            "date",
            "occurred",
            "window_end",
            "source",
        ),
    )
    targets: list[Target] = []
    for n, row in reader.each():
        change = reader.parse(n, row, "change", _choice("join", "leave", "suspend", "base_close"))
        date = reader.parse(n, row, "date", _date)
        occurred = reader.parse(n, row, "occurred", _flag)
        reader.parse(n, row, "source", str)
        reader.parse(n, row, "id", str)
        window_end = reader.parse(n, row, "window_end", _date) if row["window_end"] else None
        if change == "base_close":
            reader.parse(n, row, "base", str)
        elif change is not None:
            reader.parse(n, row, "state", str)
            reader.parse(n, row, "organization", str)
        if occurred is False and window_end is None:
            reader.bad(n, "window_end", "a non-change needs the end of its window")
        if None in (change, date, occurred) or not row["source"] or not row["id"]:
            continue
        if window_end is not None and date is not None and window_end < date:
            reader.bad(n, "window_end", "must not be before date")
        targets.append(
            Target(
                row["id"],
                change,
                row["state"],
                row["organization"],
                row["base"],
                date,
                bool(occurred),
                window_end,
                row["source"],
            )  # type: ignore[arg-type]
        )
    reader.done()
    return tuple(targets)


def read_shifts(path: Path) -> tuple[Shift, ...]:
    """Read ``shifts.csv``: documented alignment shifts and their windows."""
    reader = _Rows(
        path, ("id", "states", "power", "measure", "direction", "start", "end", "source")
    )
    shifts: list[Shift] = []
    for n, row in reader.each():
        measure = reader.parse(n, row, "measure", _choice("align", "economy_share"))
        direction = reader.parse(n, row, "direction", _choice("-1", "1"))
        start = reader.parse(n, row, "start", _date)
        end = reader.parse(n, row, "end", _date)
        for column in ("id", "states", "power", "source"):
            reader.parse(n, row, column, str)
        if start is not None and end is not None and end <= start:
            reader.bad(n, "end", "must be after start")
        if None in (measure, direction, start, end) or not all(
            row[c] for c in ("id", "states", "power", "source")
        ):
            continue
        shifts.append(
            Shift(
                row["id"],
                tuple(row["states"].split()),
                row["power"],
                measure,  # type: ignore[arg-type]
                int(direction),
                start,
                end,
                row["source"],
            )  # type: ignore[arg-type]
        )
    reader.done()
    return tuple(shifts)


def _finite(text: str) -> float:
    value = float(text)
    if value != value or abs(value) == float("inf"):
        raise ValueError("must be a finite number")
    return value


def read_series(path: Path, column: str, *, signed: bool = False) -> dict[str, dict[int, float]]:
    """Read a yearly series (``iso3, year, <column>, source``): ``{iso3: {year: value}}``.

    Values must be positive (a level) unless ``signed`` (a rate of change, which may be
    negative).
    """
    reader = _Rows(path, ("iso3", "year", column, "source"))
    series: dict[str, dict[int, float]] = {}
    for n, row in reader.each():
        year = reader.parse(n, row, "year", _year)
        value = reader.parse(n, row, column, _finite if signed else _positive)
        reader.parse(n, row, "source", str)
        iso3 = reader.parse(n, row, "iso3", str)
        if None in (year, value, iso3) or not row["source"]:
            continue
        if year in series.get(iso3, {}):  # type: ignore[arg-type]
            reader.bad(n, "year", f"duplicate year {year} for {iso3}")
        series.setdefault(iso3, {})[year] = value  # type: ignore[index,arg-type]
    reader.done()
    return series


def load_history(folder: Path | None = None) -> HistoryData:
    """Targets and shifts from ``folder`` (default: the bundled ``configs/data/history``)."""
    folder = folder or history_dir()
    return HistoryData(read_targets(folder / "targets.csv"), read_shifts(folder / "shifts.csv"))
