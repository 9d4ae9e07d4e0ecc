"""The model's geography: country, basin and conductance rasters over a :class:`Grid`.

Rasters are made at cell centres from the bundled vector data (see ``multipolar/data/README.md``)
and cached on disk, keyed by the data files' bytes, the grid and the conductance settings.

Rules:
- Country: each cell takes the country whose polygon holds its centre (index 0, code ``""``,
  where none does: the Caspian, the Persian Gulf). Countries are painted in code order, so
  if two polygons ever claimed one centre the later code would win.
- Basin: each cell takes one basin (index 0, name ``""``, for none). Where basin polygons
  overlap the smaller one wins (Ferghana over Syr Darya): basins are painted from the largest
  area to the smallest, ties broken by name.
- Conductance: a cell in a terrain feature takes that feature's value (its kind's value unless
  ``features`` overrides it by name); a cell in no country takes ``water``; a cell that several
  of these rules claim takes the smallest of their values; every other cell is ``open_land``
  (a default, never compared: a mountain value above ``open_land`` still applies).
"""

from __future__ import annotations

import dataclasses
import numbers
import warnings
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from multipolar.geography import _cache, _data
from multipolar.geography._raster import cells_inside
from multipolar.geography.grid import Grid

__all__ = ["CONDUCTANCE_KINDS", "Geography", "build_geography", "terrain_features"]

CONDUCTANCE_KINDS = ("open_land", "mountains", "water")


@dataclass(frozen=True, eq=False)
class Geography:
    """Rasters of one grid; the arrays are made read-only.

    Attributes:
        grid: The grid the rasters cover.
        country_codes: ISO 3166 alpha-3 codes; index 0 is ``""`` (no country: sea, or land
            of a country absent from the data).
        country: ``int32`` array ``(H, W)`` of indices into ``country_codes``.
        basin_names: Basin names; index 0 is ``""`` (no basin).
        basin: ``int32`` array ``(H, W)`` of indices into ``basin_names``.
        conductance: ``float32`` array ``(H, W)`` with values in ``(0, 1]``.

    Raises:
        ValueError: If an array's shape or dtype does not fit the grid, an index falls outside
            its table, a table does not start with ``""``, or a conductance lies outside (0, 1].
    """

    grid: Grid
    country_codes: tuple[str, ...]
    country: np.ndarray
    basin_names: tuple[str, ...]
    basin: np.ndarray
    conductance: np.ndarray

    def __post_init__(self) -> None:
        """Check the arrays against the grid and the tables, then freeze them."""
        shape = self.grid.shape
        for layer, labels, table in (
            ("country", self.country, self.country_codes),
            ("basin", self.basin, self.basin_names),
        ):
            if labels.shape != shape or labels.dtype != np.int32:
                raise ValueError(
                    f"{layer} must be int32 of shape {shape}, not {labels.dtype} {labels.shape}"
                )
            if table[:1] != ("",):
                raise ValueError(f"the {layer} table must start with '' (none), got {table[:1]}")
            if labels.min() < 0 or labels.max() >= len(table):
                raise ValueError(f"{layer} holds indices outside its table of {len(table)}")
        values = self.conductance
        if values.shape != shape or values.dtype != np.float32:
            raise ValueError(
                f"conductance must be float32 of shape {shape}, not {values.dtype} {values.shape}"
            )
        if not (np.all(values > 0) and np.all(values <= 1)):
            raise ValueError("conductance values must lie in (0, 1]")
        for array in (self.country, self.basin, self.conductance):
            array.setflags(write=False)

    def country_index(self, iso3: str) -> int:
        """Index of a country code in ``country_codes``.

        Raises:
            KeyError: If the code is not one of this geography's countries.
        """
        if iso3 and iso3 in self.country_codes:
            return self.country_codes.index(iso3)
        raise KeyError(f"unknown country code {iso3!r}; known: {', '.join(self.country_codes[1:])}")

    def country_mask(self, iso3: str) -> np.ndarray:
        """Boolean ``(H, W)`` mask of the cells of one country (KeyError if unknown)."""
        return self.country == self.country_index(iso3)

    def basin_index(self, name: str) -> int:
        """Index of a basin name in ``basin_names``.

        Raises:
            KeyError: If the name is not one of this geography's basins.
        """
        if name and name in self.basin_names:
            return self.basin_names.index(name)
        raise KeyError(f"unknown basin {name!r}; known: {', '.join(self.basin_names[1:])}")

    def basin_mask(self, name: str) -> np.ndarray:
        """Boolean ``(H, W)`` mask of the cells of one basin (KeyError if unknown)."""
        return self.basin == self.basin_index(name)

    def cell_counts(self, layer: str = "country") -> np.ndarray:
        """Number of cells per label, aligned with the layer's table (index 0 = none).

        Args:
            layer: ``"country"`` or ``"basin"``.

        Returns:
            ``int64`` array of length ``len(country_codes)`` or ``len(basin_names)``, the same
            label order as a zonal sum over that layer.

        Raises:
            ValueError: If ``layer`` is neither.
        """
        if layer == "country":
            return np.bincount(self.country.ravel(), minlength=len(self.country_codes))
        if layer == "basin":
            return np.bincount(self.basin.ravel(), minlength=len(self.basin_names))
        raise ValueError(f"layer must be 'country' or 'basin', not {layer!r}")


def terrain_features() -> dict[str, str]:
    """Names of the bundled terrain features, each mapped to its kind (mountains or water)."""
    return {feature.name: feature.kind for feature in _data.terrain()}


