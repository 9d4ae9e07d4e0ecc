"""The CuPy backend's CUDA kernels, run on the CPU, against the NumPy reference.

``CupyBackend`` runs unchanged on a NumPy stand-in for ``cupy``: its ``RawModule`` compiles
the very source text the backend hands to NVRTC (``kernels/*.cu`` with the backend's
options) with g++ and the CUDA emulation in ``cuda_emu/cuda_emu.h`` (an OS thread per CUDA
thread, real block barriers, warp shuffles through per-warp slots, real atomics). The one
rewrite is dynamic shared memory (``extern __shared__ T name[];``), which C++ cannot
declare, into a pointer to the emulator's buffer. Launches use the backend's grids and
blocks, so tiling, halos, ensemble members and both zonal-sum variants are exercised.
"""

from __future__ import annotations

import ctypes
import hashlib
import re
import shutil
import subprocess
import types
from pathlib import Path

import numpy as np
import pytest

from multipolar.kernels import _deps
from multipolar.kernels._cuda_source import compile_options, cuda_source
from multipolar.kernels.cupy_gpu import CupyBackend
from multipolar.kernels.numpy_ref import NumpyBackend

GXX = shutil.which("g++")
pytestmark = pytest.mark.skipif(GXX is None, reason="g++ not found")

EMU_DIR = Path(__file__).parent / "cuda_emu"
REFERENCE = NumpyBackend()
_DYNAMIC_SHARED = re.compile(r"extern\s+__shared__\s+(\w+)\s+(\w+)\s*\[\s*\]\s*;")
_KERNEL = re.compile(r'extern\s+"C"\s+__global__\s+void\s+(\w+)\s*\(')


def _translation_unit(code: str) -> str:
    """C++ for one CUDA module: the emulator, the source, a launcher per kernel."""
    body = _DYNAMIC_SHARED.sub(r"\1* \2 = reinterpret_cast<\1*>(emu_dynamic_shared);", code)
    exports = "".join(f"EMU_EXPORT({name})\n" for name in _KERNEL.findall(code))
    return f'#include "cuda_emu.h"\n{body}\n{exports}'


def _compile(code: str, options: tuple[str, ...], build_dir: Path) -> subprocess.Popen[str]:
    """Start g++ on one module; the library lands at ``_library_path(code, options, build_dir)``."""
    source = _library_path(code, options, build_dir).with_suffix(".cpp")
    source.write_text(_translation_unit(code), encoding="utf-8")
    macros = [option for option in options if option.startswith("-D")]
    command = [GXX, "-std=c++20", "-O2", "-ffp-contract=off", "-fPIC", "-shared", "-pthread"]
    command += [f"-I{EMU_DIR}", *macros, "-o", str(source.with_suffix(".so")), str(source)]
    return subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def _library_path(code: str, options: tuple[str, ...], build_dir: Path) -> Path:
    key = hashlib.sha256("\0".join((code, *options)).encode()).hexdigest()[:16]
    return build_dir / f"module_{key}.so"


def _wait(process: subprocess.Popen[str]) -> None:
    output, _ = process.communicate(timeout=300)
    assert process.returncode == 0, output


class _Kernel:
    """A kernel of an emulated module, called as CuPy calls a ``RawKernel``."""

    def __init__(self, library: ctypes.CDLL, name: str) -> None:
        self.name = name
        self._launch = getattr(library, f"emu_launch_{name}")
        self._launch.restype = ctypes.c_int

    def __call__(self, grid, block, args, shared_mem=0) -> None:
        values = [_ctypes_value(a) for a in args]
        params = (ctypes.c_void_p * len(values))(
            *(ctypes.cast(ctypes.pointer(v), ctypes.c_void_p) for v in values)
        )
        dims = [tuple(int(n) for n in d) + (1,) * (3 - len(d)) for d in (grid, block)]
        status = self._launch(
            (ctypes.c_uint * 3)(*dims[0]), (ctypes.c_uint * 3)(*dims[1]), shared_mem, params
        )
        if status == 2:
            raise RuntimeError(f"{self.name}: the OS refused a thread for the emulated block")
        if status != 0:
            raise RuntimeError(f"{self.name}: invalid launch grid={grid} block={block}")


def _ctypes_value(arg: object) -> ctypes._SimpleCData:
    """A kernel argument as CuPy passes it: arrays by (device) pointer, NumPy scalars by value."""
    if isinstance(arg, np.ndarray):
        assert arg.flags.c_contiguous, "kernels index arrays as C-contiguous"
        return ctypes.c_void_p(arg.ctypes.data)
    kinds = {np.float32: ctypes.c_float, np.int32: ctypes.c_int, np.int64: ctypes.c_longlong}
    for kind, c_type in kinds.items():
        if isinstance(arg, kind):
            return c_type(arg.item())
    raise TypeError(f"kernel argument of type {type(arg).__name__}")


