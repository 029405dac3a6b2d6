"""`tfp keys`: clients' API keys, a thin face over the store's key methods."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import click

from ..store import ROLES, ApiKey, NotFoundError, RefusedError
from .base import DATABASE_OPTION, cli_actor, fail, main, open_store


@main.group()
def keys() -> None:
    """Manage clients' API keys (only their hashes are stored)."""


def _issued(token: str, key: ApiKey, what: str) -> None:
    """The token alone on stdout (for scripts); what happened on stderr."""
    click.echo(token)
    expiry = f", expires {key.expires_at}" if key.expires_at else ""
    click.echo(
        f"{what} {key.role} key {key.id} for client {key.name!r}{expiry}: store the token now;"
        " it cannot be shown again",
        err=True,
    )


@keys.command("create")
@click.option("--name", required=True, metavar="CLIENT", help="The client: who or what uses it.")
@click.option("--role", required=True, type=click.Choice(ROLES))
@click.option(
    "--expires",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    metavar="YYYY-MM-DD",
    help="The key stops working at 00:00 UTC on this day.",
)
@DATABASE_OPTION
def keys_create(name: str, role: str, expires: datetime | None, database: Path) -> None:
    """Create a key for a client (created if new) and print its token, once, on stdout.

    A client has one role; a second key for an existing client is allowed.
    """
    expires_at = None if expires is None else expires.replace(tzinfo=UTC)
    with open_store(database) as store:
        try:
            key, token = store.create_key(role, name, expires_at=expires_at, actor=cli_actor())
        except (ValueError, RefusedError) as exc:
            fail([f"error: {exc}"])
    _issued(token, key, "created")


@keys.command("list")
@DATABASE_OPTION
def keys_list(database: Path) -> None:
    """List every key: id, client, role, created, expires, state. Never a token.

    State is active, revoked or expired; expires is "never" for a key without expiry.
    """
    with open_store(database) as store:
        for key in store.list_keys():
            fields = [key.id, key.name, key.role, key.created_at, key.expires_at or "never"]
            click.echo("\t".join([*fields, key.state]))


@keys.command("rotate")
@click.argument("key_id")
@click.option(
    "--keep-old-for",
    type=click.FloatRange(min=0, max=720),
    metavar="HOURS",
    help="Let the old key work this many hours more (at most 720); default: revoke it now.",
)
@DATABASE_OPTION
def keys_rotate(key_id: str, keep_old_for: float | None, database: Path) -> None:
    """Replace a key: print a new token for the same client, once; retire the old key.

    The new key keeps the old one's expiry, if it had one.
    """
    grace = timedelta(hours=keep_old_for) if keep_old_for else None
    with open_store(database) as store:
        try:
            old, new, token = store.rotate_key(key_id, keep_old_for=grace, actor=cli_actor())
        except (NotFoundError, ValueError, RefusedError) as exc:
            fail([f"error: {exc}"])
    _issued(token, new, "created")
    retired = f"expires {old.expires_at}" if old.active else f"revoked {old.revoked_at}"
    click.echo(f"old key {old.id} {retired}", err=True)


@keys.command("revoke")
@click.argument("key_id")
@DATABASE_OPTION
def keys_revoke(key_id: str, database: Path) -> None:
    """Revoke a key for good."""
    with open_store(database) as store:
        try:
            key = store.revoke_key(key_id, actor=cli_actor())
        except NotFoundError as exc:
            fail([f"error: {exc}"])
    click.echo(f"revoked {key.id}\t{key.name}\t{key.role}\t{key.revoked_at}")
