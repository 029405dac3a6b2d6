"""Worked example families: each `fixtures/families/*.json` against its hand-derived outcome.

Every family has an expected outcome in `fixtures/expected/<same name>.json`,
worked out by hand from `rulesets/national/2015.1.yaml` (not copied from the
engine): its status (eligible, not eligible, or undetermined while sources are
missing), which headlines are met and which unknown, and for every
indicator met, the sorted subjects that meet it ("household" for household
indicators). The "description" says what the family tests and is not compared.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tfp_rules.compile import CompiledRuleset, compile_ruleset
from tfp_rules.evaluate import evaluate
from tfp_rules.facts import parse_facts
from tfp_rules.library import RulesetLibrary

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
FAMILIES = FIXTURES / "families"
EXPECTED = FIXTURES / "expected"
FAMILY_PATHS = sorted(FAMILIES.glob("*.json"))
COMPARED = ("status", "eligible", "headlines_met", "headlines_unknown", "indicators_met")
# The expectations were worked out from this version; a later national version needs its own.
RULESET = "national@2015.1"


@pytest.fixture(scope="module")
def national() -> CompiledRuleset:
    return compile_ruleset(RulesetLibrary.from_directory().resolve(RULESET))


def _outcome(decision: dict[str, Any]) -> dict[str, Any]:
    """The parts of a decision the fixtures pin down, in the expected files' shape."""
    indicators_met = {
        indicator["id"]: sorted(indicator["met_by"])
        for headline in decision["trace"]["headlines"]
        for indicator in headline["indicators"]
        if indicator["met_by"]
    }
    return {
        "status": decision["status"],
        "eligible": decision["eligible"],
        "headlines_met": sorted(decision["headlines_met"]),
        "headlines_unknown": sorted(decision["headlines_unknown"]),
        "indicators_met": dict(sorted(indicators_met.items())),
    }


def _evaluate(compiled: CompiledRuleset, path: Path) -> dict[str, Any]:
    return _outcome(evaluate(compiled, parse_facts(path.read_text(encoding="utf-8"))))


def _expected(path: Path) -> dict[str, Any]:
    data = json.loads((EXPECTED / path.name).read_text(encoding="utf-8"))
    return {key: data[key] for key in COMPARED}


def _differences(expected: dict[str, Any], actual: dict[str, Any]) -> list[str]:
    """One line per disagreement, naming the field and both values."""
    lines = []
    for key in ("status", "eligible", "headlines_met", "headlines_unknown"):
        if expected[key] != actual[key]:
            lines.append(f"{key}: expected {expected[key]!r}, got {actual[key]!r}")
    want, got = expected["indicators_met"], actual["indicators_met"]
    for indicator in sorted(set(want) | set(got)):
        if indicator not in got:
            lines.append(f"{indicator}: expected met by {want[indicator]}, but not met")
        elif indicator not in want:
            lines.append(f"{indicator}: expected not met, but met by {got[indicator]}")
        elif want[indicator] != got[indicator]:
            lines.append(f"{indicator}: expected met by {want[indicator]}, got {got[indicator]}")
    return lines


@pytest.mark.parametrize("path", FAMILY_PATHS, ids=lambda p: p.stem)
def test_family_outcome(national: CompiledRuleset, path: Path) -> None:
    expected = _expected(path)
    actual = _evaluate(national, path)
    problems = _differences(expected, actual)
    if problems:
        pytest.fail(
            f"{path.name} disagrees with fixtures/expected/{path.name}:\n  "
            + "\n  ".join(problems),
            pytrace=False,
        )


def test_every_family_has_an_expected_outcome_and_vice_versa() -> None:
    families = {p.name for p in FAMILY_PATHS}
    expected = {p.name for p in EXPECTED.glob("*.json")}
    assert len(families) >= 24, f"only {len(families)} fixture families"
    assert not families - expected, (
        f"families without an expected file: {sorted(families - expected)}"
    )
    assert not expected - families, (
        f"expected files without a family: {sorted(expected - families)}"
    )


def test_expected_files_are_well_formed() -> None:
    for path in sorted(EXPECTED.glob("*.json")):
        data = json.loads(path.read_text(encoding="utf-8"))
        assert set(data) == {"description", *COMPARED}, path.name
        assert isinstance(data["description"], str) and data["description"], path.name
        assert data["headlines_met"] == sorted(data["headlines_met"]), path.name
        heads = sorted({indicator.split(".")[0] for indicator in data["indicators_met"]})
        assert data["headlines_met"] == heads, f"{path.name}: headlines do not match indicators"
        for indicator, refs in data["indicators_met"].items():
            assert refs and refs == sorted(refs), f"{path.name}: {indicator} refs empty or unsorted"


def test_every_national_indicator_is_met_and_not_met_somewhere(national: CompiledRuleset) -> None:
    ids = [indicator.id for indicator in national.ruleset.indicators]
    met_in: dict[str, set[str]] = {i: set() for i in ids}
    for path in FAMILY_PATHS:
        for indicator in _expected(path)["indicators_met"]:
            assert indicator in met_in, f"{path.name}: {indicator} is not a national indicator"
            met_in[indicator].add(path.stem)
    never_met = [i for i in ids if not met_in[i]]
    always_met = [i for i in ids if len(met_in[i]) == len(FAMILY_PATHS)]
    assert not never_met, f"indicators met by no fixture: {never_met}"
    assert not always_met, f"indicators met by every fixture: {always_met}"
