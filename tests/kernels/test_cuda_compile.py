"""The CUDA C sources compile for Hopper (sm_90) with nvcc, on machines without a GPU too."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from multipolar.kernels._cuda_source import compile_options, cuda_source, cuda_sources

NVCC = shutil.which("nvcc")
needs_nvcc = pytest.mark.skipif(NVCC is None, reason="nvcc not found")
SOURCES = cuda_sources()


def _nvcc(source: Path, out: Path, *options: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [NVCC, "-ptx", *options, "-o", str(out), str(source)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_sources_ship_with_the_package():
    assert {p.name for p in SOURCES} >= {"diffusion.cu", "implicit.cu", "zonal.cu"}


@needs_nvcc
@pytest.mark.parametrize("source", SOURCES, ids=[p.name for p in SOURCES])
def test_compiles_for_sm_90_with_the_backend_options(tmp_path, source):
    # The options the backend gives NVRTC, here through nvcc: arch, no FMA contraction, tiles.
    result = _nvcc(source, tmp_path / "out.ptx", *compile_options("90"))
    assert result.returncode == 0, result.stderr
    ptx = (tmp_path / "out.ptx").read_text()
    assert ".target sm_90" in ptx
    assert "fma.rn.f32" not in ptx  # float32 multiply and add stay separate, as in NumPy


@needs_nvcc
@pytest.mark.parametrize("source", SOURCES, ids=[p.name for p in SOURCES])
def test_compiles_on_its_own(tmp_path, source):
    result = _nvcc(source, tmp_path / "out.ptx", "-arch=sm_90")
    assert result.returncode == 0, result.stderr


def test_source_starts_with_a_line_directive_naming_the_file():
    text = cuda_source("diffusion.cu")
    path = next(p for p in SOURCES if p.name == "diffusion.cu").resolve()
    assert text.startswith(f'#line 1 "{path}"\n')
    assert text.split("\n", 1)[1] == path.read_text(encoding="utf-8")


@needs_nvcc
def test_compiler_errors_point_at_the_cu_file(tmp_path):
    # The loader compiles a string; with the #line directive, an error in it names the file.
    broken = cuda_source("zonal.cu") + "\nthis is not CUDA;\n"
    (tmp_path / "anonymous.cu").write_text(broken)
    result = _nvcc(tmp_path / "anonymous.cu", tmp_path / "out.ptx", "-arch=sm_90")
    assert result.returncode != 0
    zonal = next(p for p in SOURCES if p.name == "zonal.cu").resolve()
    n_lines = len(zonal.read_text().splitlines())
    first_error = next(line for line in result.stderr.splitlines() if "error" in line)
    assert first_error.startswith(f"{zonal}({n_lines + 2}): error"), result.stderr


def test_compile_options_target_the_device():
    options = compile_options("90")
    assert options[0] == "-arch=sm_90"
    assert "--fmad=false" in options
    assert compile_options("120")[0] == "-arch=sm_120"
