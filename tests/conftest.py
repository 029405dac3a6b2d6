"""Shared fixtures: the project's rulesets, the compiled national ruleset, the facts.md example."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tfp_rules.compile import CompiledRuleset, compile_ruleset
from tfp_rules.facts import FamilyFacts, parse_facts
from tfp_rules.ruleset import Ruleset, RulesetLibrary

DATA = Path(__file__).parent / "data"
NATIONAL_YAML = Path(__file__).parent.parent / "rulesets" / "national" / "2015.1.yaml"


@pytest.fixture(scope="session")
def library() -> RulesetLibrary:
    return RulesetLibrary.from_directory()


@pytest.fixture(scope="session")
def national(library: RulesetLibrary) -> Ruleset:
    return library.resolve("national@2015.1")


@pytest.fixture(scope="session")
def compiled(national: Ruleset) -> CompiledRuleset:
    return compile_ruleset(national)


@pytest.fixture
def example_doc() -> dict:
    return json.loads((DATA / "example_facts.json").read_text())


@pytest.fixture
def example_facts(example_doc: dict) -> FamilyFacts:
    return parse_facts(example_doc)
