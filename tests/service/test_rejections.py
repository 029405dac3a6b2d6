"""Refused requests leave a bounded trail (issue 14), and a refused key is named.

Before: every request without a valid key wrote a row quoting its path, so 3,741 requests
with a 4,000-character path added 36.6 MB in 30 s. Now repeats from one address, for one
reason, within one minute are one row with a count; a row quotes at most
REJECTION_TARGET_CHARS of the request; past REJECTION_ROWS_PER_MINUTE rows a minute, new
addresses share one row. A revoked or expired key's refusal names its client and key.
"""

from __future__ import annotations

import contextlib
import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

from tfp_rules.store import ANONYMOUS, Store
from tfp_rules.store.audit import (
    OTHER_SOURCES,
    REJECTION_ROWS_PER_MINUTE,
    REJECTION_TARGET_CHARS,
    rejection_count,
)


def rejected(store: Store) -> list[dict]:
    return [r for r in store.list_audit(limit=200)[0] if r["action"] == "request.rejected"]


def file_bytes(database: str) -> int:
    """The database's size once its WAL is folded in and emptied."""
    with contextlib.closing(sqlite3.connect(database)) as db:
        db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return sum(p.stat().st_size for p in Path(database).parent.glob(Path(database).name + "*"))


def test_a_flood_of_anonymous_requests_is_one_counted_row(app, client, store):
    path = "/v1/decisions/" + "a" * 4000  # under the URI limit: refused for the missing key
    assert client.get(path).status_code == 401  # the row, and the pages it needs
    before = file_bytes(app.config["DATABASE"])
    for _ in range(999):
        assert client.get(path).status_code == 401
    grown = file_bytes(app.config["DATABASE"]) - before
    rows = rejected(store)
    assert len(rows) in (1, 2)  # two if a minute began during the flood
    assert sum(rejection_count(r["detail"]) for r in rows) == 1000
    for row in rows:
        assert (row["actor"], row["key_id"], row["status"]) == (ANONYMOUS, None, 401)
        assert row["detail"].startswith("unauthenticated; from 127.0.0.1; count ")
        assert len(row["target"]) == REJECTION_TARGET_CHARS
        assert row["target"].startswith("GET /v1/decisions/aaaa")
    assert grown < 16 * 1024, f"the file grew {grown} bytes"  # a row per request: ~4 MB


def test_each_address_and_reason_has_its_own_row(client, store):
    for address in ("192.0.2.1", "192.0.2.2", "192.0.2.1"):
        client.get("/v1/decisions", environ_base={"REMOTE_ADDR": address})
    client.get("/v1/nothing", environ_base={"REMOTE_ADDR": "192.0.2.1"})  # 404, another reason
    client.get("/v1/decisions", headers={"Authorization": "Bearer tfp_forged_key"})
    counts: dict[tuple[int, str], int] = {}
    for r in rejected(store):  # summed: a minute may begin between two requests
        reason_and_source = r["detail"].rpartition("; count ")[0]
        counts[r["status"], reason_and_source] = counts.get(
            (r["status"], reason_and_source), 0
        ) + rejection_count(r["detail"])
    assert counts == {
        (401, "unauthenticated; from 127.0.0.1"): 1,
        (401, "unauthenticated; from 192.0.2.1"): 2,
        (401, "unauthenticated; from 192.0.2.2"): 1,
        (404, "not-found; from 192.0.2.1"): 1,
    }


def refuse(store: Store, source: str) -> int:
    return store.record_rejection(
        actor=ANONYMOUS,
        status=401,
        reason="unauthenticated",
        source=source,
        target="GET /v1/decisions",
    )


def test_a_new_minute_starts_a_new_row(tmp_path):
    now = [datetime(2026, 12, 1, 10, 0, 58, tzinfo=UTC)]
    with Store(tmp_path / "t.sqlite", clock=lambda: now[0]) as store:
        for step in (0, 1, 1, 1):  # 10:00:58, :59, 10:01:00, :01
            now[0] += timedelta(seconds=step)
            refuse(store, "192.0.2.9")
        rows = rejected(store)
    assert [(r["at"][:19], rejection_count(r["detail"])) for r in rows] == [
        ("2026-12-01T10:01:00", 2),
        ("2026-12-01T10:00:58", 2),
    ]


def test_past_the_rows_a_minute_allows_new_addresses_share_one_row(tmp_path):
    moment = datetime(2026, 12, 1, 10, 0, 0, tzinfo=UTC)  # one minute throughout
    with Store(tmp_path / "t.sqlite", clock=lambda: moment) as store:
        for n in range(REJECTION_ROWS_PER_MINUTE + 30):
            refuse(store, f"198.51.100.{n}")
        # an address that already has its row keeps counting there
        assert refuse(store, "198.51.100.0") == 2
        rows = store.list_audit(limit=500)[0]
    assert len(rows) == REJECTION_ROWS_PER_MINUTE + 1
    assert rows[0]["detail"] == f"unauthenticated; from {OTHER_SOURCES}; count 30"


def test_a_revoked_key_is_named_with_its_client_and_refused(client, store):
    key, token = store.create_key("reviewer", "leaver")
    store.revoke_key(key.id)
    r = client.get("/v1/decisions", headers={"Authorization": f"Bearer {token}"})
    assert r.status_code == 401
    assert "revoked" in r.get_json()["detail"]
    client.get("/v1/nothing", headers={"Authorization": f"Bearer {token}"})  # 404, named too
    rows = {r["status"]: r for r in rejected(store)}
    for status in (401, 404):
        row = rows[status]
        assert (row["actor"], row["key_id"]) == (key.client_id, key.id)
        assert row["detail"] == "revoked; from 127.0.0.1; count 1"


def test_an_expired_key_is_named_with_its_client_and_refused(client, store):
    key, token = store.create_key(
        "submitter", "temp", expires_at=datetime.now(UTC) + timedelta(days=1)
    )
    store.db.execute(
        "UPDATE api_keys SET expires_at = '2000-01-01T00:00:00.000000Z' WHERE id = ?", [key.id]
    )
    r = client.get("/v1/decisions", headers={"Authorization": f"Bearer {token}"})
    assert r.status_code == 401
    assert "expired" in r.get_json()["detail"]
    [row] = rejected(store)
    assert (row["actor"], row["key_id"], row["detail"]) == (
        key.client_id,
        key.id,
        "expired; from 127.0.0.1; count 1",
    )


def test_a_forged_secret_for_a_real_key_id_names_no_one(client, store):
    key, token = store.create_key("reviewer", "leaver")
    store.revoke_key(key.id)
    forged = token[: token.rindex("_") + 1] + "not-the-secret"
    r = client.get("/v1/decisions", headers={"Authorization": f"Bearer {forged}"})
    assert r.get_json()["detail"] == "the API key is unknown"
    [row] = rejected(store)
    assert (row["actor"], row["key_id"]) == (ANONYMOUS, None)
    assert row["detail"].startswith("unauthenticated;")
