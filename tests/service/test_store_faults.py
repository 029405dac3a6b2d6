"""Storage faults through the API: a full disk or a read-only database mid-request is a 503
`store-unavailable` problem, nothing half-written is left, and the first request after the
fault clears succeeds on the same kept connection (nothing needs restarting)."""

from __future__ import annotations

import json

import pytest

from service import db
from tfp_rules.store import Store

from ..store.faults import cleared, consistent, disk_full, read_only

FAULTS = {"disk full": disk_full, "read-only": read_only}


class Fault:
    """`fault.now = "disk full"` (or "read-only", or None) applies to the service's store (kept
    by each worker process), as a disk filling up or a remount would, and clears it."""

    def __init__(self, app):
        self.app = app
        self._now: str | None = None

    @property
    def now(self) -> str | None:
        return self._now

    @now.setter
    def now(self, kind: str | None) -> None:
        with self.app.app_context():
            kept = db.get_store()
        cleared(kept)
        if kind is not None:
            FAULTS[kind](kept)
        self._now = kind


@pytest.fixture
def fault(app) -> Fault:
    return Fault(app)


def assert_unavailable(response) -> None:
    assert response.status_code == 503, response.get_data(as_text=True)
    assert response.mimetype == "application/problem+json"
    body = response.get_json()
    assert body["type"].endswith("/store-unavailable") and body["status"] == 503
    assert "Traceback" not in response.get_data(as_text=True)
    assert "sqlite" not in response.get_data(as_text=True).lower()  # no internals either


def evaluate(client, auth, doc, **headers):
    return client.post(
        "/v1/evaluations",
        data=json.dumps(doc),
        headers=auth(**headers),
        content_type="application/json",
    )


def counts(store: Store) -> dict[str, int]:
    return {t: store.db[t].count for t in ("decisions", "decision_payloads", "idempotency")}


@pytest.mark.parametrize("kind", FAULTS)
def test_an_evaluation_during_a_fault_is_503_stores_nothing_and_the_next_one_succeeds(
    client, auth, example, store, fault, kind
):
    fault.now = kind
    assert_unavailable(evaluate(client, auth, example, **{"Idempotency-Key": "mis-000123"}))
    assert counts(store) == {"decisions": 0, "decision_payloads": 0, "idempotency": 0}
    assert [a for a in store.list_audit()[0] if a["action"] == "decision.create"] == []
    consistent(store.path)
    fault.now = None
    again = evaluate(client, auth, example, **{"Idempotency-Key": "mis-000123"})
    assert again.status_code == 201 and "Idempotent-Replayed" not in again.headers
    assert counts(store) == {"decisions": 1, "decision_payloads": 1, "idempotency": 1}
    stored = store.get_decision(again.get_json()["id"], trace="compact")
    assert stored.decision["trace"] == again.get_json()["trace"]
    consistent(store.path)


@pytest.mark.parametrize("kind", FAULTS)
def test_facts_added_during_a_fault_are_503_and_the_chain_is_unchanged(
    client, auth, example, store, fault, kind
):
    first = evaluate(client, auth, example).get_json()
    update = {"sources_checked": {"dwp": "2019-04-02"}}
    url = f"/v1/decisions/{first['id']}/facts"
    fault.now = kind
    assert_unavailable(client.post(url, json=update, headers=auth()))
    assert counts(store)["decisions"] == 1
    assert store.get_decision(first["id"]).superseded_by is None
    fault.now = None
    later = client.post(url, json=update, headers=auth())
    assert later.status_code == 201
    assert store.get_decision(first["id"]).superseded_by == later.get_json()["id"]
    consistent(store.path)


def test_a_review_on_a_read_only_store_is_503_and_is_taken_after(
    client, auth, example, store, fault
):
    made = evaluate(client, auth, example).get_json()
    url = f"/v1/decisions/{made['id']}/reviews"
    body = {"verdict": "override", "eligible": False, "reason": "Family left the area"}
    fault.now = "read-only"
    assert_unavailable(client.post(url, json=body, headers=auth("reviewer")))
    assert store.get_decision(made["id"]).reviews == []
    fault.now = None
    assert client.post(url, json=body, headers=auth("reviewer")).status_code == 201
    assert len(store.get_decision(made["id"]).reviews) == 1


@pytest.mark.parametrize(
    "path", ["/v1/decisions/{id}", "/v1/decisions/{id}?format=text", "/v1/decisions"]
)
def test_a_read_that_cannot_be_audited_is_not_served(client, auth, example, store, fault, path):
    """Every read leaves an audit row; while none can be written, reads answer 503 rather
    than show personal data no one will know was seen."""
    made = evaluate(client, auth, example).get_json()
    url = path.format(id=made["id"])
    fault.now = "read-only"
    response = client.get(url, headers=auth("reviewer"))
    assert_unavailable(response)
    assert made["family_ref"] not in response.get_data(as_text=True)
    fault.now = None
    assert client.get(url, headers=auth("reviewer")).status_code == 200
    reads = [a for a in store.list_audit()[0] if a["action"] in ("decision.read", "decision.list")]
    assert len(reads) == 1  # the read served, and only it
