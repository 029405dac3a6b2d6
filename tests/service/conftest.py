"""Service fixtures, flaskr-style: an app on a temporary database, its test client, and one
API key per role."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from service import create_app
from service.db import close_store
from tfp_rules.library import RulesetLibrary
from tfp_rules.ruleset import DEFAULT_RULESETS_DIR
from tfp_rules.store import Store

EXAMPLE = Path(__file__).parent.parent / "data" / "example_facts.json"


@pytest.fixture
def app(tmp_path, monkeypatch, library):
    """An app on its own database. The project's rulesets are parsed and checked once per
    session (tests/conftest.py), not once per app: they are immutable once loaded."""
    load = RulesetLibrary.from_directory

    def once(directory=DEFAULT_RULESETS_DIR):
        same = Path(directory).resolve() == DEFAULT_RULESETS_DIR.resolve()
        return library if same else load(directory)

    monkeypatch.setattr(RulesetLibrary, "from_directory", once)
    app = create_app({"DATABASE": str(tmp_path / "tfp.sqlite"), "TESTING": True})
    yield app
    close_store(app)


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def store(app):
    s = Store(app.config["DATABASE"])
    yield s
    s.close()


@pytest.fixture
def keys(store) -> dict[str, str]:
    """A bearer token per role, plus a second submitter."""
    tokens = {
        role: store.create_key(role, f"test {role}")[1]
        for role in ("submitter", "reviewer", "policy_officer", "admin")
    }
    tokens["other_submitter"] = store.create_key("submitter", "another partner")[1]
    return tokens


@pytest.fixture
def auth(keys):
    def headers(role: str = "submitter", **extra: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {keys[role]}", **extra}

    return headers


@pytest.fixture
def example() -> dict:
    return json.loads(EXAMPLE.read_text())