def _emulated_cupy(build_dir: Path) -> types.SimpleNamespace:
    """The part of ``cupy`` that ``CupyBackend`` uses, on NumPy arrays and emulated kernels."""

    class RawModule:
        def __init__(self, *, code: str, options: tuple[str, ...] = ()) -> None:
            # g++ gets the -D macros; -ffp-contract=off stands for NVRTC's --fmad=false.
            assert "--fmad=false" in options, options
            path = _library_path(code, options, build_dir)
            if not path.exists():
                _wait(_compile(code, options, build_dir))
            self._library = ctypes.CDLL(str(path))

        def get_function(self, name: str) -> _Kernel:
            return _Kernel(self._library, name)

    device = types.SimpleNamespace(compute_capability="90", attributes={"MultiProcessorCount": 2})
    stream = types.SimpleNamespace(synchronize=lambda: None)
    cuda = types.SimpleNamespace(
        Device=lambda: device,
        get_current_stream=lambda: stream,
        runtime=types.SimpleNamespace(getDeviceCount=lambda: 1),
    )
    return types.SimpleNamespace(
        RawModule=RawModule,
        cuda=cuda,
        asarray=np.asarray,
        ascontiguousarray=np.ascontiguousarray,
        empty=np.empty,
        empty_like=np.empty_like,
        zeros=np.zeros,
        may_share_memory=np.may_share_memory,
        take=np.take,
        asnumpy=np.array,
        float32=np.float32,
        float64=np.float64,
        int32=np.int32,
    )


@pytest.fixture(scope="module")
def emulated_cupy(tmp_path_factory: pytest.TempPathFactory) -> types.SimpleNamespace:
    """The stand-in, with the backend's two modules compiled in parallel up front."""
    build_dir = tmp_path_factory.mktemp("cuda_emu")
    options = compile_options("90")
    for process in [
        _compile(cuda_source(n), options, build_dir)
        for n in ("diffusion.cu", "zonal.cu", "implicit.cu")
    ]:
        _wait(process)
    return _emulated_cupy(build_dir)


@pytest.fixture
def emulated_backend(emulated_cupy, monkeypatch):
    """``CupyBackend(time_block)`` built on the emulated ``cupy``."""
    monkeypatch.setattr(_deps, "cupy_module", lambda: emulated_cupy)
    monkeypatch.setattr(_deps, "cuda_device_count", lambda: 1)
    return CupyBackend


DIFFUSE_CASES = [
    # (H, W, K, B, steps)
    (37, 45, 1, None, 9),
    (37, 45, 6, None, 9),
    (37, 45, 1, 3, 9),
    (33, 70, 6, 3, 10),
    (1, 70, 2, None, 9),
    (45, 1, 2, 2, 9),
    (3, 5, 1, None, 5),
]


@pytest.mark.parametrize("time_block", [1, 4, 8])
@pytest.mark.parametrize(("height", "width", "k", "b", "steps"), DIFFUSE_CASES)
def test_diffuse_equals_reference(
    emulated_backend, make_problem, time_block, height, width, k, b, steps
):
    # --fmad=false and the reference's operation order: equal to NumPy, not just close.
    p = make_problem(height, width, k, b)
    backend = emulated_backend(time_block=time_block)
    got = p.run(backend, steps)
    want = REFERENCE.diffuse(p.u, p.c, p.s, p.D, p.lam, p.dt, steps)
    assert got.dtype == np.float32 and got.shape == want.shape
    np.testing.assert_array_equal(got, want)


@pytest.mark.parametrize(("height", "width", "k", "b", "steps"), DIFFUSE_CASES)
def test_implicit_equals_reference(emulated_backend, make_problem, height, width, k, b, steps):
    # One thread per line, the reference's operations in its order: bitwise equal to NumPy.
    p = make_problem(height, width, k, b, dt_fraction=50.0)
    got = p.run(emulated_backend(), steps, scheme="implicit")
    want = REFERENCE.diffuse(p.u, p.c, p.s, p.D, p.lam, p.dt, steps, scheme="implicit")
    assert got.dtype == np.float32 and got.shape == want.shape
    np.testing.assert_array_equal(got, want)


@pytest.mark.parametrize("scheme", ["explicit", "implicit"])
@pytest.mark.parametrize("steps", [1, 2, 5])
def test_out_receives_the_last_step(emulated_backend, make_problem, scheme, steps):
    p = make_problem(33, 40, 3, 2)
    backend = emulated_backend(time_block=4)
    out = np.full_like(p.u, np.nan)
    got = backend.diffuse(p.u, p.c, p.s, p.D, p.lam, p.dt, steps, scheme=scheme, out=out)
    want = REFERENCE.diffuse(p.u, p.c, p.s, p.D, p.lam, p.dt, steps, scheme=scheme)
    assert got is out
    np.testing.assert_array_equal(out, want)


@pytest.mark.parametrize(("n_batch", "n_labels"), [(None, 5), (3, 9), (2, 7000)])
def test_zonal_sum_matches_reference(emulated_backend, rng, n_batch, n_labels):
    # 7000 labels overflow shared memory: the global-atomics variant runs.
    height, width, n_channels = 29, 41, 6
    shape = (n_channels, height, width) if n_batch is None else (n_batch, n_channels, height, width)
    u = rng.random(shape, dtype=np.float32) * 10
    labels = rng.integers(0, n_labels, (height, width))
    labels[: height // 2] = 1  # whole warps on one label: the shuffle reduction runs
    got = emulated_backend().zonal_sum(u, labels, n_labels)
    want = REFERENCE.zonal_sum(u, labels, n_labels)
    assert got.shape == want.shape and got.dtype == np.float64
    np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("n_batch", [None, 2])
def test_fill_by_label_matches_indexing(emulated_backend, rng, n_batch):
    lead = (4,) if n_batch is None else (n_batch, 4)
    table = rng.random((*lead, 6), dtype=np.float32)
    labels = rng.integers(0, 6, (13, 17)).astype(np.int32)
    out = np.full((*lead, 13, 17), np.nan, np.float32)
    emulated_backend().fill_by_label(table, labels, out)
    np.testing.assert_array_equal(out, table[..., labels])
