"""``multipolar bench``: both schemes, output buffers, and whole months by resolution."""

from __future__ import annotations

import json

import numpy as np

from multipolar import bench
from multipolar.kernels.memory import is_aligned


def test_both_schemes_with_out_are_timed_against_the_copy(tmp_path, capsys):
    path = tmp_path / "bench.json"
    argv = ["--size", "16", "--backend", "numpy", "--scheme", "both", "--out", "--repeats", "1"]
    assert bench.main([*argv, "--steps", "2", "--numpy-steps", "2", "--json", str(path)]) == 0
    out = capsys.readouterr().out
    assert "byte model (implicit): bytes/step = H*W*(24*B*K + 4) + H*W*12*B*K/steps" in out
    results = json.loads(path.read_text())["results"]
    implicit = next(r for r in results if r["scheme"] == "implicit")
    # The once-per-call bytes are spread over the call's 2 steps: 24 + 12 / 2 per field cell.
    model_bytes = implicit["gb_per_second"] * 1e9 * implicit["seconds_per_step"]
    fields = implicit["batch"] * implicit["channels"]
    assert abs(model_bytes - 16 * 16 * (30 * fields + 4)) < 1e-6 * model_bytes
    assert [(r["scheme"], r["with_out"]) for r in results] == [
        ("explicit", True),
        ("implicit", True),
    ]
    for r in results:
        assert r["seconds_per_step"] > 0 and r["fraction_of_copy"] > 0


def test_months_by_resolution_take_each_scheme_at_its_own_substeps(tmp_path, capsys):
    path = tmp_path / "months.json"
    argv = ["--resolution", "0.5,0.25", "--backend", "numpy", "--scheme", "both", "--repeats", "1"]
    assert bench.main([*argv, "--max-steps", "3", "--json", str(path)]) == 0
    out = capsys.readouterr().out
    assert "log-log slope of time per month against cells, numpy implicit" in out
    months = json.loads(path.read_text())["months"]
    by = {(m["scheme"], m["resolution"]): m for m in months}
    # Implicit: ceil(0.2 / 0.05) at any resolution. Explicit: D = 2 and 8 cells^2 a month,
    # dt <= 1 / (4 D + 0.2) with safety 0.9: 10 and 36 substeps.
    assert by["implicit", 0.5]["substeps"] == by["implicit", 0.25]["substeps"] == 4
    assert (by["explicit", 0.5]["substeps"], by["explicit", 0.25]["substeps"]) == (10, 36)
    assert (by["implicit", 0.25]["height"], by["implicit", 0.25]["width"]) == (120, 240)
    assert all(np.isfinite(m["seconds_per_month"]) and m["steps_timed"] <= 3 for m in months)


def test_bad_resolution_is_a_usage_error(capsys):
    assert bench.main(["--resolution", "0,1", "--backend", "numpy"]) == 2
    assert "--resolution" in capsys.readouterr().err


def test_shared_coefficients_have_the_models_structure(tmp_path, capsys):
    shared = bench._inputs(8, 6, 1, 3, "shared")
    for key in ("D", "lam"):  # one value per domain, the channels alternating
        assert shared[key][0] != shared[key][1]
        np.testing.assert_array_equal(shared[key], np.tile(shared[key][:2], 3))
    assert all(np.array_equal(bench._inputs(8, 6, 1, 3)[k], shared[k]) for k in ("D", "lam"))
    random = bench._inputs(8, 6, 1, 3, "random")
    assert len(set(random["D"].tolist())) == 6
    np.testing.assert_array_equal(shared["u"], random["u"])  # same fields, other coefficients
    path = tmp_path / "bench.json"
    argv = ["--size", "16", "--backend", "numpy", "--scheme", "implicit", "--repeats", "1"]
    argv += ["--steps", "2", "--json", str(path)]
    for extra, used in (([], "shared"), (["--coefficients", "random"], "random")):
        assert bench.main(argv + extra) == 0
        assert f"coefficients {used}" in capsys.readouterr().out
        assert json.loads(path.read_text())["machine"]["coefficients"] == used


def test_inputs_start_on_cache_lines_as_the_models_fields_do():
    # Unaligned inputs split the kernels' vector loads across lines (a slower step than
    # the model's, whose buffers are aligned).
    for data in (
        bench._inputs(40, 6, 1, 0),
        bench._inputs(40, 2, 3, 0),
        bench._month_inputs(2.0, 4, 0),
    ):
        assert all(is_aligned(data[key]) for key in ("u", "s", "c"))
