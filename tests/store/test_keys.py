"""Clients and their API keys, and `tfp keys`: tokens shown once and stored hashed, one role
per client, several keys per client, rotation with a grace period, expiry, revocation."""

from __future__ import annotations

import getpass
import hashlib
import re
from datetime import UTC, datetime, timedelta

import pytest
from click.testing import CliRunner

from tfp_rules.cli import main
from tfp_rules.store import (
    ROLES,
    ClientRoleError,
    KeyStateError,
    NotFoundError,
    Store,
)

from .conftest import TIMESTAMP, Clock, file_bytes, raw


def test_a_key_authenticates_with_its_token_until_revoked(store):
    key, token = store.create_key("reviewer", "duty manager")
    assert token.startswith(f"tfp_{key.id}_")
    assert len(token) > len(f"tfp_{key.id}_") + 40
    assert (key.role, key.name, key.revoked_at, key.expires_at) == (
        "reviewer",
        "duty manager",
        None,
        None,
    )
    assert (key.state, key.active) == ("active", True)
    assert TIMESTAMP.match(key.created_at)
    assert store.authenticate(token) == key
    assert store.list_keys() == [key]

    revoked = store.revoke_key(key.id)
    assert revoked.id == key.id and TIMESTAMP.match(revoked.revoked_at)
    assert (revoked.state, revoked.active) == ("revoked", False)
    assert store.authenticate(token) is None
    assert store.list_keys() == [revoked]
    assert store.revoke_key(key.id) == revoked  # again: unchanged


def test_tokens_are_never_stored_in_clear(store, db_path):
    tokens = [store.create_key(role, f"{role} key")[1] for role in ROLES]
    stored = file_bytes(db_path)
    for token in tokens:
        assert token.encode() not in stored
        assert token.split("_", 2)[2].encode() not in stored  # nor its secret part
        assert hashlib.sha256(token.encode()).hexdigest().encode() in stored  # the scan sees data


@pytest.mark.parametrize(
    "mangle",
    [
        lambda t: t[:-1] + ("A" if t[-1] != "A" else "B"),  # wrong secret
        lambda t: t + "x",
        lambda t: t.replace("tfp_", "xyz_", 1),
        lambda t: "tfp_" + "0" * 16 + t[20:],  # another key id
        lambda t: t.rsplit("_", 1)[0],  # no secret
        lambda t: "tfp_",
        lambda t: "",
    ],
    ids=["wrong-secret", "longer", "prefix", "other-id", "no-secret", "bare-prefix", "empty"],
)
def test_a_wrong_or_malformed_token_authenticates_nobody(store, mangle):
    _, token = store.create_key("admin", "ops")
    assert store.authenticate(mangle(token)) is None


def test_unknown_role_and_missing_name_are_refused(store):
    with pytest.raises(ValueError, match="unknown role 'boss'; one of: submitter, reviewer, "):
        store.create_key("boss", "x")
    with pytest.raises(ValueError, match="needs a name"):
        store.create_key("admin", "  ")
    with pytest.raises(NotFoundError, match="no API key 'nope'"):
        store.revoke_key("nope")
    assert store.list_keys() == []


# -- clients ----------------------------------------------------------------------------------


def test_a_second_key_for_a_client_shares_its_identity(store):
    first, token1 = store.create_key("submitter", "school-mis")
    second, token2 = store.create_key("submitter", "School-MIS")  # names ignore ASCII case
    assert first.id != second.id
    assert first.client_id == second.client_id
    assert store.get_client(first.client_id).name == "school-mis"
    assert store.authenticate(token1).client_id == store.authenticate(token2).client_id


def test_client_names_are_read_for_many_ids_at_once(store):
    rita, _ = store.create_key("reviewer", "Rita Reviewer")
    sam, _ = store.create_key("reviewer", "Sam Senior")
    names = store.client_names([rita.client_id, sam.client_id, rita.client_id, "no-such"])
    assert names == {rita.client_id: "Rita Reviewer", sam.client_id: "Sam Senior"}
    assert store.client_names([]) == {}


def test_a_client_has_one_role(store):
    store.create_key("submitter", "school-mis")
    with pytest.raises(ClientRoleError, match="'school-mis' already exists with role submitter"):
        store.create_key("admin", "school-mis")
    assert [k.role for k in store.list_keys()] == ["submitter"]
    assert [r["action"] for r in store.list_audit()[0]] == ["key.create", "client.create"]


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("school\x00mis", "control character (U+0000)"),
        ("school\u202emis", "bidirectional control character (U+202E)"),
        ("school\nmis", "control character (U+000A)"),
        ("x" * 201, "at most 200 characters"),
    ],
    ids=["nul", "bidi-override", "newline", "too-long"],
)
def test_client_names_are_one_line_of_plain_text(store, name, message):
    with pytest.raises(ValueError, match=re.escape(message)):
        store.create_key("submitter", name)
    assert store.list_keys() == []
    assert store.list_audit()[0] == []


