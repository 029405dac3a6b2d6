"""The audit trail: every write leaves a row naming its actor, key and outcome, with no
personal data in it; read back with filters and a cursor; `tfp audit list`."""

from __future__ import annotations

import getpass
import json
from datetime import UTC, datetime

import pytest
from click.testing import CliRunner

from tfp_rules.cli import main
from tfp_rules.store import ACTIONS, Store

from .conftest import TIMESTAMP, Clock


def test_every_write_leaves_an_audit_row_naming_actor_key_and_outcome(
    store, make, submitter, reviewer
):
    decision, facts = make()
    saved, _ = store.save_decision(
        decision, facts, submitted_by=submitter.client_id, key_id=submitter.id, idempotency_key="x"
    )
    store.save_decision(
        decision, facts, submitted_by=submitter.client_id, key_id=submitter.id, idempotency_key="x"
    )
    store.add_review(
        saved.id,
        verdict="override",
        eligible=False,
        reason="family moved to STK-2019-000123's aunt",
        reviewer=reviewer.client_id,
        key_id=reviewer.id,
    )
    store.audit(actor=reviewer.client_id, action="decision.read", target=saved.id, status=200)
    store.audit(actor="anonymous", action="request.rejected", status=401, detail="unauthenticated")

    rows, _ = store.list_audit(target=saved.id)
    assert [(r["action"], r["actor"], r["key_id"], r["status"]) for r in rows] == [
        ("decision.read", reviewer.client_id, None, 200),
        ("review.create", reviewer.client_id, reviewer.id, 201),
        ("decision.replay", submitter.client_id, submitter.id, 200),
        ("decision.create", submitter.client_id, submitter.id, 201),
    ]
    assert rows[1]["detail"] == "override eligible=false"
    assert rows[3]["detail"] == "national@2015.1 status=eligible"
    assert all(TIMESTAMP.match(r["at"]) for r in rows)
    by_reviewer, _ = store.list_audit(actor=reviewer.client_id)
    assert [r["action"] for r in by_reviewer] == ["decision.read", "review.create"]
    newest, _ = store.list_audit(limit=2)
    assert [r["action"] for r in newest] == ["request.rejected", "decision.read"]
    assert newest[0]["detail"] == "unauthenticated"
    everything, _ = store.list_audit(limit=1000)
    assert all(r["actor"] and r["status"] for r in everything)
    # no personal data from the facts, the family reference or the review's reason
    assert "STK-2019-000123" not in json.dumps(everything)
    assert "aunt" not in json.dumps(everything)


def test_library_key_actions_name_the_local_user(store):
    key, _ = store.create_key("admin", "ops")
    store.revoke_key(key.id)
    actors = {r["actor"] for r in store.list_audit()[0]}
    assert actors == {f"library:{getpass.getuser()}"}


@pytest.mark.parametrize(
    ("row", "message"),
    [
        ({"actor": "", "action": "decision.read", "status": 200}, "names its actor"),
        ({"actor": "k1", "action": "decision.peek", "status": 200}, "unknown audit action"),
        ({"actor": "k1", "action": "decision.read", "status": None}, "as an HTTP status"),
        ({"actor": "k1", "action": "decision.read", "status": 42}, "as an HTTP status"),
    ],
    ids=["no-actor", "unknown-action", "no-status", "not-a-status"],
)
def test_an_audit_row_without_actor_known_action_or_status_is_refused(store, row, message):
    with pytest.raises(ValueError, match=message):
        store.audit(**row)
    assert store.list_audit()[0] == []


@pytest.fixture
def trail(db_path):
    """Audit rows on three days by two actors."""
    clock = Clock(start="2026-03-01T09:00:00+00:00")
    with Store(db_path, clock=clock) as store:
        for at, actor, action, target in [
            ("2026-03-01T10:00:00", "a", "decision.create", "d1"),
            ("2026-03-01T11:00:00", "b", "decision.read", "d1"),
            ("2026-03-02T10:00:00", "a", "decision.read", "d2"),
            ("2026-03-03T10:00:00", "b", "review.create", "d1"),
            ("2026-03-03T12:00:00", "a", "decision.list", None),
        ]:
            clock.now = datetime.fromisoformat(at).replace(tzinfo=UTC) - clock.step
            store.audit(actor=actor, action=action, target=target, status=200)
        yield store


