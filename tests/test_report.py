"""``multipolar report``: every figure written at its size and not blank; the membership data."""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path

import numpy as np
import polars as pl
import pytest

pytest.importorskip("matplotlib")
from PIL import Image  # noqa: E402 - matplotlib brings pillow

from multipolar.cli import main  # noqa: E402
from multipolar.config import load_scenario  # noqa: E402
from multipolar.report import write_report  # noqa: E402
from multipolar.report.figures import DPI, FIGURES  # noqa: E402
from multipolar.report.rundir import load_run  # noqa: E402
from multipolar.report.timeline import membership_intervals  # noqa: E402
from multipolar.runner import run_scenario  # noqa: E402


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Six months of the default scenario: Finland joins NATO on 2023-04-04 within them."""
    out = tmp_path_factory.mktemp("runs") / "short"
    run_scenario(load_scenario(), backend="numpy", steps=6, out=out, progress=False)
    return out


@pytest.fixture(scope="module")
def report(run_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_report(run_dir, tmp_path_factory.mktemp("report"))


def test_every_figure_exists_at_its_size_and_is_not_blank(report: Path) -> None:
    for spec in FIGURES:
        path = report.parent / f"{spec.name}.png"
        assert path.is_file(), spec.name
        image = Image.open(path)
        assert image.size == (round(spec.size[0] * DPI), round(spec.size[1] * DPI)), spec.name
        pixels = np.asarray(image.convert("RGB"), dtype=float)
        assert pixels.std() > 10.0, f"{spec.name} looks blank"
        colours = np.unique(pixels[::4, ::4].reshape(-1, 3), axis=0)
        assert len(colours) > 30, f"{spec.name} has only {len(colours)} colours"


def test_report_md_embeds_the_figures_with_numbers_and_provenance(
    report: Path, run_dir: Path
) -> None:
    text = report.read_text(encoding="utf-8")
    for spec in FIGURES:
        assert f"({spec.name}.png)" in text
    assert "## Headline numbers" in text and "## Provenance" in text
    assert "seed: " in text and "git revision" in text and "mesa " in text
    final = pl.read_parquet(run_dir / "model.parquet")["polarity_n_eff"][-1]
    assert f"{final:.3f}" in text  # the headline table reports the run's own last value
    assert "FIN joins NATO" in text


def test_membership_timeline_shows_finland_joining_nato_in_april_2023(run_dir: Path) -> None:
    run = load_run(run_dir)
    intervals, markers = membership_intervals(run.scenario, run.events, dt.date(2023, 7, 1))
    finland = [i for i in intervals if i.organization == "NATO" and i.state == "FIN"]
    assert len(finland) == 1
    assert (finland[0].start.year, finland[0].start.month) == (2023, 4)
    assert finland[0].status == "active" and finland[0].end == dt.date(2023, 7, 1)
    assert any(m.state == "FIN" and m.action == "join" for m in markers)
    # Sweden joins only in March 2024, after this short run
    assert not [i for i in intervals if i.organization == "NATO" and i.state == "SWE"]


def test_intervals_follow_suspensions_and_rule_changes() -> None:
    scenario = {
        "organizations": {
            "CSTO": {"members": {"ARM": "1992-05-15", "KAZ": "1992-05-15"}},
            "SCO": {"members": {}},
        },
        "events": [
            {"date": "2024-02-22", "kind": "suspend", "organization": "CSTO", "state": "ARM"}
        ],
    }
    events = pl.DataFrame(
        {
            "step": [14, 20],
            "date": [dt.date(2024, 3, 1), dt.date(2024, 9, 1)],
            "kind": ["suspend", "join"],
            "subject": ["ARM", "MNG"],
            "detail": ["CSTO", "SCO"],
            "cause": ["event", "rule"],
        }
    )
    intervals, markers = membership_intervals(scenario, events, dt.date(2025, 1, 1))
    armenia = [(i.status, i.start, i.end) for i in intervals if i.state == "ARM"]
    assert armenia == [
        ("active", dt.date(1992, 5, 15), dt.date(2024, 2, 22)),  # the event's own date
        ("suspended", dt.date(2024, 2, 22), dt.date(2025, 1, 1)),
    ]
    mongolia = [i for i in intervals if i.state == "MNG"]
    assert mongolia[0].start == dt.date(2024, 9, 1)  # a rule takes its step's date
    assert [m.cause for m in markers] == ["event", "rule"]


@pytest.mark.slow
def test_report_command_and_bad_run_dir(run_dir: Path, tmp_path: Path, capsys) -> None:
    assert main(["report", str(run_dir), "--out", str(tmp_path / "r")]) == 0
    assert (tmp_path / "r" / "report.md").is_file()
    assert main(["report", str(tmp_path / "missing")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "not a run directory" in err[0]


def test_missing_report_extra_names_the_install(
    run_dir: Path, tmp_path: Path, monkeypatch, capsys
) -> None:
    monkeypatch.setitem(sys.modules, "matplotlib", None)  # import matplotlib now fails
    assert main(["report", str(run_dir), "--out", str(tmp_path / "r")]) == 2
    err = capsys.readouterr().err
    assert "pip install 'multipolar[report]'" in err and "Traceback" not in err
    assert not (tmp_path / "r").exists()


@pytest.mark.slow
def test_run_with_report_writes_the_report(tmp_path: Path, capsys) -> None:
    out = tmp_path / "run"
    assert main(["run", "--steps", "2", "--backend", "numpy", "--out", str(out), "--report"]) == 0
    assert (out / "report" / "report.md").is_file()
    assert all((out / "report" / f"{spec.name}.png").is_file() for spec in FIGURES)
    assert "report: " in capsys.readouterr().out
