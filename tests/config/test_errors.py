"""Every kind of bad scenario gives one clear line naming the file, the key and the problem."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from multipolar.config import ScenarioError, default_scenario_path, load_scenario


def variant(tmp_path: Path, body: str, name: str = "variant.toml") -> Path:
    """A scenario file that extends the bundled default with ``body``."""
    path = tmp_path / name
    head = f'name = "variant"\nextends = "{default_scenario_path()}"\n'
    path.write_text(head + textwrap.dedent(body), encoding="utf-8")
    return path


def problems(path: Path, overrides: tuple[str, ...] = ()) -> list[str]:
    with pytest.raises(ScenarioError) as caught:
        load_scenario(path, overrides)
    return [str(p) for p in caught.value.problems]


def only(lines: list[str], file: Path | str, key: str) -> str:
    head = f"--set {key}: " if file == "--set" else f"{file}: {key}: "
    matching = [line for line in lines if line.startswith(head)]
    assert matching, f"no problem for {key} in {lines}"
    return matching[0].removeprefix(head)


def test_wrong_type(tmp_path: Path) -> None:
    path = variant(tmp_path, '[alignment]\nrate = "fast"\n')
    assert "number" in only(problems(path), path, "alignment.rate")


def test_nan_and_infinity(tmp_path: Path) -> None:
    path = variant(tmp_path, "[alignment]\nrate = nan\ntemperature = inf\n")
    lines = problems(path)
    assert "finite" in only(lines, path, "alignment.rate")
    assert "finite" in only(lines, path, "alignment.temperature")


def test_negative_rate(tmp_path: Path) -> None:
    path = variant(tmp_path, "[diffusion.economy]\ndiffusivity = 0.5\ndecay = -0.1\n")
    assert "greater than or equal to 0" in only(problems(path), path, "diffusion.economy.decay")


def test_date_out_of_calendar_range(tmp_path: Path) -> None:
    path = variant(tmp_path, "[run]\nstart = 1850-01-01\n")
    assert "1900" in only(problems(path), path, "run.start")


def test_event_date_out_of_calendar_range(tmp_path: Path) -> None:
    path = variant(
        tmp_path,
        '[[events]]\ndate = 2150-01-01\nkind = "join"\norganization = "SCO"\nstate = "TKM"\n',
    )
    assert any(
        line.startswith(f"{path}: events.") and ".date: " in line and "2100" in line
        for line in problems(path)
    )


def test_run_must_end_after_it_starts(tmp_path: Path) -> None:
    path = variant(tmp_path, "[run]\nstart = 2030-01-01\nend = 2025-01-01\n")
    assert "end must be after start" in only(problems(path), path, "run")


def test_unknown_state_in_membership(tmp_path: Path) -> None:
    path = variant(tmp_path, "[organizations.CSTO.members]\nXYZ = 2002-10-07\n")
    assert only(problems(path), path, "organizations.CSTO.members.XYZ") == "unknown state"


def test_unknown_state_and_organization_in_event(tmp_path: Path) -> None:
    path = variant(
        tmp_path,
        """
        [[events]]
        date = 2025-01-01
        kind = "join"
        organization = "WARSAW"
        state = "ATL"
        """,
    )
    lines = problems(path)
    assert any("organization: unknown organization 'WARSAW'" in line for line in lines)
    assert any("state: unknown state 'ATL'" in line for line in lines)


def test_duplicate_state(tmp_path: Path) -> None:
    path = variant(tmp_path, '[states.KAZ]\nname = "Kazakhstan"\n[states.KAZ]\nname = "again"\n')
    assert "declared twice" in only(problems(path), path, "states.KAZ")


def test_duplicate_plain_key(tmp_path: Path) -> None:
    path = variant(tmp_path, "[alignment]\nrate = 0.1\nrate = 0.2\n")
    message = only(problems(path), path, "alignment.rate")
    assert "defined twice" in message and "lines" in message


def test_missing_file(tmp_path: Path) -> None:
    missing = tmp_path / "nope.toml"
    lines = problems(missing)
    assert lines == [f"{missing}: (top level): file not found"]


def test_malformed_toml_names_the_line(tmp_path: Path) -> None:
    path = variant(tmp_path, "[alignment]\nrate = = 3\n")
    (line,) = problems(path)
    # the header is two lines, the table header the third: the bad value is on line 4
    assert line.startswith(f"{path}: line 4: malformed TOML")


def test_unknown_key_suggests_the_right_one(tmp_path: Path) -> None:
    path = variant(tmp_path, "[alignment]\nrat = 0.1\n")
    assert only(problems(path), path, "alignment.rat") == "unknown key (did you mean 'rate'?)"


def test_unstable_diffusion_names_channel_and_largest_dt(tmp_path: Path) -> None:
    path = variant(tmp_path, '[diffusion]\nscheme = "explicit"\nsubsteps = 2\n')
    message = " | ".join(
        line for line in problems(path) if line.startswith(f"{path}: diffusion.substeps: ")
    )
    assert "RUS.security" in message and "CHN.economy" in message
    # D = 0.5 deg^2/month at 0.25 deg = 8 cells^2/month; 4 * 8 * 1.0 + 0.2 = 32.2 -> dt <= 1/32.2
    assert f"largest stable dt {1 / 32.2:.4g}" in message


def test_errors_in_an_extended_file_name_that_file(tmp_path: Path) -> None:
    base = variant(tmp_path, "[alignment]\nrate = 7\n", name="base.toml")
    child = tmp_path / "child.toml"
    child.write_text('name = "child"\nextends = "base.toml"\n', encoding="utf-8")
    assert "less than or equal to 1" in only(problems(child), base, "alignment.rate")


def test_set_override_is_validated_and_blamed_on_set(tmp_path: Path) -> None:
    path = variant(tmp_path, "")
    lines = problems(path, ("alignment.rate=-1",))
    assert "greater than or equal to 0" in only(lines, "--set", "alignment.rate")


def test_circular_extends(tmp_path: Path) -> None:
    (tmp_path / "a.toml").write_text('name = "a"\nextends = "b.toml"\n', encoding="utf-8")
    (tmp_path / "b.toml").write_text('name = "b"\nextends = "a.toml"\n', encoding="utf-8")
    (line,) = problems(tmp_path / "a.toml")
    assert "circular extends" in line


def test_extends_lists_name_files_and_do_not_loop(tmp_path: Path) -> None:
    (tmp_path / "a.toml").write_text(
        'name = "a"\nextends = ["central_asia_2023.toml", "b.toml"]\n', encoding="utf-8"
    )
    (tmp_path / "b.toml").write_text('name = "b"\nextends = ["a.toml"]\n', encoding="utf-8")
    (line,) = problems(tmp_path / "a.toml")
    assert "circular extends" in line
    (tmp_path / "c.toml").write_text(
        'name = "c"\nextends = ["central_asia_2023.toml", 3]\n', encoding="utf-8"
    )
    assert problems(tmp_path / "c.toml") == [
        f"{tmp_path / 'c.toml'}: extends: must be a file name (a string)"
    ]


def test_unknown_event_kind(tmp_path: Path) -> None:
    path = variant(tmp_path, '[[events]]\ndate = 2025-01-01\nkind = "invade"\n')
    lines = problems(path)
    assert any(
        line.startswith(f"{path}: events.") and "unknown kind 'invade'" in line for line in lines
    )


def test_parameter_change_of_fixed_section(tmp_path: Path) -> None:
    path = variant(
        tmp_path,
        '[[events]]\ndate = 2025-01-01\nkind = "parameter_change"\n'
        'key = "diffusion.safety"\nvalue = 0.5\n',
    )
    assert any("cannot change during a run" in line for line in problems(path))


def test_all_problems_reported_at_once(tmp_path: Path) -> None:
    path = variant(tmp_path, "[alignment]\nrate = -1\ntemperature = -2\n")
    assert len(problems(path)) == 2


def test_unknown_terrain_feature(tmp_path: Path) -> None:
    path = variant(tmp_path, "[geography.conductance.features]\nPamirs = 0.2\n")
    message = only(problems(path), path, "geography.conductance.features.Pamirs")
    assert message.startswith("unknown terrain feature") and "Pamir" in message
