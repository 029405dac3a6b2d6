"""The audit trail: every write leaves a row, with no personal data in it."""

from __future__ import annotations

import json

from .conftest import TIMESTAMP


def test_every_write_leaves_an_audit_row(store, make, submitter, reviewer):
    decision, facts = make()
    saved, _ = store.save_decision(decision, facts, submitted_by=submitter.id, idempotency_key="x")
    store.save_decision(decision, facts, submitted_by=submitter.id, idempotency_key="x")
    store.add_review(saved.id, verdict="override", eligible=False, reason="r", reviewer=reviewer.id)
    store.audit(actor=reviewer.id, action="decision.read", target=saved.id, status=200)
    store.audit(actor=None, action="auth.reject", status=401, detail="unknown token")

    rows = store.list_audit(target=saved.id)
    assert [(r["action"], r["actor"], r["status"]) for r in rows] == [
        ("decision.read", reviewer.id, 200),
        ("review.create", reviewer.id, None),
        ("decision.replay", submitter.id, None),
        ("decision.create", submitter.id, None),
    ]
    assert rows[1]["detail"] == "override eligible=false"
    assert rows[3]["detail"] == "national@2015.1 eligible=true"
    assert all(TIMESTAMP.match(r["at"]) for r in rows)
    assert [r["action"] for r in store.list_audit(actor=reviewer.id)] == [
        "decision.read",
        "review.create",
    ]
    newest = store.list_audit(limit=2)
    assert [r["action"] for r in newest] == ["auth.reject", "decision.read"]
    assert newest[0]["detail"] == "unknown token"
    # the audit trail holds no personal data from the facts or the review's reason
    assert "STK-2019-000123" not in json.dumps(store.list_audit(limit=1000))
