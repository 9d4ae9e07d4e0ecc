"""Time the label kernels on the default scenario's labels, per resolution.

Each month the model fills the sources from a per-country table (``fill_by_label``) and
reads the fields with one ``zonal_sum`` over (country, basin) pairs, so at fine grids these
calls are a visible share of a month. For each resolution it builds (or reads from the
cache) the default geography, fills K random fields and prints the median and fastest
wall-clock time of a call: zonal sums over the country, basin and pair labels, and the fill
from the country table, with the number of Numba threads. Run under
``flock /work/coord/cpu.lock`` on a shared machine.

    .venv/bin/python scripts/bench_labels.py --resolution 0.5,0.25,0.05 --repeats 200
"""

from __future__ import annotations

import argparse
import functools
import statistics
import time
from collections.abc import Callable

import numba
import numpy as np

from multipolar.config.load import load_scenario
from multipolar.kernels.registry import Backend, get_backend
from multipolar.model import geography_for


def _zonal(backend: Backend, u: object, labels: object, n_labels: int) -> None:
    """One ``zonal_sum`` call, finished on the device."""
    backend.zonal_sum(u, labels, n_labels)
    backend.synchronize()


def _fill(backend: Backend, table: np.ndarray, labels: object, out: object) -> None:
    """One ``fill_by_label`` call, finished on the device."""
    backend.fill_by_label(table, labels, out)
    backend.synchronize()


def _time(call: Callable[[], None], repeats: int) -> tuple[float, float]:
    """Median and fastest seconds of ``repeats`` calls, after one warm-up call."""
    call()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        call()
        times.append(time.perf_counter() - start)
    return statistics.median(times), min(times)


def main(argv: list[str] | None = None) -> int:
    """Print one line per resolution and label raster; return 0."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--resolution", default="0.5,0.25", help="degrees, comma-separated")
    parser.add_argument("--backend", default="numba")
    parser.add_argument("--channels", type=int, default=6)
    parser.add_argument("--repeats", type=int, default=200)
    args = parser.parse_args(argv)
    backend = get_backend(args.backend)
    rng = np.random.default_rng(0)
    print(f"backend {args.backend}, {numba.get_num_threads()} Numba threads")
    print("degree  cells      call            n_labels  median ms  fastest ms")
    for text in args.resolution.split(","):
        scenario = load_scenario(None, [f"geography.resolution={text}"])
        geography = geography_for(scenario)
        shape = (args.channels, *geography.country.shape)
        u = backend.asarray(rng.random(shape, dtype=np.float32))
        n_basins = len(geography.basin_names)
        pairs = geography.country * n_basins + geography.basin
        n_countries = len(geography.country_codes)
        country = backend.asarray(geography.country.astype(np.int32))
        calls = [
            (f"zonal {name}", n, functools.partial(_zonal, backend, u, labels, n))
            for name, labels, n in (
                ("country", country, n_countries),
                ("basin", backend.asarray(geography.basin.astype(np.int32)), n_basins),
                ("pairs", backend.asarray(pairs.astype(np.int32)), n_countries * n_basins),
            )
        ]
        table = rng.random((args.channels, n_countries), dtype=np.float32)
        out = backend.asarray(np.zeros(shape, dtype=np.float32))
        calls.append(
            ("fill country", n_countries, functools.partial(_fill, backend, table, country, out))
        )
        for name, n_labels, call in calls:
            median, fastest = _time(call, args.repeats)
            print(
                f"{float(text):<7g} {geography.country.size:<10,} {name:<15} {n_labels:<9} "
                f"{median * 1e3:<10.3f} {fastest * 1e3:.3f}"
            )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
