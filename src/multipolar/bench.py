"""Benchmark the diffusion backends (``python -m multipolar.bench`` or ``multipolar bench``).

For each backend, variant (one pass per step, or temporal blocking) and grid size it prints
the time per step, cell updates per second, the effective bandwidth under an explicit byte
model, that bandwidth as a fraction of a memory copy of the same byte count measured in the
same run on the same device, and the speed-up over the NumPy reference.

Byte model (:data:`BYTE_MODELS`): for the explicit scheme, the compulsory traffic of one
pass per step (temporal blocking moves less than that, so its "effective" bandwidth can
exceed the copy's; the ratio is then how far it beats the one-pass roofline); for the
implicit scheme, the traffic of the Numba kernel's passes (down each field solving the rows
and eliminating down the columns, back up, and once per call the sources' total and the
final rescaling).

``--scheme implicit`` (or ``both``) times the implicit scheme; ``--out`` passes every call
a preallocated output buffer (ping-pong, as ``InfluenceField`` does); ``--resolution``
times whole simulated months on the default region at the given resolutions, each scheme
at its own substeps per month, with the log-log slope of time against cells.

Imports neither Mesa nor Polars: it runs where only NumPy, Numba and CuPy are installed.
"""

from __future__ import annotations

import argparse
import json
import math
import platform
import resource
import statistics
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from multipolar._table import format_table
from multipolar.kernels import _deps, available_backends, max_stable_dt, registered_backends
from multipolar.kernels.memory import aligned_array, aligned_empty, aligned_zeros
from multipolar.kernels.registry import Backend, get_backend

__all__ = ["BYTE_MODEL", "BYTE_MODELS", "add_arguments", "main", "run"]

BYTE_MODEL = (
    "bytes/step = H*W*(12*B*K + 4): per cell and step each of the B*K fields reads u (4 B) "
    "and s (4 B) and writes u' (4 B); the conductance c is read once (4 B)"
)
BYTE_MODEL_IMPLICIT = (
    "bytes/step = H*W*(24*B*K + 4) + H*W*12*B*K/steps: per cell and step each of the B*K "
    "fields is read as u and s and written as v on the way down (the row solves and the "
    "columns' elimination in one pass, 12 B), and read as v and u and written on the way "
    "up (12 B); c is counted once (4 B); once per call, the sources read again for their "
    "total (4 B, on the first step's way up) and the final rescaling (8 B). Not counted: "
    "the elimination factors (8 B per cell for each distinct set of coefficients) and "
    "repeated reads of c"
)
BYTE_MODELS = {"explicit": BYTE_MODEL, "implicit": BYTE_MODEL_IMPLICIT}
_BYTES_PER_FIELD_CELL = {"explicit": 12, "implicit": 24}
_BYTES_PER_FIELD_CELL_PER_CALL = {"explicit": 0, "implicit": 12}
_BYTES_PER_CELL = {"explicit": 4, "implicit": 4}
REGION = (60.0, 30.0)
"""Degrees of longitude and latitude of the default region, for ``--resolution``."""
DIFFUSIVITY = 0.5
"""The default scenario's diffusivity, degrees² per month, for ``--resolution``."""
DECAYS = (0.2, 0.1)
"""The default scenario's decay rates (security, economy) per month, for ``--resolution``."""
ACCURACY = 0.05
"""The default ``diffusion.accuracy``: implicit substeps ``ceil(max decay / accuracy)``."""
SAFETY = 0.9
"""The default ``diffusion.safety`` of the explicit substeps."""
DEFAULT_SIZES = (256, 1024, 2048)
_UPDATES_PER_RUN = 4e8
_NUMPY_UPDATES_PER_RUN = 3e7
_STEP_MULTIPLE = 16


@dataclass(frozen=True)
class Result:
    """One timed configuration."""

    backend: str
    variant: str
    scheme: str
    with_out: bool
    size: int
    batch: int
    channels: int
    steps: int
    seconds_per_step: float
    updates_per_second: float
    gb_per_second: float
    copy_gb_per_second: float
    fraction_of_copy: float
    host_copyto_gb_per_second: float | None
    numpy_seconds_per_step: float | None
    numpy_steps: int | None
    speedup_over_numpy: float | None


