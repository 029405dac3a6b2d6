"""Per-client rate limits (issue 14): over the limit is 429 problem+json with Retry-After;
the limit belongs to the client (all its keys), not to a key or an address."""

from __future__ import annotations

from pathlib import Path

import pytest

from service import DEFAULT_RATE_LIMIT, create_app
from tfp_rules.library import RulesetLibrary
from tfp_rules.ruleset import DEFAULT_RULESETS_DIR
from tfp_rules.store import Store
from tfp_rules.store.audit import rejection_count


@pytest.fixture
def limited(tmp_path, monkeypatch, library):
    """An app allowing 3 requests a minute per client, and a store on its database."""
    load = RulesetLibrary.from_directory
    monkeypatch.setattr(
        RulesetLibrary,
        "from_directory",
        lambda d=DEFAULT_RULESETS_DIR: library if Path(d) == DEFAULT_RULESETS_DIR else load(d),
    )
    app = create_app(
        {"DATABASE": str(tmp_path / "tfp.sqlite"), "TESTING": True, "RATE_LIMIT": "3 per minute"}
    )
    with Store(app.config["DATABASE"]) as store:
        yield app.test_client(), store


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_over_the_limit_is_429_problem_json_with_retry_after(limited):
    client, store = limited
    token = store.create_key("reviewer", "busy team")[1]
    for _ in range(3):
        assert client.get("/v1/rulesets", headers=bearer(token)).status_code == 200
    r = client.get("/v1/decisions", headers=bearer(token))  # any route: one limit per client
    assert r.status_code == 429
    assert r.mimetype == "application/problem+json"
    body = r.get_json()
    assert body["type"].endswith("/too-many-requests")
    assert body["status"] == 429
    assert "3 per 1 minute" in body["detail"]
    assert 1 <= int(r.headers["Retry-After"]) <= 61  # the window, rounded up
    assert r.headers["Cache-Control"] == "no-store"


def test_the_limit_is_the_clients_across_its_keys_and_no_one_elses(limited):
    client, store = limited
    first = store.create_key("submitter", "school-mis")[1]
    second = store.create_key("submitter", "school-mis")[1]  # the same client, another key
    other = store.create_key("submitter", "police-feed")[1]
    for token in (first, second, first):
        assert client.get("/v1/rulesets", headers=bearer(token)).status_code == 200
    assert client.get("/v1/rulesets", headers=bearer(second)).status_code == 429
    assert client.get("/v1/rulesets", headers=bearer(other)).status_code == 200
    # Public routes and anonymous callers are not counted against anyone.
    for _ in range(5):
        assert client.get("/healthz").status_code == 200
        assert client.get("/v1/rulesets").status_code == 401


def test_refusals_at_the_limit_are_audited_in_bounded_space(limited):
    client, store = limited
    key, token = store.create_key("reviewer", "hammering client")
    for _ in range(3):
        client.get("/v1/rulesets", headers=bearer(token))
    for _ in range(50):
        assert client.get("/v1/rulesets", headers=bearer(token)).status_code == 429
    [row] = [r for r in store.list_audit(limit=200)[0] if r["status"] == 429]
    assert (row["actor"], row["key_id"], row["action"]) == (
        key.client_id,
        key.id,
        "request.rejected",
    )
    assert row["detail"].startswith("too-many-requests; from 127.0.0.1;")
    assert rejection_count(row["detail"]) == 50


def test_the_default_limit_is_the_documented_one(tmp_path, monkeypatch, library):
    monkeypatch.setattr(RulesetLibrary, "from_directory", lambda *a: library)
    monkeypatch.delenv("TFP_RATE_LIMIT", raising=False)
    app = create_app({"DATABASE": str(tmp_path / "tfp.sqlite")})
    assert app.config["RATE_LIMIT"] == DEFAULT_RATE_LIMIT == "20 per second;600 per minute"
    monkeypatch.setenv("TFP_RATE_LIMIT", "5 per second")
    assert create_app({"DATABASE": str(tmp_path / "tfp.sqlite")}).config["RATE_LIMIT"] == (
        "5 per second"
    )
