"""Clients and their API keys: created, looked up by token, rotated, revoked, expiring.

A client (a partner system, a team, a person) has a unique name and one role, and owns the
decisions it submits and the reviews it writes. It may hold several keys at once, so a key
can be replaced without losing what the client owns: `rotate_key` issues a new key for the
same client and retires the old one now or after a grace period. Only a token's sha256 is
stored; the token itself is shown once, when it is made.
"""

from __future__ import annotations

import hmac
import json
import secrets
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

import sqlite_utils

from ..text import check_text
from .audit import AuditLog, os_actor
from .errors import ClientRoleError, KeyStateError, NotFoundError
from .hashing import sha256_hex
from .listing import timestamp
from .records import ROLES, ApiKey, Client

TOKEN_PREFIX = "tfp_"
MAX_NAME_LENGTH = 200

_KEY_COLUMNS = (
    "k.id, k.client_id, k.created_at, k.expires_at, k.revoked_at, c.name, c.role"
    " FROM api_keys k JOIN clients c ON c.id = k.client_id"
)


def _state(row: dict[str, Any], now: str) -> str:
    if row["revoked_at"] is not None:
        return "revoked"
    if row["expires_at"] is not None and row["expires_at"] <= now:
        return "expired"
    return "active"


def _key_from_row(row: dict[str, Any], now: str) -> ApiKey:
    return ApiKey(
        id=row["id"],
        client_id=row["client_id"],
        name=row["name"],
        role=row["role"],
        created_at=row["created_at"],
        expires_at=row["expires_at"],
        revoked_at=row["revoked_at"],
        state=_state(row, now),
    )


def client_name(name: str) -> str:
    """A client's name as stored: trimmed, one line of plain text; ValueError if not."""
    if not isinstance(name, str) or not name.strip():
        raise ValueError("a client needs a name saying who or what uses its keys")
    name = name.strip()
    if len(name) > MAX_NAME_LENGTH:
        raise ValueError(f"a client name is at most {MAX_NAME_LENGTH} characters")
    try:
        return check_text(name, multiline=False)
    except ValueError as exc:
        raise ValueError(f"client name {exc}") from exc


def _new_token() -> tuple[str, str]:
    key_id = secrets.token_hex(8)
    return key_id, f"{TOKEN_PREFIX}{key_id}_{secrets.token_urlsafe(32)}"