@dataclass(frozen=True)
class EnsembleResult:
    """A batch of B members in one call against B calls of one member."""

    backend: str
    variant: str
    size: int
    batch: int
    channels: int
    steps: int
    batched_seconds: float
    sequential_seconds: float
    speedup: float


def _sizes(values: list[str] | None) -> list[int]:
    if not values:
        return list(DEFAULT_SIZES)
    sizes = [int(v) for value in values for v in value.split(",") if v.strip()]
    if any(n < 1 for n in sizes):
        raise argparse.ArgumentTypeError(f"sizes must be positive, got {sizes}")
    return sizes


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Declare the benchmark's options on ``parser`` (for ``multipolar bench``)."""
    parser.add_argument(
        "--size",
        action="append",
        metavar="N[,N...]",
        help=f"grid side N (N x N cells); repeatable or comma-separated (default {DEFAULT_SIZES})",
    )
    parser.add_argument("--channels", type=int, default=6, help="channels K (default 6)")
    parser.add_argument("--batch", type=int, default=1, help="ensemble members B (default 1)")
    parser.add_argument(
        "--backend",
        action="append",
        choices=registered_backends(),
        help="backend to time; repeatable (default: every available one)",
    )
    parser.add_argument(
        "--steps",
        type=int,
        default=None,
        help=f"steps per timed call (default: about {_UPDATES_PER_RUN:.0e} cell updates, "
        f"a multiple of {_STEP_MULTIPLE}, at most 256)",
    )
    parser.add_argument(
        "--numpy-steps",
        type=int,
        default=None,
        help="steps per timed call of the NumPy reference (default: fewer at large sizes)",
    )
    parser.add_argument(
        "--repeats", type=int, default=5, help="timed calls per config; the median is kept"
    )
    parser.add_argument(
        "--blocked",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="only temporal blocking (--blocked) or only one pass per step (--no-blocked); "
        "default: both, to compare",
    )
    parser.add_argument(
        "--sequential",
        action="store_true",
        help="with --batch B > 1, also time B sequential single-member runs",
    )
    parser.add_argument(
        "--scheme",
        choices=("explicit", "implicit", "both"),
        default="explicit",
        help="time-stepping scheme to time (default explicit)",
    )
    parser.add_argument(
        "--out",
        action="store_true",
        help="pass every call a preallocated output buffer (two, used in turn)",
    )
    parser.add_argument(
        "--resolution",
        action="append",
        metavar="R[,R...]",
        help="time whole months on the default region at these resolutions (degrees) "
        "instead of N x N grids; repeatable or comma-separated",
    )
    parser.add_argument(
        "--months",
        type=int,
        default=1,
        help="with --resolution: simulated months per timed call (default 1)",
    )
    parser.add_argument(
        "--max-steps",
        type=int,
        default=64,
        help="with --resolution: time at most this many steps and scale to the month "
        "(default 64; the explicit scheme takes thousands at fine resolution)",
    )
    parser.add_argument("--seed", type=int, default=0, help="seed of the random inputs")
    parser.add_argument(
        "--coefficients",
        choices=("shared", "random"),
        default="shared",
        help="with --size: the model's structure, a D and a decay per domain with the "
        "channels alternating (security, economy) (default), or a random D and decay per "
        "channel, a case no scenario produces, whose factors the implicit sweeps cannot share",
    )
    parser.add_argument("--json", metavar="FILE", help="also write the results as JSON")


def _progress(message: str) -> None:
    print(f"[bench] {message}", file=sys.stderr, flush=True)


def _variants(
    name: str, blocked: bool | None, scheme: str = "explicit"
) -> dict[str, Callable[[], Backend]]:
    """Backend factories for the variants to time: one pass per step and/or blocking.

    The implicit scheme has one variant per backend.
    """
    if scheme == "implicit":
        return {"implicit": lambda: get_backend(name)}
    if name == "numba":
        from multipolar.kernels.numba_cpu import NumbaBackend

        both = {
            "one-pass": lambda: NumbaBackend(blocking=False),
            "blocked": lambda: NumbaBackend(blocking=True),
        }
    elif name == "cupy":
        from multipolar.kernels.cupy_gpu import CupyBackend

        both = {"one-pass": lambda: CupyBackend(time_block=1), "blocked": lambda: CupyBackend()}
    else:
        return {"one-pass": lambda: get_backend(name)}
    if blocked is None:
        return both
    return {k: v for k, v in both.items() if (k == "blocked") == blocked}


