"""The bad inputs found by fuzzing and adversarial testing, as regular tests.

Each is rejected by validation with a one-line ``<file>: <key>: <problem>`` (exit 2 from the
command line), where before it ran to NaN, crashed mid-run, hung, or crashed ``validate``.
"""

from __future__ import annotations

import os
import textwrap
import time
from pathlib import Path

import pytest

from multipolar.config import ScenarioError, default_scenario_path, load_scenario, with_value
from multipolar.config.toml_source import MAX_FILE_BYTES


def variant(tmp_path: Path, body: str, name: str = "variant.toml") -> Path:
    path = tmp_path / name
    head = f'name = "variant"\nextends = "{default_scenario_path()}"\n'
    path.write_text(head + textwrap.dedent(body), encoding="utf-8")
    return path


def problems(path: Path | None, overrides: tuple[str, ...] = ()) -> list[str]:
    with pytest.raises(ScenarioError) as caught:
        load_scenario(path, overrides)
    return [str(p) for p in caught.value.problems]


def set_problems(*overrides: str) -> list[str]:
    return problems(None, overrides)


@pytest.mark.parametrize(
    "key",
    [
        "alignment.noise",
        "alignment.threat_weight",
        "alignment.institution_weight",
        "alignment.initial_tie_weight",
        "security_dilemma.response",
        "statecraft.return_on_alignment",
        "organizations.CSTO.strength",
        "diffusion.security.diffusivity",
        "diffusion.economy.decay",
        "alignment.temperature",
    ],
)
def test_huge_parameters_are_out_of_range(key: str) -> None:
    lines = set_problems(f"{key}=1e308")
    assert lines == [f"--set {key}: {lines[0].split(': ', 1)[1]}"]
    assert "less than or equal to" in lines[0]


def test_tiny_safety_and_resolution_are_out_of_range() -> None:
    assert "greater than or equal to" in set_problems("diffusion.safety=1e-300")[0]
    for value in ("1e-9", "1e-308"):
        assert "greater than or equal to 0.01" in set_problems(f"geography.resolution={value}")[0]


def test_capacity_shock_factor_is_bounded(tmp_path: Path) -> None:
    path = variant(
        tmp_path,
        """
        [[events]]
        date = 2024-01-01
        kind = "capacity_shock"
        power = "RUS"
        domain = "security"
        factor = 1e308
        """,
    )
    (line,) = [p for p in problems(path) if ".factor:" in p]
    assert line.startswith(f"{path}: events.") and "less than or equal to 100" in line


def test_zero_gdp_is_refused() -> None:
    lines = set_problems("states.KAZ.gdp.value=0")
    assert lines == ["--set states.KAZ.gdp.value: must be positive (capability is built on it)"]


def test_resolution_that_does_not_divide_the_region_fails_in_validate() -> None:
    (line,) = set_problems("geography.resolution=0.24999999947916668")
    assert line.startswith("--set geography.resolution: does not fit the region")


def test_fixed_substeps_beyond_the_cap_are_refused() -> None:
    (line,) = set_problems("diffusion.substeps=1000000")
    assert line == "--set diffusion.substeps: input should be less than or equal to 10000 or 'auto'"


def test_auto_substeps_have_a_cost_cap_with_estimate_and_way_out() -> None:
    # 0.05 degree: 720,000 cells; diffusivity 100 deg^2/month needs ~2e5 substeps a month
    (line,) = set_problems(
        "diffusion.scheme=explicit",
        "geography.resolution=0.05",
        "diffusion.security.diffusivity=100",
    )
    assert line.startswith("--set diffusion.substeps: auto picks ")
    assert "above the cap of 10000" in line and "coarsen geography.resolution" in line


def test_cells_times_substeps_cap_gives_an_estimate() -> None:
    (line,) = set_problems("diffusion.scheme=explicit", "geography.resolution=0.025")
    assert "cell updates per channel per month" in line and "estimated" in line and " h " in line
    assert "coarsen geography.resolution" in line


