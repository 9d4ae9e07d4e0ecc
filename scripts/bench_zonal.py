"""Time ``zonal_sum`` on the default scenario's country and basin labels, per resolution.

The model calls ``zonal_sum`` twice a month (country and basin sums of the K channels), so
at the coarse default grids a slow call is a large share of a month. For each resolution
it builds (or reads from the cache) the default geography, fills K random fields and
prints the median and fastest wall-clock time of a call for each label raster, with the
number of Numba threads. Run under ``flock /work/coord/cpu.lock`` on a shared machine.

    .venv/bin/python scripts/bench_zonal.py --resolution 0.5,0.25,0.05 --repeats 200
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


def _call(backend: Backend, u: object, labels: object, n_labels: int) -> None:
    """One ``zonal_sum`` call, finished on the device."""
    backend.zonal_sum(u, labels, n_labels)
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
    print("degree  cells      labels   n_labels  median ms  fastest ms")
    for text in args.resolution.split(","):
        scenario = load_scenario(None, [f"geography.resolution={text}"])
        geography = geography_for(scenario)
        shape = (args.channels, *geography.country.shape)
        u = backend.asarray(rng.random(shape, dtype=np.float32))
        for name, labels, n_labels in (
            ("country", geography.country, len(geography.country_codes)),
            ("basin", geography.basin, len(geography.basin_names)),
        ):
            call = functools.partial(
                _call, backend, u, backend.asarray(labels.astype(np.int32)), n_labels
            )
            median, fastest = _time(call, args.repeats)
            print(
                f"{float(text):<7g} {labels.size:<10,} {name:<8} {n_labels:<9} "
                f"{median * 1e3:<10.3f} {fastest * 1e3:.3f}"
            )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
