"""Region rasters: the grid, and the country, basin and conductance layers over it.

Plain array code (NumPy, shapely): no Mesa, no Polars. The vector sources ship in
``multipolar/data`` (see its README); rasters are made at run time and cached on disk.
"""

from __future__ import annotations

from multipolar.geography.grid import Grid
from multipolar.geography.layers import (
    CONDUCTANCE_KINDS,
    Geography,
    build_geography,
    terrain_features,
)

__all__ = ["CONDUCTANCE_KINDS", "Geography", "Grid", "build_geography", "terrain_features"]