def build_geography(
    grid: Grid,
    conductance: Mapping[str, float],
    features: Mapping[str, float] | None = None,
    cache_dir: Path | None = None,
) -> Geography:
    """Rasterize the bundled data over ``grid``, or read the result from the cache.

    Args:
        grid: The raster to fill.
        conductance: Value for each kind of cell: ``open_land``, ``mountains`` and ``water``,
            each in (0, 1].
        features: Optional per-feature values in (0, 1], by terrain feature name (see
            :func:`terrain_features`), replacing the value of the feature's kind.
        cache_dir: Folder for cached rasters; default ``$MULTIPOLAR_CACHE_DIR``, else
            ``$XDG_CACHE_HOME/multipolar``, else ``~/.cache/multipolar``. A missing, corrupt or
            stale file is (re)built; a folder that cannot be written only raises a warning.

    Returns:
        The geography.

    Raises:
        ValueError: If a kind is missing or unknown, a feature name is unknown, or a value is
            not a number in (0, 1].
    """
    kinds = _checked_kinds(conductance)
    overrides = _checked_features(features or {})
    bounds = {name: float(value) for name, value in dataclasses.asdict(grid).items()}
    settings = {"grid": bounds, "conductance": kinds, "features": overrides}
    folder = cache_dir if cache_dir is not None else _cache.default_cache_dir()
    key = _cache.cache_key(_data.source_paths(), settings)
    path = Path(folder) / f"geography-{key[:32]}.npz"
    stored = _cache.load(path)
    if stored is not None:
        try:
            return _from_arrays(grid, stored)
        except (TypeError, ValueError):
            pass  # a damaged or foreign file: rebuild it below
    geography = _rasterize(grid, kinds, overrides)
    try:
        _cache.save(path, _to_arrays(geography))
    except OSError as error:
        warnings.warn(f"could not write the geography cache {path}: {error}", stacklevel=2)
    return geography


def _unit_value(label: str, value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not 0 < value <= 1:
        raise ValueError(f"{label} must be a number in (0, 1], not {value!r}")
    return float(value)


def _checked_kinds(conductance: Mapping[str, float]) -> dict[str, float]:
    kinds = {kind: _unit_value(f"conductance[{kind!r}]", v) for kind, v in conductance.items()}
    unknown = sorted(set(kinds) - set(CONDUCTANCE_KINDS))
    missing = [kind for kind in CONDUCTANCE_KINDS if kind not in kinds]
    if unknown or missing:
        raise ValueError(
            f"conductance needs exactly the kinds {', '.join(CONDUCTANCE_KINDS)}"
            f" (missing: {', '.join(missing) or 'none'}; unknown: {', '.join(unknown) or 'none'})"
        )
    return kinds


def _checked_features(features: Mapping[str, float]) -> dict[str, float]:
    overrides = {name: _unit_value(f"features[{name!r}]", v) for name, v in features.items()}
    known = terrain_features()
    strangers = sorted(set(overrides) - set(known))
    if strangers:
        raise ValueError(
            f"unknown terrain feature(s) {', '.join(strangers)}; known: {', '.join(sorted(known))}"
        )
    return overrides


def _rasterize(grid: Grid, kinds: Mapping[str, float], overrides: Mapping[str, float]) -> Geography:
    countries = _data.countries()
    country = np.zeros(grid.shape, dtype=np.int32)
    for index, feature in enumerate(countries, start=1):
        for window, mask in cells_inside(grid, feature.geometry):
            country[window][mask] = index

    basins = _data.basins()
    basin = np.zeros(grid.shape, dtype=np.int32)
    largest_first = sorted(
        range(len(basins)), key=lambda i: (-basins[i].geometry.area, basins[i].name)
    )
    for i in largest_first:
        for window, mask in cells_inside(grid, basins[i].geometry):
            basin[window][mask] = i + 1

    values = np.full(grid.shape, np.inf, dtype=np.float32)
    values[country == 0] = kinds["water"]
    for feature in _data.terrain():
        value = np.float32(overrides.get(feature.name, kinds[feature.kind]))
        for window, mask in cells_inside(grid, feature.geometry):
            view = values[window]
            np.minimum(view, value, out=view, where=mask)
    values[np.isinf(values)] = kinds["open_land"]

    return Geography(
        grid=grid,
        country_codes=("", *(feature.name for feature in countries)),
        country=country,
        basin_names=("", *(feature.name for feature in basins)),
        basin=basin,
        conductance=values,
    )


def _to_arrays(geography: Geography) -> dict[str, np.ndarray]:
    """Arrays to cache; labels shrink to the smallest unsigned type (faster to compress)."""
    return {
        "country_codes": np.array(geography.country_codes, dtype=str),
        "country": geography.country.astype(np.min_scalar_type(len(geography.country_codes))),
        "basin_names": np.array(geography.basin_names, dtype=str),
        "basin": geography.basin.astype(np.min_scalar_type(len(geography.basin_names))),
        "conductance": geography.conductance,
    }


def _from_arrays(grid: Grid, arrays: Mapping[str, np.ndarray]) -> Geography:
    return Geography(
        grid=grid,
        country_codes=tuple(str(code) for code in arrays["country_codes"]),
        country=arrays["country"].astype(np.int32),
        basin_names=tuple(str(name) for name in arrays["basin_names"]),
        basin=arrays["basin"].astype(np.int32),
        conductance=arrays["conductance"],
    )
