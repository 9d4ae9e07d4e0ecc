"""Validation against history: the 1992-2024 backtest, its scorecard and its calibration.

``multipolar backtest`` runs the history scenario over several seeds in one of two modes
(:mod:`~multipolar.backtest.modes`), lets capacities follow the yearly record
(:mod:`~multipolar.backtest.series`), reads each run's tables back
(:mod:`~multipolar.backtest.changes`) and scores them against the documented targets
(:mod:`~multipolar.backtest.scorer`, pure functions; :mod:`~multipolar.backtest.shifts`).
``--calibrate`` fits free parameters on 1992-2007 only (:mod:`~multipolar.backtest.calibrate`).
The submodules are imported on use, so building the command line stays light.
"""

from __future__ import annotations

__all__: list[str] = []
