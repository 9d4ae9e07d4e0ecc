"""Server-side cost of one step of the browser view: the model step plus every redraw.

``python -m multipolar.viz.latency [--backend B] [--steps N]`` times, per step, what the page
does after a click on Step: ``model.step()``, the map (drawn and encoded as PNG, as Solara
does), the ECharts option of the time series and the states table's data. The browser's own
work (transfer, decoding, ECharts drawing) is measured by the headless-browser test.
"""

from __future__ import annotations

import argparse
import io
import statistics
import time

import matplotlib

matplotlib.use("Agg")

from matplotlib.figure import Figure  # noqa: E402

from multipolar.viz import live  # noqa: E402
from multipolar.viz.echarts import series_option  # noqa: E402
from multipolar.viz.explorer import ExplorerModel  # noqa: E402
from multipolar.viz.maps import draw_leading_map  # noqa: E402
from multipolar.viz.style import rc_params  # noqa: E402

__all__ = ["measure"]


def _map_png(model: ExplorerModel) -> bytes:
    with matplotlib.rc_context(rc_params()):
        fig = Figure(figsize=(5.4, 3.5))
        fig.subplots_adjust(left=0.08, right=0.99, top=0.93, bottom=0.07)
        draw_leading_map(fig.add_subplot(), live.map_data(model), live.markers(model))
        buffer = io.BytesIO()
        fig.savefig(buffer, format="png", dpi=90)
    return buffer.getvalue()


def measure(backend: str = "numpy", steps: int = 10) -> dict[str, float]:
    """Median seconds per step of each part, after one warm-up step."""
    model = ExplorerModel(backend=backend)
    parts: dict[str, list[float]] = {"step": [], "map": [], "series": [], "states": []}
    for k in range(steps + 1):
        t0 = time.perf_counter()
        model.step()
        t1 = time.perf_counter()
        _map_png(model)
        t2 = time.perf_counter()
        series_option(live.model_frame(model), live.states_frame(model), model.powers)
        t3 = time.perf_counter()
        live.markers(model)
        t4 = time.perf_counter()
        if k:
            for name, seconds in zip(parts, (t1 - t0, t2 - t1, t3 - t2, t4 - t3), strict=True):
                parts[name].append(seconds)
    medians = {name: statistics.median(values) for name, values in parts.items()}
    medians["total"] = sum(medians.values())
    return medians


def main() -> None:
    """Print the medians for the command line's backend and step count."""
    parser = argparse.ArgumentParser(prog="python -m multipolar.viz.latency")
    parser.add_argument("--backend", default="numpy")
    parser.add_argument("--steps", type=int, default=10)
    args = parser.parse_args()
    result = measure(args.backend, args.steps)
    print(" ".join(f"{name} {seconds * 1000:.0f} ms" for name, seconds in result.items()))


if __name__ == "__main__":
    main()
