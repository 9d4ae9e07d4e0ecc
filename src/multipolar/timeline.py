"""Calendar of a run: one model step is one month, step 0 is the scenario's start date."""

from __future__ import annotations

import datetime as dt

__all__ = ["add_months", "decimal_year", "step_of"]


def add_months(date: dt.date, months: int) -> dt.date:
    """The first day of the month ``months`` after ``date``'s month."""
    index = date.year * 12 + (date.month - 1) + months
    return dt.date(index // 12, index % 12 + 1, 1)


def step_of(start: dt.date, date: dt.date) -> int:
    """The first step whose date is on or after ``date`` (``start`` is a month's first day).

    A dated event takes effect at this step, and ``step_of(start, end)`` is the number of
    monthly steps in a run.
    """
    months = (date.year - start.year) * 12 + (date.month - start.month)
    return months + (1 if date.day > 1 else 0)


def decimal_year(date: dt.date) -> float:
    """Year as a decimal, mid-month, e.g. 2023-01-01 -> 2023.0417."""
    return date.year + (date.month - 0.5) / 12.0