def test_a_key_stops_working_when_it_expires(db_path):
    clock = Clock(start="2026-11-25T09:00:00+00:00")
    with Store(db_path, clock=clock) as store:
        expiry = datetime(2026, 11, 26, tzinfo=UTC)
        key, token = store.create_key("reviewer", "temp", expires_at=expiry)
        assert key.expires_at == "2026-11-26T00:00:00.000000Z"
        assert store.authenticate(token) == key
        clock.now = expiry - timedelta(seconds=2)  # the next reading is 1 s before expiry
        assert store.authenticate(token) is not None
        clock.now = expiry - timedelta(seconds=1)  # the next reading is the expiry itself
        assert store.authenticate(token) is None
        [listed] = store.list_keys()
        assert (listed.state, listed.active) == ("expired", False)


def test_an_expiry_in_the_past_is_refused(store):
    with pytest.raises(ValueError, match="is not in the future"):
        store.create_key("reviewer", "temp", expires_at=datetime(2020, 1, 1, tzinfo=UTC))
    assert store.list_keys() == []


def test_rotating_revokes_the_old_key_and_keeps_the_client(store, make):
    old, old_token = store.create_key("submitter", "school-mis")
    saved, _ = store.save_decision(*make(), submitted_by=old.client_id)
    retired, new, new_token = store.rotate_key(old.id)
    assert (retired.id, retired.state) == (old.id, "revoked")
    assert (new.client_id, new.role, new.name, new.state) == (
        old.client_id,
        "submitter",
        "school-mis",
        "active",
    )
    assert store.authenticate(old_token) is None
    assert store.authenticate(new_token) == new
    # what the client owns does not follow the key
    page, _ = store.list_decisions(submitted_by=store.authenticate(new_token).client_id)
    assert [d.id for d in page] == [saved.id]
    rows = store.list_audit(limit=2)[0]
    assert [(r["action"], r["target"]) for r in rows] == [
        ("key.rotate", old.id),
        ("key.create", new.id),
    ]
    assert new_token not in str(rows)


def test_rotating_with_a_grace_period_lets_the_old_key_work_until_it_ends(db_path):
    clock = Clock(start="2026-11-25T09:00:00+00:00")
    with Store(db_path, clock=clock) as store:
        old, old_token = store.create_key("submitter", "school-mis")
        retired, _, new_token = store.rotate_key(old.id, keep_old_for=timedelta(hours=24))
        assert retired.state == "active" and retired.revoked_at is None
        ends = datetime.fromisoformat(retired.expires_at)
        assert timedelta(hours=23, minutes=59) < ends - clock.now <= timedelta(hours=24)
        assert store.authenticate(old_token) is not None
        assert store.authenticate(new_token) is not None
        clock.now = ends
        assert store.authenticate(old_token) is None
        assert store.authenticate(new_token) is not None


def test_a_grace_period_never_extends_a_key(db_path):
    clock = Clock(start="2026-11-25T09:00:00+00:00")
    with Store(db_path, clock=clock) as store:
        soon = datetime(2026, 11, 25, 12, tzinfo=UTC)
        old, _ = store.create_key("submitter", "school-mis", expires_at=soon)
        retired, new, _ = store.rotate_key(old.id, keep_old_for=timedelta(hours=48))
        assert retired.expires_at == "2026-11-25T12:00:00.000000Z"
        assert new.expires_at == retired.expires_at  # the new key keeps the client's terms


def test_a_revoked_key_cannot_be_rotated(store):
    old, _ = store.create_key("submitter", "school-mis")
    store.revoke_key(old.id)
    with pytest.raises(KeyStateError, match="is revoked, so there is nothing to rotate"):
        store.rotate_key(old.id)
    with pytest.raises(NotFoundError):
        store.rotate_key("nope")
    assert len(store.list_keys()) == 1


# -- tfp keys ---------------------------------------------------------------------------------


def tfp(*args: str, database: str):
    return CliRunner().invoke(main, [*args, "--database", database])


def test_cli_keys_create_list_rotate_revoke(tmp_path):
    database = str(tmp_path / "keys.sqlite")
    created = tfp("keys", "create", "--role", "reviewer", "--name", "duty", database=database)
    assert created.exit_code == 0, created.stderr
    token = created.stdout.strip()
    assert created.stdout == token + "\n"
    assert "for client 'duty'" in created.stderr
    assert "it cannot be shown again" in created.stderr
    with Store(database) as store:
        key = store.authenticate(token)
        assert (key.role, key.name) == ("reviewer", "duty")

    listed = tfp("keys", "list", database=database)
    assert listed.exit_code == 0
    [line] = listed.stdout.splitlines()
    assert line.split("\t") == [key.id, "duty", "reviewer", key.created_at, "never", "active"]
    assert token not in listed.output
    assert hashlib.sha256(token.encode()).hexdigest() not in listed.output

    rotated = tfp("keys", "rotate", key.id, "--keep-old-for", "2", database=database)
    assert rotated.exit_code == 0, rotated.stderr
    new_token = rotated.stdout.strip()
    assert rotated.stdout == new_token + "\n"
    assert f"old key {key.id} expires 20" in rotated.stderr
    with Store(database) as store:
        new = store.authenticate(new_token)
        assert new.client_id == key.client_id and store.authenticate(token) is not None

    revoked = tfp("keys", "revoke", key.id, database=database)
    assert revoked.exit_code == 0, revoked.stderr
    listed = tfp("keys", "list", database=database)
    states = {row.split("\t")[0]: row.split("\t")[-1] for row in listed.stdout.splitlines()}
    assert states == {key.id: "revoked", new.id: "active"}
    with Store(database) as store:
        assert store.authenticate(token) is None
        actions = [(r["action"], r["actor"]) for r in store.list_audit()[0]]
    me = f"cli:{getpass.getuser()}"
    assert actions == [
        ("key.revoke", me),
        ("key.rotate", me),
        ("key.create", me),
        ("key.create", me),
        ("client.create", me),
    ]