class Keys(AuditLog):
    """The `clients` and `api_keys` tables."""

    def _key(self, db: sqlite_utils.Database, key_id: str) -> ApiKey:
        rows = list(db.query(f"SELECT {_KEY_COLUMNS} WHERE k.id = ?", [key_id]))
        if not rows:
            raise NotFoundError(f"no API key {key_id!r}")
        return _key_from_row(rows[0], self._now())

    def _insert_key(
        self, db: sqlite_utils.Database, client_id: str, expires_at: str | None
    ) -> tuple[str, str]:
        key_id, token = _new_token()
        db["api_keys"].insert(
            {
                "id": key_id,
                "client_id": client_id,
                "token_sha256": sha256_hex(token),
                "created_at": self._now(),
                "expires_at": expires_at,
                "revoked_at": None,
            }
        )
        return key_id, token

    def create_key(
        self,
        role: str,
        name: str,
        *,
        expires_at: datetime | None = None,
        actor: str | None = None,
    ) -> tuple[ApiKey, str]:
        """A new key for the client called `name`, and its secret token (shown this once).

        The client is created with `role` if no client has that name yet (names are compared
        ignoring ASCII case); an existing client keeps its role, so asking for another one
        raises ClientRoleError. `expires_at` (an aware datetime) ends the key by itself.
        `actor` is who the audit log names (default: `library:<OS user>`).
        """
        actor = actor or os_actor("library")
        if role not in ROLES:
            raise ValueError(f"unknown role {role!r}; one of: {', '.join(ROLES)}")
        name = client_name(name)
        expires = None if expires_at is None else timestamp(expires_at)
        with self._write() as db:
            if expires is not None and expires <= self._now():
                raise ValueError(f"the expiry {expires} is not in the future")
            rows = list(db.query("SELECT * FROM clients WHERE name = ? COLLATE NOCASE", [name]))
            if rows and rows[0]["role"] != role:
                raise ClientRoleError(
                    f"client {rows[0]['name']!r} already exists with role {rows[0]['role']};"
                    f" a client has one role: give its keys that role, or name a new client"
                    f" for the {role} role"
                )
            if rows:
                client = Client(**rows[0])
            else:
                client = Client(
                    id=secrets.token_hex(8), name=name, role=role, created_at=self._now()
                )
                db["clients"].insert(vars(client))
                self._audit(db, actor=actor, action="client.create", target=client.id, status=201)
            key_id, token = self._insert_key(db, client.id, expires)
            self._audit(
                db,
                actor=actor,
                action="key.create",
                target=key_id,
                status=201,
                detail=f"client {client.id} role {client.role}",
            )
            key = self._key(db, key_id)
        return key, token

    def rotate_key(
        self,
        key_id: str,
        *,
        keep_old_for: timedelta | None = None,
        actor: str | None = None,
    ) -> tuple[ApiKey, ApiKey, str]:
        """Replace a key: a new key for the same client, and the old one revoked now, or set to
        expire after `keep_old_for` (never later than it already would). Returns (old key as
        it now is, new key, new token). A revoked or expired key cannot be rotated
        (KeyStateError): create a new key for its client instead."""
        actor = actor or os_actor("library")
        if keep_old_for is not None and keep_old_for < timedelta(0):
            raise ValueError("the grace period cannot be negative")
        with self._write() as db:
            old = self._key(db, key_id)
            if not old.active:
                raise KeyStateError(
                    f"API key {key_id} is {old.state}, so there is nothing to rotate; create a"
                    f" new key for client {old.name!r} with `tfp keys create`"
                )
            moment = self._clock()
            new_id, token = self._insert_key(db, old.client_id, old.expires_at)
            if keep_old_for:
                try:
                    until = timestamp(moment + keep_old_for)
                except OverflowError as exc:
                    raise ValueError("the grace period is too long") from exc
                if old.expires_at is not None:
                    until = min(until, old.expires_at)
                db.execute("UPDATE api_keys SET expires_at = ? WHERE id = ?", [until, key_id])
                retired = f"old key expires {until}"
            else:
                db.execute(
                    "UPDATE api_keys SET revoked_at = ? WHERE id = ?", [timestamp(moment), key_id]
                )
                retired = "old key revoked"
            self._audit(
                db,
                actor=actor,
                action="key.create",
                target=new_id,
                status=201,
                detail=f"client {old.client_id} role {old.role}, replacing {key_id}",
            )
            self._audit(
                db,
                actor=actor,
                action="key.rotate",
                target=key_id,
                status=200,
                detail=f"new key {new_id}; {retired}",
            )
            return self._key(db, key_id), self._key(db, new_id), token

    def authenticate(self, token: str) -> ApiKey | None:
        """The active key this token belongs to, or None (unknown, revoked, expired or
        malformed). Expiry is compared with the store's clock."""
        key = self._key_of_token(token)
        return key if key is not None and key.active else None

    def refused_key(self, token: str) -> ApiKey | None:
        """The revoked or expired key `token` is the token of (its hash matches), so that a
        refusal can name the client and key; None for a malformed or unknown token and for
        an active key. Never a way in: `authenticate` is."""
        key = self._key_of_token(token)
        return key if key is not None and not key.active else None

    def _key_of_token(self, token: str) -> ApiKey | None:
        """The key, in whatever state, whose hash `token` matches; None if none does."""
        if not isinstance(token, str) or not token.startswith(TOKEN_PREFIX):
            return None
        key_id, sep, secret = token[len(TOKEN_PREFIX) :].partition("_")
        if not (sep and key_id and secret):
            return None
        with self._read() as db:
            rows = list(db.query(f"SELECT k.token_sha256, {_KEY_COLUMNS} WHERE k.id = ?", [key_id]))
        if not rows or not hmac.compare_digest(rows[0]["token_sha256"], sha256_hex(token)):
            return None
        return _key_from_row(rows[0], self._now())

    def list_keys(self) -> list[ApiKey]:
        """Every key, oldest first, revoked and expired ones included."""
        with self._read() as db:
            rows = list(db.query(f"SELECT {_KEY_COLUMNS} ORDER BY k.created_at, k.id"))
        now = self._now()
        return [_key_from_row(row, now) for row in rows]

    def get_client(self, client_id: str) -> Client:
        """One client by id."""
        with self._read() as db:
            rows = list(db.query("SELECT * FROM clients WHERE id = ?", [client_id]))
        if not rows:
            raise NotFoundError(f"no client {client_id!r}")
        return Client(**rows[0])

    def client_names(self, client_ids: Iterable[str]) -> dict[str, str]:
        """Each client's name by id, in one query, for showing who did what (a reviewer by
        name, never by id); an id that names no client is left out."""
        ids = sorted(set(client_ids))
        if not ids:
            return {}
        with self._read() as db:
            rows = db.query(
                "SELECT id, name FROM clients WHERE id IN (SELECT value FROM json_each(?))",
                [json.dumps(ids)],
            )
            return {row["id"]: row["name"] for row in rows}

    def revoke_key(self, key_id: str, *, actor: str | None = None) -> ApiKey:
        """Revoke a key for good; revoking it again changes nothing."""
        actor = actor or os_actor("library")
        with self._write() as db:
            key = self._key(db, key_id)
            if key.revoked_at is None:
                db.execute("UPDATE api_keys SET revoked_at = ? WHERE id = ?", [self._now(), key_id])
                self._audit(db, actor=actor, action="key.revoke", target=key_id, status=200)
                key = self._key(db, key_id)
        return key
