"""API keys and `tfp keys`: tokens shown once and stored hashed, authentication, revocation."""

from __future__ import annotations

import hashlib

import pytest
from click.testing import CliRunner

from tfp_rules.cli import main
from tfp_rules.store import (
    ROLES,
    NotFoundError,
    Store,
)

from .conftest import TIMESTAMP, file_bytes, raw


def test_a_key_authenticates_with_its_token_until_revoked(store):
    key, token = store.create_key("reviewer", "duty manager")
    assert token.startswith(f"tfp_{key.id}_")
    assert len(token) > len(f"tfp_{key.id}_") + 40
    assert (key.role, key.name, key.revoked_at) == ("reviewer", "duty manager", None)
    assert TIMESTAMP.match(key.created_at)
    assert store.authenticate(token) == key
    assert store.list_keys() == [key]

    revoked = store.revoke_key(key.id)
    assert revoked.id == key.id and TIMESTAMP.match(revoked.revoked_at)
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


# -- tfp keys ---------------------------------------------------------------------------------


def test_cli_keys_create_list_revoke(tmp_path):
    runner = CliRunner()
    database = str(tmp_path / "keys.sqlite")
    created = runner.invoke(
        main, ["keys", "create", "--role", "reviewer", "--name", "duty", "--database", database]
    )
    assert created.exit_code == 0, created.stderr
    token = created.stdout.strip()
    assert created.stdout == token + "\n"
    assert "it cannot be shown again" in created.stderr
    with Store(database) as store:
        key = store.authenticate(token)
        assert (key.role, key.name) == ("reviewer", "duty")

    listed = runner.invoke(main, ["keys", "list", "--database", database])
    assert listed.exit_code == 0
    [line] = listed.stdout.splitlines()
    assert line.split("\t") == [key.id, "reviewer", "duty", f"created {key.created_at}", "active"]
    assert token not in listed.output
    assert hashlib.sha256(token.encode()).hexdigest() not in listed.output

    revoked = runner.invoke(main, ["keys", "revoke", key.id, "--database", database])
    assert revoked.exit_code == 0, revoked.stderr
    listed = runner.invoke(main, ["keys", "list", "--database", database])
    assert listed.stdout.split("\t")[-1].startswith("revoked 20")
    with Store(database) as store:
        assert store.authenticate(token) is None
        actions = [(r["action"], r["actor"]) for r in store.list_audit()]
    assert actions == [("key.revoke", "cli"), ("key.create", "cli")]


def test_cli_keys_errors(tmp_path):
    runner = CliRunner()
    database = str(tmp_path / "keys.sqlite")
    bad_role = runner.invoke(
        main, ["keys", "create", "--role", "boss", "--name", "x", "--database", database]
    )
    assert bad_role.exit_code == 2
    assert "'boss' is not one of 'submitter', 'reviewer', 'policy_officer', 'admin'" in (
        bad_role.stderr
    )
    unknown = runner.invoke(main, ["keys", "revoke", "nope", "--database", database])
    assert unknown.exit_code == 1
    assert unknown.stderr == "error: no API key 'nope'\n"
    newer = tmp_path / "newer.sqlite"
    Store(newer).close()
    raw(newer).execute("UPDATE schema_version SET version = 99")
    broken = runner.invoke(main, ["keys", "list", "--database", str(newer)])
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
