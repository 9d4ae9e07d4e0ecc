"""Derive the package's bundled country data from Natural Earth 1:110m shapefiles.

Run once, from the repository root, whenever the source data or the rules below change:

    python scripts/derive_geodata.py SOURCE_DIR [--out DIR] [--check]

SOURCE_DIR is a folder of downloaded Natural Earth files (to see where to get them, run
the script without it) and must hold ``naturalearth_lowres.*`` (admin-0 countries) and
``naturalearth_cities.*`` (populated places). Outputs, written to ``src/multipolar/data/``
unless ``--out`` says otherwise:

- ``countries.geojson``: every country whose polygon intersects the model region
  (lon 40-100 E, lat 28-58 N), clipped to the region plus a 2-degree margin, properties
  ``iso3`` and ``name``, coordinates on a 1e-4 degree grid, features sorted by ``iso3``.
- ``capitals.json``: ``{iso3: {"name", "lon", "lat"}}`` for those countries' capitals that the
  cities file lists, plus the capitals the scenarios need from outside the grid (``EXTRA``).

Rules:
- Countries with ``iso_a3 == "-99"`` (in this release only Kosovo) have no code to key them by;
  they are dropped, and the script fails if such a country ever intersects the region.
- Capitals come from the name table ``CAPITALS``; each must lie within ``CAPITAL_TOLERANCE_DEG``
  of its country's unclipped polygon, or the script fails. ``RENAMES`` maps the cities file's
  spelling to the one the package uses (``Nur-Sultan`` is ``Astana`` again since 2022).

``--check`` derives into memory and compares with the files already in ``--out``: exit status 0
when they are byte-identical, 1 (listing the differing files) otherwise. Output is
deterministic: the same inputs give the same bytes.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path

import shapefile
import shapely
from shapely.geometry import Point, box, mapping, shape

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_OUT = REPO_ROOT / "src" / "multipolar" / "data"

REGION = (40.0, 28.0, 100.0, 58.0)  # lon_min, lat_min, lon_max, lat_max
MARGIN_DEG = 2.0
DECIMALS = 4
CAPITAL_TOLERANCE_DEG = 0.5

# iso3 -> capital as the cities file spells it. Covers every country the region touches.
CAPITALS = {
    "AFG": "Kabul",
    "ARM": "Yerevan",
    "AZE": "Baku",
    "BTN": "Thimphu",
    "CHN": "Beijing",
    "GEO": "Tbilisi",
    "IND": "New Delhi",
    "IRN": "Tehran",
    "IRQ": "Baghdad",
    "KAZ": "Nur-Sultan",
    "KGZ": "Bishkek",
    "KWT": "Kuwait City",
    "MMR": "Naypyidaw",
    "MNG": "Ulaanbaatar",
    "NPL": "Kathmandu",
    "PAK": "Islamabad",
    "RUS": "Moscow",
    "SAU": "Riyadh",
    "SYR": "Damascus",
    "TJK": "Dushanbe",
    "TKM": "Ashgabat",
    "TUR": "Ankara",
    "UKR": "Kyiv",
    "UZB": "Tashkent",
}
# Capitals of countries absent from countries.geojson that the scenarios still need.
EXTRA = {"USA": ("United States of America", "Washington,  D.C.")}
RENAMES = {"Nur-Sultan": "Astana", "Washington,  D.C.": "Washington, D.C."}


def _read_countries(source: Path) -> list[tuple[str, str, shapely.Geometry]]:
    reader = shapefile.Reader(str(source / "naturalearth_lowres"))
    return [
        (rec.record["iso_a3"], rec.record["name"], shape(rec.shape.__geo_interface__))
        for rec in reader.iterShapeRecords()
    ]


def _read_cities(source: Path) -> dict[str, tuple[float, float]]:
    reader = shapefile.Reader(str(source / "naturalearth_cities"))
    return {rec.record["name"]: tuple(rec.shape.points[0]) for rec in reader.iterShapeRecords()}


def _rounded(coords: Sequence) -> list:
    if isinstance(coords[0], float | int):
        return [round(float(c), DECIMALS) for c in coords]
    return [_rounded(c) for c in coords]


def _clip(geom: shapely.Geometry) -> shapely.Geometry:
    lon_min, lat_min, lon_max, lat_max = REGION
    clipped = shapely.clip_by_rect(
        shapely.make_valid(geom),
        lon_min - MARGIN_DEG,
        lat_min - MARGIN_DEG,
        lon_max + MARGIN_DEG,
        lat_max + MARGIN_DEG,
    )
    snapped = shapely.set_precision(clipped, 10.0**-DECIMALS)
    polygons = [g for g in shapely.get_parts(snapped) if g.geom_type == "Polygon"]
    return shapely.orient_polygons(shapely.MultiPolygon(polygons), exterior_cw=False)


def derive_countries(
    countries: list[tuple[str, str, shapely.Geometry]],
) -> tuple[dict, dict[str, tuple[str, shapely.Geometry]]]:
    """Return the countries FeatureCollection and ``{iso3: (name, full geometry)}`` kept."""
    region = box(*REGION)
    kept: dict[str, tuple[str, shapely.Geometry]] = {}
    for iso3, name, geom in countries:
        if not geom.intersects(region):
            continue
        if iso3 == "-99":
            raise SystemExit(f"{name!r} intersects the region but has no ISO code (-99)")
        kept[iso3] = (name, geom)
    features = []
    for iso3 in sorted(kept):
        name, geom = kept[iso3]
        geometry = mapping(_clip(geom))
        geometry["coordinates"] = _rounded(geometry["coordinates"])
        features.append(
            {
                "type": "Feature",
                "properties": {"iso3": iso3, "name": name},
                "geometry": {"type": geometry["type"], "coordinates": geometry["coordinates"]},
            }
        )
    return {"type": "FeatureCollection", "features": features}, kept


def derive_capitals(
    kept: dict[str, tuple[str, shapely.Geometry]],
    all_countries: list[tuple[str, str, shapely.Geometry]],
    cities: dict[str, tuple[float, float]],
) -> dict[str, dict]:
    """Match each kept country (and each ``EXTRA`` one) to its capital in the cities file."""
    by_name = {name: (iso3, geom) for iso3, name, geom in all_countries}
    wanted = {iso3: (geom, CAPITALS.get(iso3)) for iso3, (_, geom) in kept.items()}
    for iso3, (country_name, city) in EXTRA.items():
        wanted[iso3] = (by_name[country_name][1], city)
    capitals = {}
    for iso3 in sorted(wanted):
        geom, city = wanted[iso3]
        if city is None:
            raise SystemExit(f"no capital listed for {iso3} in CAPITALS")
        if city not in cities:
            print(f"note: {city} ({iso3}) is not in the cities file; skipped", file=sys.stderr)
            continue
        lon, lat = cities[city]
        if geom.distance(Point(lon, lat)) > CAPITAL_TOLERANCE_DEG:
            raise SystemExit(f"{city} ({lon}, {lat}) lies outside {iso3}")
        capitals[iso3] = {
            "name": RENAMES.get(city, city),
            "lon": round(lon, DECIMALS),
            "lat": round(lat, DECIMALS),
        }
    return capitals


def _one_per_line(mapping_: dict[str, dict]) -> bytes:
    items = [f"  {json.dumps(k)}: {json.dumps(v, ensure_ascii=False)}" for k, v in mapping_.items()]
    return ("{\n" + ",\n".join(items) + "\n}\n").encode("utf-8")


def derive(source: Path) -> dict[str, bytes]:
    """Derive every output file from ``source``; returns ``{file name: bytes}``."""
    countries = _read_countries(source)
    collection, kept = derive_countries(countries)
    capitals = derive_capitals(kept, countries, _read_cities(source))
    lines = [
        json.dumps(f, separators=(",", ":"), ensure_ascii=False) for f in collection["features"]
    ]
    geojson = '{"type":"FeatureCollection","features":[\n' + ",\n".join(lines) + "\n]}\n"
    return {
        "countries.geojson": geojson.encode("utf-8"),
        "capitals.json": _one_per_line(capitals),
    }


INPUTS = ("naturalearth_lowres", "naturalearth_cities")
DOWNLOAD = """\
Natural Earth 1:110m is public domain. The script reads the copies that geopandas 0.14
redistributes (fields iso_a3 and name), as naturalearth_lowres.{shp,shx,dbf} (admin-0
countries) and naturalearth_cities.{shp,shx,dbf} (populated places):

    pip download --no-deps geopandas==0.14.4 -d /tmp/gpd
    unzip -o /tmp/gpd/geopandas-0.14.4-*.whl 'geopandas/datasets/*' -d /tmp/gpd
    mkdir -p SOURCE_DIR
    cp /tmp/gpd/geopandas/datasets/naturalearth_lowres/* \\
       /tmp/gpd/geopandas/datasets/naturalearth_cities/* SOURCE_DIR/
    python scripts/derive_geodata.py SOURCE_DIR

The originals are ne_110m_admin_0_countries and ne_110m_populated_places at
https://www.naturalearthdata.com/downloads/110m-cultural-vectors/ (their fields are
upper-case: ISO_A3, NAME)."""


def _missing_inputs(source: Path) -> list[str]:
    return [
        f"{name}.{ext}"
        for name in INPUTS
        for ext in ("shp", "shx", "dbf")
        if not (source / f"{name}.{ext}").is_file()
    ]


def _where_to_download(source: Path | None, missing: list[str]) -> str:
    if source is None:
        return f"derive_geodata.py: no SOURCE_DIR given.\n{DOWNLOAD}"
    return f"derive_geodata.py: {source} lacks {', '.join(missing)}.\n{DOWNLOAD}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("source", nargs="?", type=Path, default=None)
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    parser.add_argument(
        "--check", action="store_true", help="compare with the files in --out; exit 1 if different"
    )
    args = parser.parse_args(argv)
    source = args.source
    missing = _missing_inputs(source) if source is not None else []
    if source is None or missing:
        print(_where_to_download(source, missing), file=sys.stderr)
        return 2
    outputs = derive(source)
    if args.check:
        stale = [
            name
            for name, data in outputs.items()
            if not (args.out / name).is_file() or (args.out / name).read_bytes() != data
        ]
        for name in stale:
            print(f"{args.out / name}: differs from a fresh derivation", file=sys.stderr)
        return 1 if stale else 0
    args.out.mkdir(parents=True, exist_ok=True)
    for name, data in outputs.items():
        (args.out / name).write_bytes(data)
        print(f"wrote {args.out / name} ({len(data)} bytes)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
