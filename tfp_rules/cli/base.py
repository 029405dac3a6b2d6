"""The `tfp` command group and what its command groups share: failing, and the store."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import NoReturn

import click

from ..store import Store, StoreError, os_actor


@click.group()
@click.version_option(package_name="tfp-rules")
def main() -> None:
    """Rules-as-code eligibility for the Targeted Family Support Programme."""


def fail(lines: list[str]) -> NoReturn:
    """Print every problem on stderr and exit 1 (invalid input)."""
    for line in lines:
        click.echo(line, err=True)
    sys.exit(1)


DATABASE_OPTION = click.option(
    "--database",
    type=click.Path(dir_okay=False, path_type=Path),
    default=lambda: os.environ.get("TFP_DATABASE", str(Path("var") / "tfp.sqlite")),
    show_default="$TFP_DATABASE or var/tfp.sqlite",
    help="The decision store (SQLite file).",
)


def open_store(database: Path) -> Store:
    try:
        return Store(database)
    except StoreError as exc:
        fail([f"error: {exc}"])


def cli_actor() -> str:
    """Who the audit log names for a command run here: `cli:<OS user name>`."""
    return os_actor("cli")