def _stopwatch(backend: Backend) -> Callable[[Callable[[], Any]], float]:
    """Seconds taken by a call: CUDA events on the GPU, the wall clock on the host."""
    if backend.xp is np:

        def host(fn: Callable[[], Any]) -> float:
            start = time.perf_counter()
            fn()
            backend.synchronize()
            return time.perf_counter() - start

        return host
    cuda = backend.xp.cuda

    def device(fn: Callable[[], Any]) -> float:
        start, stop = cuda.Event(), cuda.Event()
        start.record()
        fn()
        stop.record()
        stop.synchronize()
        return cuda.get_elapsed_time(start, stop) / 1e3

    return device


def _copy_timers(
    backend: Backend, n_bytes: int, passes: int
) -> Iterator[tuple[str, Callable[[], None]]]:
    """Copies moving ``n_bytes`` (half read, half written) ``passes`` times: the yardsticks."""
    n = max(1, n_bytes // 8)
    xp = backend.xp
    if xp is np:
        src, dst = aligned_empty((n,)), aligned_zeros((n,))
        src.fill(1)
        if _deps.numba_module() is not None:
            from multipolar.kernels._numba_kernels import parallel_copy

            yield "parallel", lambda: parallel_copy(dst, src, passes)

        def copyto() -> None:
            for _ in range(passes):
                np.copyto(dst, src)

        yield "copyto", copyto
    else:
        src, dst = xp.ones(n, dtype=xp.float32), xp.zeros(n, dtype=xp.float32)

        def memcpy() -> None:
            for _ in range(passes):
                dst.data.copy_from_device_async(src.data, src.nbytes)

        yield "parallel", memcpy


def _inputs(
    size: int, channels: int, batch: int, seed: int, coefficients: str = "shared"
) -> dict[str, Any]:
    """Random fields, sources and conductance on an N x N grid, with ``coefficients``.

    The arrays start on cache lines, as the model's are (:mod:`multipolar.kernels.memory`).

    ``"random"`` draws D and the decay per channel; ``"shared"`` gives the channels the first
    two of each in turn, as the model's channels are (``ChannelPlan``: a diffusivity and a
    decay per domain, power-major), so that kernels may share their factors.
    """
    rng = np.random.default_rng(seed)
    shape = (channels, size, size) if batch == 1 else (batch, channels, size, size)
    c = rng.uniform(0.05, 1.0, (size, size)).astype(np.float32)
    D = rng.uniform(0.05, 0.25, channels).astype(np.float32)
    lam = rng.uniform(0.0, 0.02, channels).astype(np.float32)
    if coefficients == "shared":
        D = np.resize(D[:2], channels)
        lam = np.resize(lam[:2], channels)
    dt = 0.9 * min(max_stable_dt(d, k) for d, k in zip(D, lam, strict=True))
    return {
        "u": aligned_array(rng.random(shape, dtype=np.float32)),
        "s": aligned_array(rng.random(shape, dtype=np.float32) * np.float32(0.01)),
        "c": aligned_array(c),
        "D": D,
        "lam": lam,
        "dt": dt,
    }


def _steps_for(name: str, updates_per_step: int, args: argparse.Namespace) -> int:
    """Steps per timed call: about a fixed amount of work, fewer for the NumPy reference."""
    if name == "numpy" and args.numpy_steps is not None:
        return args.numpy_steps
    if name == "numpy":
        return int(max(1, min(256, round(_NUMPY_UPDATES_PER_RUN / updates_per_step))))
    if args.steps is not None:
        return args.steps
    steps = _UPDATES_PER_RUN / updates_per_step
    return int(min(256, max(_STEP_MULTIPLE, _STEP_MULTIPLE * round(steps / _STEP_MULTIPLE))))


def _median_time(
    backend: Backend, call: Callable[[], Any], repeats: int, extra: dict[str, Callable[[], None]]
) -> tuple[float, dict[str, float]]:
    """Median seconds of ``call`` over ``repeats``; each ``extra`` call timed in between."""
    watch = _stopwatch(backend)
    call()
    for fn in extra.values():
        fn()
    backend.synchronize()
    times: list[float] = []
    extra_times: dict[str, list[float]] = {name: [] for name in extra}
    for _ in range(repeats):
        times.append(watch(call))
        for name, fn in extra.items():
            extra_times[name].append(watch(fn))
    return statistics.median(times), {k: statistics.median(v) for k, v in extra_times.items()}


def _time_numpy(data: dict[str, Any], steps: int, repeats: int, scheme: str) -> float:
    ref = get_backend("numpy")
    args = (data["u"], data["c"], data["s"], data["D"], data["lam"], data["dt"], steps)
    seconds, _ = _median_time(ref, lambda: ref.diffuse(*args, scheme=scheme), repeats, {})
    return seconds / steps


def _machine(backends: list[str]) -> dict[str, str]:
    info = {"cpu": _cpu_model(), "python": platform.python_version(), "numpy": np.__version__}
    numba = _deps.numba_module()
    if numba is not None:
        info["numba"] = f"{numba.__version__} ({numba.get_num_threads()} threads)"
    if "cupy" in backends:
        cp = _deps.cupy_module()
        props = cp.cuda.runtime.getDeviceProperties(cp.cuda.Device().id)
        name = props["name"]
        info["gpu"] = name.decode() if isinstance(name, bytes) else str(name)
        info["cupy"] = cp.__version__
    return info


def _cpu_model() -> str:
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _bench_config(
    name: str,
    variant: str,
    backend: Backend,
    data: dict[str, Any],
    args: argparse.Namespace,
    size: int,
    numpy_cache: dict[tuple[int, str], tuple[float, int]],
    scheme: str,
) -> Result:
    batch, channels = args.batch, args.channels
    updates = size * size * batch * channels
    steps = _steps_for(name, updates, args)
    per_field_cell = _BYTES_PER_FIELD_CELL[scheme] + _BYTES_PER_FIELD_CELL_PER_CALL[scheme] / steps
    n_bytes = round(size * size * (per_field_cell * batch * channels + _BYTES_PER_CELL[scheme]))
    numpy_steps = _steps_for("numpy", updates, args)
    repeats = min(3, args.repeats) if name == "numpy" else args.repeats
    u, c, s = (backend.asarray(data[k]) for k in ("u", "c", "s"))
    rest = (data["D"], data["lam"], data["dt"], steps)
    outs = [backend.asarray(aligned_zeros(data["u"].shape)) for _ in range(2)] if args.out else []

    def call() -> Any:
        if not outs:
            return backend.diffuse(u, c, s, *rest, scheme=scheme)
        outs.reverse()
        return backend.diffuse(u, c, s, *rest, scheme=scheme, out=outs[0])

    copies = dict(_copy_timers(backend, n_bytes, steps))
    _progress(
        f"{name}/{variant} {scheme} {size}x{size} B={batch} K={channels}: {steps} steps x {repeats}"
    )
    seconds, copy_seconds = _median_time(backend, call, repeats, copies)
    per_step = seconds / steps
    key = (size, scheme)
    if name == "numpy":
        numpy_cache[key] = (per_step, steps)
    elif key not in numpy_cache:
        _progress(f"numpy reference {size}x{size}: {numpy_steps} steps x {min(3, repeats)}")
        numpy_cache[key] = (_time_numpy(data, numpy_steps, min(3, repeats), scheme), numpy_steps)
    numpy_per_step, numpy_steps = numpy_cache[key]
    gbps = n_bytes / per_step / 1e9
    copy_gbps = n_bytes * steps / copy_seconds["parallel"] / 1e9
    host_copy = copy_seconds.get("copyto")
    return Result(
        backend=name,
        variant=variant,
        scheme=scheme,
        with_out=bool(outs),
        size=size,
        batch=batch,
        channels=channels,
        steps=steps,
        seconds_per_step=per_step,
        updates_per_second=updates / per_step,
        gb_per_second=gbps,
        copy_gb_per_second=copy_gbps,
        fraction_of_copy=gbps / copy_gbps,
        host_copyto_gb_per_second=None if host_copy is None else n_bytes * steps / host_copy / 1e9,
        numpy_seconds_per_step=numpy_per_step,
        numpy_steps=numpy_steps,
        speedup_over_numpy=numpy_per_step / per_step,
    )


def _bench_ensemble(
    name: str,
    variant: str,
    backend: Backend,
    data: dict[str, Any],
    args: argparse.Namespace,
    size: int,
) -> EnsembleResult:
    batch = args.batch
    steps = _steps_for(name, size * size * batch * args.channels, args)
    c, s_all, u_all = (backend.asarray(data[k]) for k in ("c", "s", "u"))
    members = [(u_all[b], s_all[b]) for b in range(batch)]
    rest = (data["D"], data["lam"], data["dt"], steps)

    def sequential() -> None:
        for u, s in members:
            backend.diffuse(u, c, s, *rest)

    _progress(f"{name}/{variant} {size}x{size}: B={batch} batched vs {batch} sequential runs")
    batched, _ = _median_time(
        backend, lambda: backend.diffuse(u_all, c, s_all, *rest), args.repeats, {}
    )
    one_by_one, _ = _median_time(backend, sequential, args.repeats, {})
    return EnsembleResult(
        backend=name,
        variant=variant,
        size=size,
        batch=batch,
        channels=args.channels,
        steps=steps,
        batched_seconds=batched,
        sequential_seconds=one_by_one,
        speedup=one_by_one / batched,
    )


def _report(results: list[Result], ensembles: list[EnsembleResult], machine: dict[str, str]) -> str:
    schemes = sorted({r.scheme for r in results})
    lines = [
        "machine: " + "; ".join(f"{k} {v}" for k, v in machine.items()),
        *(f"byte model ({scheme}): {BYTE_MODELS[scheme]}" for scheme in schemes),
        "copy: a parallel copy of the same byte count on the same device, timed in the same run "
        "(CPU: Numba prange; GPU: device-to-device memcpy with CUDA events); "
        "copyto: np.copyto (one thread), for reference",
        "times: median of the repeats after a warm-up call; "
        "numpy may use fewer steps (column np steps); out: calls write into preallocated buffers",
        "",
    ]
    headers = [
        "backend",
        "variant",
        "scheme",
        "out",
        "grid",
        "BxK",
        "steps",
        "ms/step",
        "Gupd/s",
        "GB/s",
        "copy GB/s",
        "of copy",
        "copyto GB/s",
        "np steps",
        "x numpy",
    ]
    rows = [
        [
            r.backend,
            r.variant,
            r.scheme,
            "yes" if r.with_out else "no",
            f"{r.size}x{r.size}",
            f"{r.batch}x{r.channels}",
            r.steps,
            f"{r.seconds_per_step * 1e3:.3f}",
            f"{r.updates_per_second / 1e9:.2f}",
            f"{r.gb_per_second:.1f}",
            f"{r.copy_gb_per_second:.1f}",
            f"{r.fraction_of_copy:.0%}",
            "-" if r.host_copyto_gb_per_second is None else f"{r.host_copyto_gb_per_second:.1f}",
            r.numpy_steps,
            f"{r.speedup_over_numpy:.1f}x",
        ]
        for r in results
    ]
    lines.append(format_table(headers, rows))
    if ensembles:
        lines += ["", "ensemble: B members in one call against B calls of one member (same steps)"]
        headers = [
            "backend",
            "variant",
            "grid",
            "BxK",
            "steps",
            "batched ms",
            "sequential ms",
            "speed-up",
        ]
        rows = [
            [
                e.backend,
                e.variant,
                f"{e.size}x{e.size}",
                f"{e.batch}x{e.channels}",
                e.steps,
                f"{e.batched_seconds * 1e3:.2f}",
                f"{e.sequential_seconds * 1e3:.2f}",
                f"{e.speedup:.1f}x",
            ]
            for e in ensembles
        ]
        lines.append(format_table(headers, rows))
    return "\n".join(lines)


@dataclass(frozen=True)
class MonthResult:
    """Whole simulated months on the default region at one resolution."""

    backend: str
    scheme: str
    resolution: float
    height: int
    width: int
    channels: int
    substeps: int
    steps_timed: int
    seconds_per_month: float
    updates_per_second: float
    max_rss_mb: float


def _month_inputs(resolution: float, channels: int, seed: int) -> dict[str, Any]:
    """Fields on the default region at ``resolution`` with the default diffusion parameters."""
    height, width = round(REGION[1] / resolution), round(REGION[0] / resolution)
    rng = np.random.default_rng(seed)
    shape = (channels, height, width)
    lam = np.resize(np.array(DECAYS, np.float32), channels)
    return {
        "u": aligned_array(rng.random(shape, dtype=np.float32)),
        "s": aligned_array(rng.random(shape, dtype=np.float32) * np.float32(0.01)),
        "c": aligned_array(rng.uniform(0.05, 1.0, (height, width))),
        "D": np.full(channels, DIFFUSIVITY / resolution**2, np.float32),
        "lam": lam,
    }


def _month_substeps(scheme: str, D: np.ndarray, lam: np.ndarray) -> int:
    """Substeps per month as ``substeps = "auto"`` picks them (``config.checks.substeps_for``)."""
    smallest = min(max_stable_dt(d, k) for d, k in zip(D, lam, strict=True))
    explicit = max(1, math.ceil(1.0 / (smallest * SAFETY)))
    if scheme == "explicit":
        return explicit
    return min(explicit, max(1, math.ceil(round(float(lam.max()) / ACCURACY, 6))))


def _bench_month(
    name: str, scheme: str, resolution: float, args: argparse.Namespace
) -> MonthResult:
    data = _month_inputs(resolution, args.channels, args.seed)
    backend = get_backend(name)
    substeps = _month_substeps(scheme, data["D"], data["lam"])
    steps = min(substeps * args.months, args.max_steps)
    u, c, s = (backend.asarray(data[k]) for k in ("u", "c", "s"))
    outs = [backend.asarray(aligned_zeros(data["u"].shape)) for _ in range(2)]
    rest = (data["D"], data["lam"], 1.0 / substeps)

    def call(n: int) -> Any:
        outs.reverse()
        return backend.diffuse(u, c, s, *rest, n, scheme=scheme, out=outs[0])

    _progress(
        f"{name} {scheme} {resolution:g} degree {u.shape}: {substeps} substeps a month, "
        f"timing {steps} steps x {args.repeats}"
    )
    seconds, _ = _median_time(backend, lambda: call(steps), args.repeats, {})
    per_month = seconds / steps * substeps
    cells = u.shape[-1] * u.shape[-2]
    return MonthResult(
        backend=name,
        scheme=scheme,
        resolution=resolution,
        height=u.shape[-2],
        width=u.shape[-1],
        channels=args.channels,
        substeps=substeps,
        steps_timed=steps,
        seconds_per_month=per_month,
        updates_per_second=cells * args.channels * steps / seconds,
        max_rss_mb=resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    )


def _slopes(months: list[MonthResult]) -> list[str]:
    """Least-squares slope of log(time per month) against log(cells), per backend and scheme."""
    lines = []
    for key in sorted({(m.backend, m.scheme) for m in months}):
        points = sorted((m.height * m.width, m.seconds_per_month) for m in months
                        if (m.backend, m.scheme) == key)  # fmt: skip
        if len(points) > 1:
            x, y = np.log([p[0] for p in points]), np.log([p[1] for p in points])
            slope = float(np.polyfit(x, y, 1)[0])
            lines.append(f"log-log slope of time per month against cells, {key[0]} {key[1]}: "
                         f"{slope:.2f} over {len(points)} resolutions")  # fmt: skip
    return lines


def _report_months(months: list[MonthResult], machine: dict[str, str]) -> str:
    lines = [
        "machine: " + "; ".join(f"{k} {v}" for k, v in machine.items()),
        f"default region {REGION[0]:g} x {REGION[1]:g} degrees, D = {DIFFUSIVITY} degree^2/month,"
        f" decays {DECAYS}; substeps: explicit for stability (safety {SAFETY}), implicit for "
        f"accuracy {ACCURACY}; times: median of the repeats of --max-steps steps at most, "
        "scaled to a month; max RSS: of the process so far",
        "",
    ]
    headers = ["backend", "scheme", "degree", "grid", "cells", "substeps", "steps timed",
               "s/month", "Gupd/s", "max RSS MB"]  # fmt: skip
    rows = [
        [
            m.backend,
            m.scheme,
            f"{m.resolution:g}",
            f"{m.width}x{m.height}x{m.channels}",
            m.height * m.width,
            m.substeps,
            m.steps_timed,
            f"{m.seconds_per_month:.3g}",
            f"{m.updates_per_second / 1e9:.2f}",
            f"{m.max_rss_mb:.0f}",
        ]
        for m in months
    ]
    return "\n".join([*lines, format_table(headers, rows), "", *_slopes(months)])


def _schemes(args: argparse.Namespace) -> list[str]:
    return ["explicit", "implicit"] if args.scheme == "both" else [args.scheme]


def _run_months(args: argparse.Namespace, names: list[str]) -> int:
    try:
        resolutions = [float(v) for value in args.resolution for v in value.split(",") if v]
    except ValueError as exc:
        print(f"bench: --resolution: {exc}", file=sys.stderr)
        return 2
    if any(not r > 0 for r in resolutions) or args.months < 1 or args.max_steps < 1:
        print("bench: --resolution, --months and --max-steps must be positive", file=sys.stderr)
        return 2
    months = [
        _bench_month(name, scheme, resolution, args)
        for resolution in resolutions
        for name in names
        for scheme in _schemes(args)
    ]
    machine = _machine(names)
    print(_report_months(months, machine))
    if args.json:
        payload = {"machine": machine, "months": [asdict(m) for m in months]}
        with open(args.json, "w", encoding="utf-8") as f:
            json.dump(payload, f, indent=2)
        _progress(f"wrote {args.json}")
    return 0


def run(args: argparse.Namespace) -> int:
    """Run the benchmark described by ``args`` (see :func:`add_arguments`); exit code."""
    try:
        sizes = _sizes(args.size)
    except (ValueError, argparse.ArgumentTypeError) as exc:
        print(f"bench: --size: {exc}", file=sys.stderr)
        return 2
    names = args.backend or available_backends()
    missing = [n for n in names if n not in available_backends()]
    if missing:
        print(
            f"bench: backend {', '.join(missing)} not available here; "
            f"available: {', '.join(available_backends())}",
            file=sys.stderr,
        )
        return 2
    if (
        args.channels < 1
        or args.batch < 1
        or args.repeats < 1
        or (args.steps is not None and args.steps < 1)
    ):
        print("bench: --channels, --batch, --repeats and --steps must be positive", file=sys.stderr)
        return 2
    if args.resolution:
        return _run_months(args, names)
    results: list[Result] = []
    ensembles: list[EnsembleResult] = []
    numpy_cache: dict[tuple[int, str], tuple[float, int]] = {}
    for size in sizes:
        data = _inputs(size, args.channels, args.batch, args.seed, args.coefficients)
        for name in names:
            for scheme in _schemes(args):
                for variant, factory in _variants(name, args.blocked, scheme).items():
                    backend = factory()
                    results.append(
                        _bench_config(name, variant, backend, data, args, size, numpy_cache, scheme)
                    )
                    if args.sequential and args.batch > 1 and scheme == "explicit":
                        ensembles.append(_bench_ensemble(name, variant, backend, data, args, size))
    machine = _machine(names)
    machine["coefficients"] = args.coefficients
    print(_report(results, ensembles, machine))
    if args.json:
        payload = {
            "byte_model": BYTE_MODEL,
            "byte_models": BYTE_MODELS,
            "machine": machine,
            "results": [asdict(r) for r in results],
            "ensembles": [asdict(e) for e in ensembles],
        }
        with open(args.json, "w", encoding="utf-8") as f:
            json.dump(payload, f, indent=2)
        _progress(f"wrote {args.json}")
    return 0


def main(argv: list[str] | None = None) -> int:
    """Entry point of ``python -m multipolar.bench``."""
    parser = argparse.ArgumentParser(
        prog="python -m multipolar.bench", description=__doc__.split("\n")[0]
    )
    add_arguments(parser)
    return run(parser.parse_args(argv))


if __name__ == "__main__":
    raise SystemExit(main())
