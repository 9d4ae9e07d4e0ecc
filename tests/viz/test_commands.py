"""``multipolar viz``: bad input is one line and exit 2, before any server starts."""

from __future__ import annotations

import socket
import subprocess
import sys

import pytest

from multipolar.cli import main


def test_missing_viz_extra_names_the_install(monkeypatch, capsys) -> None:
    monkeypatch.setitem(sys.modules, "solara", None)  # import solara now fails
    assert main(["viz", "--port", "1"]) == 2
    err = capsys.readouterr().err
    assert "pip install 'multipolar[viz]'" in err and "Traceback" not in err


def test_unknown_scenario_file(tmp_path, capsys) -> None:
    assert main(["viz", str(tmp_path / "nope.toml")]) == 2
    assert "nope.toml" in capsys.readouterr().err


def test_unavailable_backend(capsys) -> None:
    assert main(["viz", "--backend", "no_such_backend"]) == 2
    assert "no_such_backend" in capsys.readouterr().err


def test_port_in_use(capsys) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        assert main(["viz", "--port", str(port), "--backend", "numpy"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and f"127.0.0.1:{port}" in err[0]


def test_app_module_builds_a_solaraviz_page(monkeypatch) -> None:
    pytest.importorskip("solara")
    monkeypatch.setenv("MULTIPOLAR_VIZ_BACKEND", "numpy")
    from multipolar.viz import app

    assert set(app.model_params) >= {"scenario_name", "seed", "diffusion", "partnership"}
    assert app.model.steps == 0
    assert app.page is not None


def _core_only(args: list[str]) -> subprocess.CompletedProcess:
    """Run the CLI with the extras' modules made unimportable, as on a core-only install."""
    blocked = ("solara", "matplotlib", "playwright", "altair", "mesa.visualization")
    code = (
        "import sys\n"
        f"for name in {blocked!r}: sys.modules[name] = None\n"
        "from multipolar.cli import main\n"
        f"sys.exit(main({args!r}))\n"
    )
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)


@pytest.mark.slow
def test_run_needs_no_viz_or_report_extra(tmp_path) -> None:
    done = _core_only(["run", "--steps", "1", "--backend", "numpy", "--out", str(tmp_path / "r")])
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "r" / "manifest.json").is_file()


@pytest.mark.slow
def test_run_report_without_the_extra_stops_before_running(tmp_path) -> None:
    out = tmp_path / "r"
    done = _core_only(["run", "--steps", "1", "--backend", "numpy", "--report", "--out", str(out)])
    assert done.returncode == 2
    assert "pip install 'multipolar[report]'" in done.stderr and "Traceback" not in done.stderr
    assert not out.exists()