def targets(store, **filters) -> list:
    rows, cursor = store.list_audit(**filters)
    assert cursor is None
    return [(r["actor"], r["action"], r["target"]) for r in rows]


def test_the_trail_is_filtered_by_actor_action_decision_and_time(trail):
    assert [t for _, _, t in targets(trail, actor="a")] == [None, "d2", "d1"]
    assert targets(trail, action="decision.read") == [
        ("a", "decision.read", "d2"),
        ("b", "decision.read", "d1"),
    ]
    assert [a for _, a, _ in targets(trail, target="d1")] == [
        "review.create",
        "decision.read",
        "decision.create",
    ]
    assert len(targets(trail, at_from="2026-03-02")) == 3
    assert len(targets(trail, at_to="2026-03-02")) == 3  # the whole day
    assert len(targets(trail, at_from="2026-03-01T10:30:00Z", at_to="2026-03-02")) == 2
    assert targets(trail, actor="b", at_from="2026-03-03", action="review.create") == [
        ("b", "review.create", "d1")
    ]
    with pytest.raises(ValueError, match="from: not an ISO 8601"):
        trail.list_audit(at_from="yesterday")


def test_the_trail_pages_with_a_cursor(trail):
    seen, cursor, pages = [], None, 0
    while True:
        rows, cursor = trail.list_audit(limit=2, cursor=cursor)
        seen += [r["id"] for r in rows]
        pages += 1
        if cursor is None:
            break
    assert pages == 3 and seen == sorted(seen, reverse=True) and len(set(seen)) == 5
    for bad in ("nope", "WyJ4Il0"):  # not base64 JSON; ["x"]
        with pytest.raises(ValueError, match="invalid cursor"):
            trail.list_audit(cursor=bad)


def test_every_action_the_code_writes_is_a_known_action():
    assert len(set(ACTIONS)) == len(ACTIONS)
    assert all(a.count(".") == 1 for a in ACTIONS)


def test_cli_audit_list_prints_tab_separated_rows_and_is_itself_audited(trail, db_path):
    trail.close()
    runner = CliRunner()
    result = runner.invoke(
        main, ["audit", "list", "--actor", "b", "--from", "2026-03-01", "--database", str(db_path)]
    )
    assert result.exit_code == 0, result.stderr
    lines = [line.split("\t") for line in result.stdout.splitlines()]
    assert [line[1:] for line in lines] == [
        ["b", "-", "review.create", "d1", "200", "-"],
        ["b", "-", "decision.read", "d1", "200", "-"],
    ]
    assert all(TIMESTAMP.match(line[0]) for line in lines)
    with Store(db_path) as store:
        [read] = store.list_audit(limit=1)[0]
    assert (read["actor"], read["action"], read["status"], read["detail"]) == (
        f"cli:{getpass.getuser()}",
        "audit.list",
        200,
        "actor,from",
    )
    only = runner.invoke(
        main, ["audit", "list", "--decision", "d2", "--limit", "1", "--database", str(db_path)]
    )
    assert only.exit_code == 0 and only.stdout.count("\n") == 1 and "\td2\t" in only.stdout
    limited = runner.invoke(main, ["audit", "list", "--limit", "1", "--database", str(db_path)])
    assert "more rows" in limited.stderr
    bad = runner.invoke(main, ["audit", "list", "--to", "soon", "--database", str(db_path)])
    assert bad.exit_code == 1 and bad.stderr.startswith("error: to: not an ISO 8601")
    wrong = runner.invoke(main, ["audit", "list", "--action", "x", "--database", str(db_path)])
    assert wrong.exit_code == 2
