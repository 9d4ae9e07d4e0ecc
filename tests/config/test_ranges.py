"""Every numeric scenario key has a documented range, and the documentation is current."""

from __future__ import annotations

from pathlib import Path

from multipolar.config.ranges import UNBOUNDED_BY_DESIGN, numeric_keys, render_markdown

DOC = Path(__file__).resolve().parents[2] / "docs" / "scenario-ranges.md"


def test_every_numeric_key_has_a_lower_and_an_upper_bound() -> None:
    keys = numeric_keys()
    assert len(keys) > 40
    unbounded = [k.key for k in keys if not k.bounded and k.key not in UNBOUNDED_BY_DESIGN]
    assert unbounded == [], "give these keys a range in config/schema.py"


def test_every_numeric_key_is_strict() -> None:
    loose = [k.key for k in numeric_keys() if not k.strict]
    assert loose == [], "add strict=True: a quoted '0.2' or true must not pass for a number"


def test_ranges_are_read_from_the_schema() -> None:
    by_key = {k.key: k for k in numeric_keys()}
    conductance = by_key["geography.conductance.open_land"]
    assert (conductance.lower, conductance.upper) == ("> 0", "<= 1")
    assert by_key["diffusion.substeps"].upper == "<= 10000"
    assert by_key["run.seed"].upper == f"< {2**63}"


def test_the_documentation_matches_the_schema() -> None:
    assert DOC.read_text(encoding="utf-8") == render_markdown(), (
        "regenerate: python -m multipolar.config.ranges > docs/scenario-ranges.md"
    )