def test_unstable_fixed_substeps_say_how_many_are_needed() -> None:
    (line, *_) = set_problems(
        "diffusion.scheme=explicit", "diffusion.security.diffusivity=100", "diffusion.substeps=4"
    )
    assert "unstable" in line and 'or "auto"' in line


def test_memory_cap() -> None:
    world = ("geography.lon_min=-180", "geography.lon_max=180", "geography.lat_min=-90")
    (line,) = set_problems(*world, "geography.lat_max=90", "geography.resolution=0.02")
    assert line.startswith("--set geography.resolution: 18000 x 9000 cells x 6 channels")
    assert "GB of memory), above the cap" in line


def test_a_hundredth_of_a_degree_validates_with_the_implicit_scheme() -> None:
    scenario = load_scenario(None, ["geography.resolution=0.01", 'diffusion.scheme="implicit"'])
    assert scenario.geography.resolution == 0.01


@pytest.mark.parametrize("pair", ["FOO-BAR", "RUS"])
def test_parameter_change_on_an_unknown_partnership_fails_validation(
    tmp_path: Path, pair: str
) -> None:
    path = variant(
        tmp_path,
        f"""
        [[events]]
        date = 2024-01-01
        kind = "parameter_change"
        key = "partnership.{pair}"
        value = 0.5
        """,
    )
    (line,) = problems(path)
    assert line.startswith(f"{path}: events.") and f"partnership.{pair}" in line
    assert "two different powers" in line


def test_leave_by_a_non_member_is_refused(tmp_path: Path) -> None:
    path = variant(
        tmp_path,
        '[[events]]\ndate = 2024-01-01\nkind = "leave"\norganization = "NATO"\nstate = "KAZ"\n',
    )
    (line,) = problems(path)
    assert line.endswith("state: KAZ is not a member of NATO on 2024-01-01")


def test_join_by_a_member_is_refused(tmp_path: Path) -> None:
    path = variant(
        tmp_path,
        '[[events]]\ndate = 2024-01-01\nkind = "join"\norganization = "CSTO"\nstate = "KAZ"\n',
    )
    (line,) = problems(path)
    assert line.endswith("state: KAZ is already a member of CSTO on 2024-01-01")


def test_leave_then_rejoin_is_fine(tmp_path: Path) -> None:
    path = variant(
        tmp_path,
        """
        [[events]]
        date = 2024-01-01
        kind = "leave"
        organization = "CSTO"
        state = "KAZ"
        [[events]]
        date = 2025-01-01
        kind = "join"
        organization = "CSTO"
        state = "KAZ"
        """,
    )
    assert load_scenario(path).name == "variant"


def _change(date: str, key: str, value: float) -> str:
    return f'[[events]]\ndate = {date}\nkind = "parameter_change"\nkey = "{key}"\nvalue = {value}\n'


def test_parameter_changes_cannot_zero_the_effort(tmp_path: Path) -> None:
    path = variant(
        tmp_path,
        _change("2024-01-01", "powers.USA.effort.security", 0.0)
        + _change("2024-01-01", "powers.USA.effort.economy", 0.0),
    )
    (line,) = problems(path)
    assert "powers.USA.effort: must have a positive total" in line


def test_effort_moved_between_domains_in_one_month_is_fine(tmp_path: Path) -> None:
    path = variant(
        tmp_path,
        _change("2025-01-01", "powers.CHN.effort.economy", 0.9)
        + _change("2025-01-01", "powers.CHN.effort.security", 0.1),
    )
    assert load_scenario(path).events[-1].value == 0.1


def test_effort_must_split_at_most_one() -> None:
    (line,) = set_problems("powers.CHN.effort.economy=0.9")
    assert line.startswith("--set powers.CHN.effort: ")
    total = float(line.rsplit("= ", 1)[1].rstrip(")"))
    assert "sum to at most 1" in line and total > 1


