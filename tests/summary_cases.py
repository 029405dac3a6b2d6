"""Every family the project has facts for, for checking the summary's words: the fixture
families, the progress fixtures' entry facts, and the inline cases of every
ruleset's tests files (national and local)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

from tfp_rules.library import RulesetLibrary
from tfp_rules.policy.cases import find_tests, load_tests_file

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "fixtures"


def fixture_documents(library: RulesetLibrary) -> Iterator[tuple[str, Any]]:
    """(a name, a facts document or its bytes) for every family in `fixtures/` and in the
    ruleset tests files."""
    for path in sorted((FIXTURES / "families").glob("*.json")):
        yield f"families/{path.stem}", path.read_bytes()
    for path in sorted((FIXTURES / "progress").glob("*/entry.json")):
        yield f"progress/{path.parent.name}", path.read_bytes()
    for rs in library:
        for tests in find_tests(rs):
            for case in load_tests_file(tests, library, rs).cases:
                if not case.facts_from:  # the fixture families are above
                    yield f"{rs.ref}/{case.name}", case.facts
