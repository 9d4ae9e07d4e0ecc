"""Validation against history: the 1992-2024 backtest, its scorecard and its calibration.

``multipolar backtest`` runs the history scenario over several seeds in one of two modes
(:mod:`~multipolar.backtest.modes`), lets capacities follow the yearly record
(:mod:`~multipolar.backtest.series`), reads each run's tables back
(:mod:`~multipolar.backtest.changes`) and scores them against the documented targets
(:mod:`~multipolar.backtest.scorer`, pure functions). ``--calibrate`` fits free parameters
on 1992-2007 only (:mod:`~multipolar.backtest.calibrate`).
"""

from __future__ import annotations

from multipolar.backtest.data import HistoryData, Shift, Target, load_history
from multipolar.backtest.modes import MODES, resolve_scenario
from multipolar.backtest.scorer import Change, Scorecard, score

__all__ = [
    "MODES",
    "Change",
    "HistoryData",
    "Scorecard",
    "Shift",
    "Target",
    "load_history",
    "resolve_scenario",
    "score",
]
