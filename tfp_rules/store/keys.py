"""API keys: created with a role, looked up by token, revoked; only a token's sha256 is kept."""

from __future__ import annotations

import hmac
import secrets
from typing import Any

from .audit import AuditLog
from .errors import NotFoundError
from .hashing import sha256_hex
from .records import ROLES, ApiKey

TOKEN_PREFIX = "tfp_"


def _key_from_row(row: dict[str, Any]) -> ApiKey:
    return ApiKey(
        id=row["id"],
        name=row["name"],
        role=row["role"],
        created_at=row["created_at"],
        revoked_at=row["revoked_at"],
    )


class Keys(AuditLog):
    """The `api_keys` table."""

    def create_key(self, role: str, name: str, *, actor: str | None = None) -> tuple[ApiKey, str]:
        """A new key and its secret token, which is shown this once and never stored."""
        if role not in ROLES:
            raise ValueError(f"unknown role {role!r}; one of: {', '.join(ROLES)}")
        if not name or not name.strip():
            raise ValueError("an API key needs a name saying who or what uses it")
        key_id = secrets.token_hex(8)
        token = f"{TOKEN_PREFIX}{key_id}_{secrets.token_urlsafe(32)}"
        key = ApiKey(
            id=key_id, name=name.strip(), role=role, created_at=self._now(), revoked_at=None
        )
        with self._write() as db:
            db["api_keys"].insert(
                {
                    "id": key.id,
                    "name": key.name,
                    "role": key.role,
                    "token_sha256": sha256_hex(token),
                    "created_at": key.created_at,
                    "revoked_at": None,
                }
            )
            self._audit(db, actor=actor, action="key.create", target=key.id, detail=role)
        return key, token

    def authenticate(self, token: str) -> ApiKey | None:
        """The active key this token belongs to, or None (unknown, revoked or malformed)."""
        if not isinstance(token, str) or not token.startswith(TOKEN_PREFIX):
            return None
        key_id, sep, secret = token[len(TOKEN_PREFIX) :].partition("_")
        if not (sep and key_id and secret):
            return None
        with self._read() as db:
            rows = list(db.query("SELECT * FROM api_keys WHERE id = ?", [key_id]))
        if not rows or not hmac.compare_digest(rows[0]["token_sha256"], sha256_hex(token)):
            return None
        key = _key_from_row(rows[0])
        return key if key.active else None

    def list_keys(self) -> list[ApiKey]:
        """Every key, oldest first, revoked ones included."""
        with self._read() as db:
            rows = list(db.query("SELECT * FROM api_keys ORDER BY created_at, id"))
        return [_key_from_row(row) for row in rows]

    def revoke_key(self, key_id: str, *, actor: str | None = None) -> ApiKey:
        """Revoke a key for good; revoking it again changes nothing."""
        with self._write() as db:
            rows = list(db.query("SELECT * FROM api_keys WHERE id = ?", [key_id]))
            if not rows:
                raise NotFoundError(f"no API key {key_id!r}")
            if rows[0]["revoked_at"] is None:
                rows[0]["revoked_at"] = self._now()
                db.execute(
                    "UPDATE api_keys SET revoked_at = ? WHERE id = ?",
                    [rows[0]["revoked_at"], key_id],
                )
                self._audit(db, actor=actor, action="key.revoke", target=key_id)
        return _key_from_row(rows[0])
