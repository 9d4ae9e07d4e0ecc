from __future__ import annotations

import datetime as dt

from multipolar.timeline import add_months, step_of

START = dt.date(2023, 1, 1)


def test_add_months_crosses_years() -> None:
    assert add_months(START, 11) == dt.date(2023, 12, 1)
    assert add_months(START, 12) == dt.date(2024, 1, 1)
    assert add_months(START, 121) == dt.date(2033, 2, 1)


def test_step_of_is_the_first_step_on_or_after_the_date() -> None:
    for days in range(0, 3700, 7):
        date = START + dt.timedelta(days=days)
        step = step_of(START, date)
        assert add_months(START, step) >= date
        assert step == 0 or add_months(START, step - 1) < date
    assert step_of(START, dt.date(2033, 1, 1)) == 120
