"""multipolar: agent-based simulation of great-power competition in Central Asia.

The heavy parts (Mesa, Polars) are imported lazily, so ``multipolar.kernels`` stays usable
on machines that have only NumPy, Numba and CuPy.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

_LAZY = {
    "MultipolarModel": "multipolar.model",
    "Scenario": "multipolar.config",
    "ScenarioError": "multipolar.config",
    "load_scenario": "multipolar.config",
    "default_scenario_path": "multipolar.config",
}

__all__ = [
    "MultipolarModel",
    "Scenario",
    "ScenarioError",
    "__version__",
    "default_scenario_path",
    "load_scenario",
]

if TYPE_CHECKING:
    from multipolar.config import Scenario, ScenarioError, default_scenario_path, load_scenario
    from multipolar.model import MultipolarModel


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'multipolar' has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)