def test_duplicate_base_ids_in_one_file(tmp_path: Path) -> None:
    base = """
        [[bases]]
        id = "twin"
        name = "Twin"
        power = "RUS"
        host = "KGZ"
        lon = 74.5
        lat = 42.8
        opened = 2003-10-23
        """
    path = variant(tmp_path, base + base)
    (line,) = problems(path)
    assert line == f"{path}: bases.1.id: duplicate id 'twin' (also bases.0 in this file)"


def test_unhashable_id_is_a_problem_not_a_crash(tmp_path: Path) -> None:
    path = variant(tmp_path, "[[bases]]\nid = [1]\n")
    assert problems(path) == [f"{path}: bases.0.id: must be a string"]


def test_deep_nesting_huge_integers_fifo_and_devices(tmp_path: Path) -> None:
    deep = tmp_path / "deep.toml"
    deep.write_text("a = " + "[" * 3000 + "]" * 3000 + "\n")
    assert "malformed TOML" in problems(deep)[0]
    big = tmp_path / "big.toml"
    big.write_text("a = " + "1" * 5000 + "\n")
    assert "malformed TOML" in problems(big)[0]
    fifo = tmp_path / "fifo.toml"
    os.mkfifo(fifo)
    started = time.monotonic()
    assert problems(fifo) == [
        f"{fifo}: (top level): not a regular file (a pipe, socket or device is not read)"
    ]
    assert time.monotonic() - started < 5
    assert "not a regular file" in problems(Path("/dev/zero"))[0]
    assert "is a folder" in problems(tmp_path)[0]


def test_size_limit(tmp_path: Path) -> None:
    path = tmp_path / "huge.toml"
    path.write_bytes(b"# " + b"x" * MAX_FILE_BYTES + b"\n")
    assert "too large for a scenario file" in problems(path)[0]


def test_many_keys_merge_in_linear_time(tmp_path: Path) -> None:
    keys = "".join(f"k{n} = {n}\n" for n in range(16_000))
    parent = tmp_path / "parent.toml"
    parent.write_text(f'name = "p"\n[alignment]\n{keys}')
    child = tmp_path / "child.toml"
    child.write_text(f'name = "c"\nextends = "parent.toml"\n[alignment]\n{keys}')
    started = time.monotonic()
    lines = problems(child)
    assert time.monotonic() - started < 5
    assert f"{child}: alignment.k0: unknown key" in lines


def test_extends_takes_toml_files_only(tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("password = 'hunter2'\n")
    path = tmp_path / "v.toml"
    path.write_text('name = "v"\nextends = "secret.txt"\n')
    lines = problems(path)
    assert lines == [f"{path}: extends: must name a .toml scenario file"]


def test_set_errors_name_the_set_and_strict_types() -> None:
    assert set_problems("bogus.key=1") == ["--set bogus: unknown key"]
    (line,) = set_problems("alignment.rate='0.2'")
    assert line == "--set alignment.rate: input should be a valid number, not the string '0.2'"
    assert set_problems("extends=nope.toml")[0].startswith("--set extends: cannot be set")
    assert "input should be a valid number" in set_problems("alignment.rate=true")[0]


def test_a_key_missing_from_the_facts_file_is_blamed_on_the_facts_file(tmp_path: Path) -> None:
    facts = (default_scenario_path().parent / "data" / "central_asia_facts_2023.toml").read_text()
    start = facts.index("[states.KAZ]")
    end = facts.index("\n[", start + 1)
    block = facts[start:end]
    capital = [line for line in block.splitlines() if line.startswith("capital")]
    assert capital, "the facts file gives KAZ a capital"
    trimmed = facts[:start] + block.replace(capital[0], "") + facts[end:]
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "central_asia_facts_2023.toml").write_text(trimmed)
    main = tmp_path / "main.toml"
    main.write_text(default_scenario_path().read_text())
    child = tmp_path / "child.toml"
    child.write_text('name = "child"\nextends = "main.toml"\n[states.KAZ]\nnotes = "x"\n')
    lines = problems(child)
    facts_file = tmp_path / "data" / "central_asia_facts_2023.toml"
    assert f"{facts_file}: states.KAZ.capital: missing required key" in lines


