"""Store fixtures: a store on a temporary file with a clock the test moves, real decisions
from the engine, and ways to look at the file underneath."""

from __future__ import annotations

import copy
import json
import re
from datetime import datetime, timedelta
from pathlib import Path

import pytest
import sqlite_utils

from tfp_rules.evaluate import decide
from tfp_rules.facts import parse_facts
from tfp_rules.library import RulesetLibrary
from tfp_rules.store import (
    Store,
)

from ..conftest import DATA, NATIONAL_YAML
from ..published import publish_all

ROOT = Path(__file__).parent.parent.parent
EXAMPLE = json.loads((DATA / "example_facts.json").read_text())
TIMESTAMP = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$")
TABLES = {
    "schema_version",
    "clients",
    "api_keys",
    "decisions",
    "decision_payloads",
    "reviews",
    "idempotency",
    "audit",
    "progress",
    "progress_payloads",
    "progress_reviews",
    "progress_idempotency",
    "claims",
    "claim_payloads",
}


class Clock:
    """A clock the test moves: each reading is `step` after the last."""

    def __init__(self, start: str = "2026-11-25T09:00:00+00:00", step: timedelta | None = None):
        self.now = datetime.fromisoformat(start)
        self.step = timedelta(seconds=1) if step is None else step

    def __call__(self) -> datetime:
        self.now += self.step
        return self.now


@pytest.fixture(scope="module")
def rulesets(tmp_path_factory) -> RulesetLibrary:
    """The national ruleset, a later national version and a local one, for ruleset filters."""
    directory = tmp_path_factory.mktemp("rulesets")
    text = NATIONAL_YAML.read_text()
    (directory / "national").mkdir()
    (directory / "national" / "2015.1.yaml").write_text(text)
    later = text.replace('version: "2015.1"', 'version: "2019.1"').replace(
        "effective_from: 2015-04-01", "effective_from: 2019-04-01"
    )
    assert later != text
    (directory / "national" / "2019.1.yaml").write_text(later)
    (directory / "stockton").mkdir()
    (directory / "stockton" / "2015.1.yaml").write_text(
        text.replace("ruleset: national", "ruleset: stockton", 1)
    )
    return RulesetLibrary.from_directory(publish_all(directory))


def family(ref: str = "STK-2019-000123", on: str = "2019-03-31", *, eligible: bool = True) -> dict:
    """The facts.md example under another reference and date; stripped bare if not eligible."""
    doc = copy.deepcopy(EXAMPLE)
    doc["family_ref"] = ref
    doc["assessment_date"] = on
    if not eligible:
        doc["household"] = {"events": []}
        doc["judgements"] = []
        for member in doc["members"]:
            member["events"] = []
            member["flags"] = {}
            member.pop("benefits", None)
            member.pop("school", None)
    return doc


@pytest.fixture(scope="module")
def make(rulesets):
    """make(facts, ruleset=None) -> (decision, facts): a real decision from the engine."""

    def make(doc: dict | None = None, ruleset: str | None = "national@2015.1"):
        doc = family() if doc is None else doc
        return decide(rulesets, parse_facts(doc), ruleset), doc

    return make


@pytest.fixture
def db_path(tmp_path) -> Path:
    return tmp_path / "var" / "tfp.sqlite"


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def store(db_path, clock):
    with Store(db_path, clock=clock) as s:
        yield s


@pytest.fixture
def submitter(store):
    return store.create_key("submitter", "partner system")[0]


@pytest.fixture
def reviewer(store):
    return store.create_key("reviewer", "duty manager")[0]


def raw(path: Path) -> sqlite_utils.Database:
    return sqlite_utils.Database(path)


def file_bytes(path: Path) -> bytes:
    """The database and its WAL and shared-memory files: everything SQLite wrote."""
    return b"".join(p.read_bytes() for p in path.parent.glob(path.name + "*"))
