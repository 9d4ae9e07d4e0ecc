"""A cheap per-step check that a run's quantities are finite.

A NaN or an infinity in one month spreads through every later month and ends up in the
tables looking like a result. After each step the runner asks :class:`FiniteGuard` to look
at what the model recorded that month (every model reporter, every new row of the state and
basin tables: budgets, alignments, zonal influence sums, shares) and stops the run with a
one-line message naming the first non-finite quantity and the month. Only the values new
since the last check are read, so the cost is a few hundred floats a step.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from numbers import Real
from typing import Any

import numpy as np

__all__ = ["FiniteGuard", "NonFiniteError", "first_non_finite"]


class NonFiniteError(RuntimeError):
    """A model quantity became NaN or infinite; the message names it and the month."""

    def __init__(self, quantity: str, value: float, when: str) -> None:
        self.quantity = quantity
        self.value = value
        self.when = when
        super().__init__(f"non-finite value in {when}: {quantity} = {value!r}; the run is stopped")


def _bad(value: Any) -> float | None:
    """The value if it is a non-finite number (or holds one), else None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, Real):
        number = float(value)
        return None if math.isfinite(number) else number
    if isinstance(value, np.ndarray) and value.dtype.kind in "fc":
        if np.isfinite(value).all():
            return None
        return float(value[~np.isfinite(value)].flat[0])
    return None


def first_non_finite(named: Iterable[tuple[str, Any]]) -> tuple[str, float] | None:
    """The first ``(name, value)`` whose value is a non-finite number or array."""
    for name, value in named:
        bad = _bad(value)
        if bad is not None:
            return name, bad
    return None


class FiniteGuard:
    """Checks the values a model's DataCollector recorded since the previous check."""

    def __init__(self) -> None:
        self._seen: dict[str, int] = {}

    def check(self, model: Any) -> None:
        """Raise :class:`NonFiniteError` if anything recorded since the last call is not finite.

        Args:
            model: a model with a Mesa ``datacollector`` (``model_vars`` and ``tables``) and,
                for the message, a ``date``.
        """
        found = first_non_finite(self._new_values(model))
        if found is not None:
            date = getattr(model, "date", None)
            when = f"{date:%Y-%m}" if date is not None else "the run"
            step = getattr(model, "steps", None)
            if step is not None:
                when = f"{when} (step {step})"
            raise NonFiniteError(found[0], found[1], when)

    def check_fields(self, model: Any) -> None:
        """Raise :class:`NonFiniteError` if the final fields hold a NaN or an infinity.

        Once per run, before ``fields_final.npz`` is written: each step's zonal sums are
        checked already, this catches a non-finite cell outside every zone.
        """
        field = getattr(model, "field", None)
        if field is None:
            return
        fields = field.to_host()
        bad = ~np.isfinite(fields)
        if bad.any():
            channel, row, col = (int(i[0]) for i in np.nonzero(bad))
            names = getattr(model, "channels", None)
            name = names[channel] if names is not None else f"channel {channel}"
            date = getattr(model, "date", None)
            when = f"{date:%Y-%m}" if date is not None else "the run"
            raise NonFiniteError(
                f"fields[{name}] at cell ({row}, {col})", float(fields[channel, row, col]), when
            )

    def _new_values(self, model: Any) -> Iterable[tuple[str, Any]]:
        collector = model.datacollector
        for name, series in collector.model_vars.items():
            start = self._advance(f"model.{name}", len(series))
            for value in series[start:]:
                yield name, value
        for table, columns in collector.tables.items():
            yield from self._table_values(table, columns)
        for name, value in _extra_quantities(model):
            yield name, value

    def _table_values(
        self, table: str, columns: Mapping[str, list[Any]]
    ) -> Iterable[tuple[str, Any]]:
        length = max((len(v) for v in columns.values()), default=0)
        start = self._advance(f"table.{table}", length)
        labels = columns.get("iso3") or columns.get("basin") or columns.get("name")
        for column, values in columns.items():
            for row in range(start, len(values)):
                label = f" ({labels[row]})" if labels is not None and row < len(labels) else ""
                yield f"{table}.{column}{label}", values[row]

    def _advance(self, key: str, length: int) -> int:
        start = self._seen.get(key, 0)
        self._seen[key] = length
        return min(start, length)


def _extra_quantities(model: Any) -> Iterable[tuple[str, Any]]:
    """Small arrays the model keeps between steps, when it has them (budgets, alignments)."""
    for attribute in ("last_budgets", "boost"):
        value = getattr(model, attribute, None)
        if isinstance(value, np.ndarray):
            yield attribute, value
    states = getattr(model, "states", None)
    if isinstance(states, Mapping):
        for iso3, agent in states.items():
            alignment = getattr(agent, "alignment", None)
            if isinstance(alignment, np.ndarray):
                yield f"alignment ({iso3})", alignment