def test_cli_keys_create_with_an_expiry(tmp_path):
    database = str(tmp_path / "keys.sqlite")
    created = tfp(
        "keys", "create", "--role", "admin", "--name", "ops", "--expires", "2999-01-31",
        database=database,
    )  # fmt: skip
    assert created.exit_code == 0, created.stderr
    assert "expires 2999-01-31T00:00:00.000000Z" in created.stderr
    [line] = tfp("keys", "list", database=database).stdout.splitlines()
    assert line.split("\t")[4:] == ["2999-01-31T00:00:00.000000Z", "active"]


def test_cli_keys_rotate_revokes_now_by_default(tmp_path):
    database = str(tmp_path / "keys.sqlite")
    token = tfp("keys", "create", "--role", "admin", "--name", "ops", database=database).stdout
    with Store(database) as store:
        key = store.authenticate(token.strip())
    rotated = tfp("keys", "rotate", key.id, database=database)
    assert rotated.exit_code == 0, rotated.stderr
    assert f"old key {key.id} revoked 20" in rotated.stderr
    with Store(database) as store:
        assert store.authenticate(token.strip()) is None


def test_cli_keys_errors(tmp_path):
    database = str(tmp_path / "keys.sqlite")
    bad_role = tfp("keys", "create", "--role", "boss", "--name", "x", database=database)
    assert bad_role.exit_code == 2
    assert "'boss' is not one of 'submitter', 'reviewer', 'policy_officer', 'admin'" in (
        bad_role.stderr
    )
    unknown = tfp("keys", "revoke", "nope", database=database)
    assert unknown.exit_code == 1
    assert unknown.stderr == "error: no API key 'nope'\n"
    assert tfp("keys", "rotate", "nope", database=database).stderr == "error: no API key 'nope'\n"

    first = tfp("keys", "create", "--role", "submitter", "--name", "mis", database=database)
    assert first.exit_code == 0, first.stderr
    other_role = tfp("keys", "create", "--role", "admin", "--name", "mis", database=database)
    assert other_role.exit_code == 1
    assert other_role.stderr.startswith("error: client 'mis' already exists with role submitter")
    control = tfp("keys", "create", "--role", "admin", "--name", "a\x1bb", database=database)
    assert control.exit_code == 1
    assert control.stderr.startswith("error: client name contains a control character (U+001B)")
    past = tfp(
        "keys", "create", "--role", "admin", "--name", "ops", "--expires", "2001-01-01",
        database=database,
    )  # fmt: skip
    assert past.exit_code == 1 and "not in the future" in past.stderr
    bad_date = tfp(
        "keys", "create", "--role", "admin", "--name", "ops", "--expires", "tomorrow",
        database=database,
    )  # fmt: skip
    assert bad_date.exit_code == 2
    too_long = tfp("keys", "rotate", "x", "--keep-old-for", "9999", database=database)
    assert too_long.exit_code == 2
    with Store(database) as store:
        assert [k.name for k in store.list_keys()] == ["mis"]

    newer = tmp_path / "newer.sqlite"
    Store(newer).close()
    raw(newer).execute("UPDATE schema_version SET version = 99")
    broken = CliRunner().invoke(main, ["keys", "list", "--database", str(newer)])
    assert broken.exit_code == 1 and "newer than this code knows" in broken.stderr


def test_cli_database_defaults_to_env_then_var(tmp_path, monkeypatch):
    runner = CliRunner()
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("TFP_DATABASE", raising=False)
    args = ["keys", "create", "--role", "admin", "--name", "ops"]
    assert runner.invoke(main, args).exit_code == 0
    assert (tmp_path / "var" / "tfp.sqlite").exists()
    monkeypatch.setenv("TFP_DATABASE", str(tmp_path / "elsewhere.sqlite"))
    assert runner.invoke(main, args).exit_code == 0
    with Store(tmp_path / "elsewhere.sqlite") as store:
        assert [k.name for k in store.list_keys()] == ["ops"]
    with Store(tmp_path / "var" / "tfp.sqlite") as store:
        assert len(store.list_keys()) == 1