def test_events_are_addressable_by_id(tmp_path: Path) -> None:
    path = variant(
        tmp_path,
        """
        [[events]]
        id = "drain"
        date = 2024-01-01
        kind = "capacity_shock"
        power = "RUS"
        domain = "security"
        factor = 0.75
        """,
    )
    scenario = load_scenario(path, ["events.drain.factor=0.5"])
    assert [e.factor for e in scenario.events if e.id == "drain"] == [0.5]
    (line,) = problems(path, ("events.drain.factor=0",))
    assert line.startswith("--set events.drain.factor: ")
    assert problems(path, ("events.nope.factor=0.5",)) == [
        "--set events.nope.factor: no item with id 'nope'"
    ]


def test_a_variant_event_with_an_id_merges_into_its_parents(tmp_path: Path) -> None:
    parent = variant(
        tmp_path,
        '[[events]]\nid = "shock"\ndate = 2024-01-01\nkind = "capacity_shock"\n'
        'power = "RUS"\ndomain = "security"\nfactor = 0.75\n',
        name="parent.toml",
    )
    child = tmp_path / "child.toml"
    child.write_text(
        f'name = "child"\nextends = "{parent.name}"\n[[events]]\nid = "shock"\nfactor = 0.5\n'
    )
    events = [e for e in load_scenario(child).events if e.id == "shock"]
    assert [e.factor for e in events] == [0.5]


def test_one_setter_same_messages_for_set_keywords_and_events() -> None:
    from multipolar.config import override

    base = load_scenario()
    with pytest.raises(ScenarioError) as by_keyword:
        override(base, {"alignment__rate": "0.2"})
    with pytest.raises(ScenarioError) as by_event:
        with_value(base, "alignment.rate", "0.2")
    by_set = set_problems("alignment.rate='0.2'")
    message = by_set[0].split(": ", 1)[1]
    assert str(by_keyword.value) == f"override alignment.rate: {message}"
    assert str(by_event.value) == f"parameter_change: alignment.rate: {message}"


def test_bundled_scenario_by_name_without_toml() -> None:
    assert load_scenario("ukraine_war_drain").name == "ukraine_war_drain"


def test_fragments_validate_on_their_own_and_empty_files_do_not(tmp_path: Path) -> None:
    from multipolar.config import validate_fragment

    facts = default_scenario_path().parent / "data" / "central_asia_facts_2023.toml"
    assert validate_fragment(facts) is True
    assert validate_fragment(default_scenario_path()) is False
    bad = tmp_path / "fragment.toml"
    bad.write_text("[alignment]\nrate = 2.0\n")
    with pytest.raises(ScenarioError) as caught:
        validate_fragment(bad)
    assert [str(p) for p in caught.value.problems] == [
        f"{bad}: alignment.rate: input should be less than or equal to 1"
    ]
    empty = tmp_path / "empty.toml"
    empty.write_text("# nothing\n")
    with pytest.raises(ScenarioError, match="empty"):
        validate_fragment(empty)


def test_sizes_of_one_powers_instruments_share_a_unit(tmp_path: Path) -> None:
    path = variant(
        tmp_path,
        """
        [[bases]]
        id = "priced"
        name = "A base sized in dollars"
        power = "RUS"
        host = "KGZ"
        lon = 74.5
        lat = 42.8
        opened = 2003-10-23
        size = { value = 1.0, unit = "usd_bn", year = 2020, source = "test" }
        """,
    )
    lines = problems(path)
    assert len(lines) == 1 and ".size.unit: 'usd_bn' differs from 'troops'" in lines[0]
    assert lines[0].startswith(f"{path}: bases.")
