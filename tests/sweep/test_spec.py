from __future__ import annotations

from pathlib import Path

import pytest

from multipolar.cli import main
from multipolar.config import ScenarioError
from multipolar.sweep.spec import Range, is_sweep_file, load_sweep


def _problems(path: Path) -> list[str]:
    with pytest.raises(ScenarioError) as caught:
        load_sweep(path)
    return str(caught.value).splitlines()


def test_tiny_sweep_loads(write_sweep):
    sweep = load_sweep(write_sweep())
    assert sweep.parameters == {"alignment.rate": (0.05, 0.2)}
    assert sweep.base.geography.resolution == 1.0
    assert sweep.tables == ("model",)
    assert is_sweep_file(sweep.source)


def test_nested_and_quoted_keys_are_the_same_parameter(write_sweep):
    text = """
[sweep]
name = "n"
scenario = "central_asia_2023.toml"
months = 1
[sweep.sampler]
method = "lhs"
samples = 4
[sweep.parameters.alignment]
rate = { low = 0.01, high = 0.3 }
"""
    sweep = load_sweep(write_sweep(text))
    assert sweep.parameters == {"alignment.rate": Range(low=0.01, high=0.3)}


@pytest.mark.parametrize(
    ("body", "key", "fragment"),
    [
        ("monts = 3", "sweep.monts", "did you mean 'months'"),
        ("months = 0", "sweep.months", "greater than or equal to 1"),
        ("months = 100000", "sweep.months", "must be at most"),
        ('backend = "gpu9"', "sweep.backend", "unknown backend"),
        (
            '[sweep.parameters]\n"alignment.rat" = [0.1]',
            "sweep.parameters.alignment.rat",
            "unknown key",
        ),
        (
            '[sweep.parameters]\n"alignment.rate" = [0.1, 7.0]',
            "sweep.parameters.alignment.rate",
            "value 7.0",
        ),
        (
            '[sweep.parameters]\n"alignment.rate" = { low = 0.1, high = 0.2 }',
            "sweep.parameters.alignment.rate",
            "a range needs a sampler",
        ),
        (
            '[sweep.sampler]\nmethod = "sobol"\nsamples = 12\n[sweep.parameters]\n'
            '"alignment.rate" = { low = 0.1, high = 0.2 }',
            "sweep.sampler.samples",
            "power of 2",
        ),
        (
            '[sweep.sampler]\nmethod = "morris"\n[sweep.parameters]\n"alignment.rate" = [0.1]',
            "sweep.parameters.alignment.rate",
            "needs sampler method 'grid'",
        ),
        (
            '[sweep.sampler]\nmethod = "lhs"\n[sweep.parameters]\n'
            '"alignment.rate" = { low = 0.3, high = 0.2 }',
            "sweep.parameters.alignment.rate",
            "must be below high",
        ),
        ('[sweep.outputs]\ntables = ["model", "maps"]', "sweep.outputs.tables.1", "'model'"),
    ],
)
def test_each_problem_names_file_key_and_what(write_sweep, body, key, fragment):
    base = """
[sweep]
name = "bad"
scenario = "central_asia_2023.toml"
set = ["geography.resolution=1.0"]
"""
    if "months" not in body:
        base += "months = 2\n"
    if "[sweep.parameters]" not in body:
        body += '\n[sweep.parameters]\n"alignment.rate" = [0.1]'
    path = write_sweep(base + body)
    lines = _problems(path)
    assert any(line.startswith(f"{path}: {key}: ") and fragment in line for line in lines), lines


def test_missing_scenario_and_top_level_keys_are_reported(write_sweep):
    path = write_sweep("[run]\nx = 1\n")
    lines = _problems(path)
    assert f"{path}: run: unknown top-level key (a sweep has only [sweep])" in lines
    assert f"{path}: sweep: missing [sweep] table" in lines


def test_a_missing_scenario_is_named(write_sweep):
    path = write_sweep(
        '[sweep]\nname = "m"\nscenario = "atlantis.toml"\nmonths = 1\n'
        '[sweep.parameters]\n"alignment.rate" = [0.1]\n'
    )
    (line,) = _problems(path)
    assert line.startswith(f"{path}: sweep.scenario: no scenario 'atlantis.toml'")


def test_invalid_toml_is_one_line(write_sweep):
    path = write_sweep("[sweep\nname=")
    (line,) = _problems(path)
    assert line.startswith(f"{path}: (top level): invalid TOML")


@pytest.mark.parametrize("text", ["[" * 3000, "[sweep]\nseed = " + "9" * 5000])
def test_absurd_toml_is_one_line_too(write_sweep, text):
    path = write_sweep(text)
    (line,) = _problems(path)
    assert line.startswith(f"{path}: (top level): invalid TOML")
    assert not is_sweep_file(path)


def test_a_fifo_is_refused_without_blocking(tmp_path):
    import os

    fifo = tmp_path / "pipe.toml"
    os.mkfifo(fifo)
    (line,) = _problems(fifo)
    assert line == f"{fifo}: (top level): not a regular file"


def test_validate_command_accepts_a_sweep(write_sweep, capsys):
    assert main(["validate", str(write_sweep())]) == 0
    assert capsys.readouterr().out.strip() == "ok"


def test_validate_and_sweep_commands_report_bad_sweeps_with_exit_2(write_sweep, capsys):
    path = write_sweep(
        '[sweep]\nname = "b"\nscenario = "central_asia_2023.toml"\nmonths = -1\n'
        '[sweep.parameters]\n"alignment.nope" = [1]\n'
    )
    for command in (["validate", str(path)], ["sweep", str(path), "--workers", "1"]):
        assert main(command) == 2
        err = capsys.readouterr().err
        assert "Traceback" not in err
        assert f"{path}: sweep.months: " in err


def test_bundled_sweeps_are_valid():
    from multipolar._resources import configs_dir

    files = sorted((configs_dir() / "sweeps").glob("*.toml"))
    assert len(files) >= 3
    for path in files:
        assert load_sweep(path).settings.name == path.stem


def test_a_bundled_sweep_is_named_with_or_without_toml(tmp_path, monkeypatch):
    # as `multipolar sweep alignment_grid` and `multipolar sweep alignment_grid.toml` run it
    monkeypatch.chdir(tmp_path)
    for name in ("alignment_grid", "alignment_grid.toml"):
        assert is_sweep_file(name)
        assert load_sweep(name).settings.name == "alignment_grid"
    # a name that is neither says which are bundled
    with pytest.raises(
        ScenarioError, match=r"nosuch: .*file not found \(bundled sweeps: .*alignment_grid"
    ):
        load_sweep("nosuch")
    # a file of that name in the working directory comes first
    (tmp_path / "alignment_grid.toml").write_text("[sweep]\nmonths = 0\n", encoding="utf-8")
    with pytest.raises(ScenarioError, match="alignment_grid.toml: sweep"):
        load_sweep("alignment_grid.toml")
