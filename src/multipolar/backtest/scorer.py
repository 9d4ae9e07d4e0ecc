"""Scoring a set of runs against the record: pure functions of changes and targets.

A *change* is what a run did: a state entering (``join``) or leaving (``exit``: leaving or
suspending) an organization, or a base closing (``exit``). For each documented change the
forecast probability is the share of seeds that make the same change within ``tolerance``
months of the real date; for each documented non-change it is the share of seeds that make
that change at any time in the window. Rule-made changes that match no target and no
documented change of the scenario's dated record (within the same tolerance) are *false
changes*; each distinct one enters the Brier score as a non-event with the share of seeds
that made it. The Brier skill score compares with persistence, the forecast that nothing
changes (probability 0 everywhere): 1 is perfect, 0 no better than persistence.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

from multipolar.backtest.data import Target

__all__ = [
    "PERIODS",
    "Change",
    "PeriodScore",
    "Scorecard",
    "brier",
    "brier_skill",
    "matches",
    "months_between",
    "period_of",
    "score",
]

# (name, first year, last year): parameters are fitted on the first, judged on the second
PERIODS: tuple[tuple[str, int, int], ...] = (("calibration", 1992, 2007), ("test", 2008, 2024))


@dataclass(frozen=True)
class Change:
    """One change a run made."""

    date: dt.date
    kind: Literal["join", "exit"]
    state: str = ""
    organization: str = ""
    base: str = ""
    cause: str = "rule"

    @property
    def key(self) -> tuple[str, str, str, str]:
        """What changed, regardless of when."""
        return self.kind, self.state, self.organization, self.base


@dataclass(frozen=True)
class PeriodScore:
    """Brier score and skill over one period."""

    name: str
    brier: float
    brier_reference: float
    brier_skill: float | None
    n_items: int
    n_changes: int
    false_changes_per_seed: float


@dataclass(frozen=True)
class Scorecard:
    """The scorecard of a set of runs."""

    probabilities: dict[str, float]
    periods: dict[str, PeriodScore]
    false_changes: list[dict[str, object]] = field(default_factory=list)


def months_between(a: dt.date, b: dt.date) -> float:
    """Signed distance in months from ``a`` to ``b`` (days / 30.44)."""
    return (b - a).days / 30.4375


def period_of(date: dt.date) -> str | None:
    """The period a date falls in, or None outside 1992-2024."""
    for name, first, last in PERIODS:
        if first <= date.year <= last:
            return name
    return None


def _same_subject(change: Change, target: Target) -> bool:
    wants = "exit" if target.exit else "join"
    if change.kind != wants:
        return False
    if target.change == "base_close":
        return change.base == target.base
    return change.state == target.state and change.organization == target.organization


def matches(change: Change, target: Target, tolerance_months: float) -> bool:
    """Whether ``change`` is the model making (or, for a non-change, breaking) ``target``."""
    if not _same_subject(change, target):
        return False
    if target.occurred:
        return abs(months_between(target.date, change.date)) <= tolerance_months
    end = target.window_end or target.date
    return target.date <= change.date <= end


def brier(probabilities: Sequence[float], outcomes: Sequence[int]) -> float:
    """Mean squared difference between forecast probabilities and 0/1 outcomes."""
    if not probabilities:
        return 0.0
    return sum((p - o) ** 2 for p, o in zip(probabilities, outcomes, strict=True)) / len(
        probabilities
    )


def brier_skill(probabilities: Sequence[float], outcomes: Sequence[int]) -> float | None:
    """Skill against persistence (probability 0): ``1 - B / B_ref``; None when B_ref is 0."""
    reference = brier([0.0] * len(outcomes), outcomes)
    if reference == 0:
        return None
    return 1.0 - brier(probabilities, outcomes) / reference


def _documented(change: Change, record: Sequence[Change], tolerance_months: float) -> bool:
    return any(
        c.key == change.key and abs(months_between(c.date, change.date)) <= tolerance_months
        for c in record
    )


def score(
    targets: Sequence[Target],
    runs: Sequence[Sequence[Change]],
    tolerance_months: float = 24.0,
    record: Sequence[Change] = (),
) -> Scorecard:
    """Score ``runs`` (each the changes of one seed) against ``targets``.

    ``record`` holds the documented changes that are not targets (the scenario's scheduled
    ones): a rule-made change among them is neither credited nor counted as false.
    """
    n = max(len(runs), 1)
    probabilities = {
        t.id: sum(any(matches(c, t, tolerance_months) for c in run) for run in runs) / n
        for t in targets
    }
    false: dict[tuple[str, tuple[str, str, str, str]], set[int]] = {}
    false_rows: list[dict[str, object]] = []
    for seed, run in enumerate(runs):
        for change in run:
            if (
                change.cause != "rule"
                or any(matches(change, t, tolerance_months) for t in targets)
                or _documented(change, record, tolerance_months)
            ):
                continue
            period = period_of(change.date)
            if period is None:
                continue
            false.setdefault((period, change.key), set()).add(seed)
            false_rows.append(
                {
                    "seed": seed,
                    "period": period,
                    "date": change.date.isoformat(),
                    "kind": change.kind,
                    "state": change.state,
                    "organization": change.organization,
                    "base": change.base,
                }
            )
    periods: dict[str, PeriodScore] = {}
    for name, _, _ in PERIODS:
        inside = [t for t in targets if period_of(t.date) == name]
        probs = [probabilities[t.id] for t in inside]
        outcomes = [int(t.occurred) for t in inside]
        for (period, _), seeds in false.items():
            if period == name:
                probs.append(len(seeds) / n)
                outcomes.append(0)
        n_false = sum(1 for row in false_rows if row["period"] == name)
        periods[name] = PeriodScore(
            name=name,
            brier=brier(probs, outcomes),
            brier_reference=brier([0.0] * len(outcomes), outcomes),
            brier_skill=brier_skill(probs, outcomes),
            n_items=len(probs),
            n_changes=sum(outcomes),
            false_changes_per_seed=n_false / n,
        )
    return Scorecard(probabilities, periods, false_rows)
