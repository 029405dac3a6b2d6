"""`tfp keys`: the service's API keys, a thin face over the store's key methods."""

from __future__ import annotations

from pathlib import Path

import click

from ..store import ROLES, NotFoundError
from .base import DATABASE_OPTION, fail, main, open_store


@main.group()
def keys() -> None:
    """Manage the service's API keys (only their hashes are stored)."""


@keys.command("create")
@click.option("--role", required=True, type=click.Choice(ROLES))
@click.option("--name", required=True, help="Who or what uses the key.")
@DATABASE_OPTION
def keys_create(role: str, name: str, database: Path) -> None:
    """Create a key and print its token, once, on stdout."""
    with open_store(database) as store:
        try:
            key, token = store.create_key(role, name, actor="cli")
        except ValueError as exc:
            fail([f"error: {exc}"])
    click.echo(token)
    click.echo(
        f"created {key.role} key {key.id} ({key.name}): store the token now; "
        "it cannot be shown again",
        err=True,
    )


@keys.command("list")
@DATABASE_OPTION
def keys_list(database: Path) -> None:
    """List every key: id, role, name, when created, whether revoked. Never a token."""
    with open_store(database) as store:
        for key in store.list_keys():
            revoked = f"revoked {key.revoked_at}" if key.revoked_at else "active"
            click.echo(f"{key.id}\t{key.role}\t{key.name}\tcreated {key.created_at}\t{revoked}")


@keys.command("revoke")
@click.argument("key_id")
@DATABASE_OPTION
def keys_revoke(key_id: str, database: Path) -> None:
    """Revoke a key for good."""
    with open_store(database) as store:
        try:
            key = store.revoke_key(key_id, actor="cli")
        except NotFoundError as exc:
            fail([f"error: {exc}"])
    click.echo(f"revoked {key.id}\t{key.role}\t{key.name}\t{key.revoked_at}")
