"""The wheel ships CUDA sources, scenarios and data, and works outside the source tree."""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

CHECK = """
import multipolar, pathlib
from multipolar._resources import configs_dir, cuda_dir, data_dir
from multipolar.config import bundled_scenarios, load_scenario
from multipolar.model import geography_for
here = pathlib.Path(multipolar.__file__).parent
assert str(cuda_dir()).startswith(str(here)), cuda_dir()
sources = sorted(p.name for p in cuda_dir().glob("*.cu"))
assert sources == ["diffusion.cu", "implicit.cu", "zonal.cu"], sources
assert len(bundled_scenarios()) >= 3
scenario = load_scenario()
geo = geography_for(scenario)
assert geo.country[geo.grid.cell_of(71.45, 51.17)] == geo.country_index("KAZ")
print("ok", here)
"""


@pytest.mark.slow
def test_wheel_works_outside_the_source_tree(tmp_path: Path) -> None:
    wheels = tmp_path / "wheels"
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", str(wheels), str(ROOT)],
        check=True,
        capture_output=True,
        timeout=300,
    )
    (wheel,) = wheels.glob("multipolar-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    assert "multipolar/_cuda/diffusion.cu" in names
    assert "multipolar/_configs/central_asia_2023.toml" in names
    assert "multipolar/_configs/data/central_asia_facts_2023.toml" in names
    target = tmp_path / "site"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "-q",
            "--no-deps",
            "--target",
            str(target),
            str(wheel),
        ],
        check=True,
        capture_output=True,
        timeout=300,
    )
    env = {**os.environ, "PYTHONPATH": str(target), "MULTIPOLAR_CACHE_DIR": str(tmp_path / "cache")}
    result = subprocess.run(
        [sys.executable, "-c", CHECK],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith(f"ok {target}")
