"""Shared fixtures: the project's rulesets, the compiled national ruleset, the facts.md example."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tfp_rules.compile import CompiledRuleset, compile_ruleset
from tfp_rules.facts import FamilyFacts, parse_facts
from tfp_rules.library import RulesetLibrary
from tfp_rules.privacy.datakeys import DEV_MODE_ENV, KEY_FILE_ENV, DataKeys
from tfp_rules.ruleset import Ruleset

DATA = Path(__file__).parent / "data"
NATIONAL_YAML = Path(__file__).parent.parent / "rulesets" / "national" / "2015.1.yaml"


def paths_in(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every path to a value inside a JSON value, itself (the empty path) included; the
    places a mutation strategy may edit."""
    found = [prefix]
    if isinstance(value, dict):
        for key, item in value.items():
            found += paths_in(item, (*prefix, key))
    elif isinstance(value, list):
        for i, item in enumerate(value):
            found += paths_in(item, (*prefix, i))
    return found


@pytest.fixture(scope="session", autouse=True)
def data_key_file(tmp_path_factory) -> Any:
    """Every store the suite opens (directly, in the service, in `tfp` and in servers it
    starts) seals personal data, as in production: a key file named in the environment."""
    path = tmp_path_factory.mktemp("keys") / "data-keys.json"
    DataKeys.generate().save(path)
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv(KEY_FILE_ENV, str(path))
        patch.delenv(DEV_MODE_ENV, raising=False)
        yield path


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
