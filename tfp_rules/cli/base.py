"""The `tfp` command group and what its command groups share: failing, and the store."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import NoReturn

import click

from ..errors import FactsError, RulesetError, TfpError, UnknownRulesetError
from ..privacy.datakeys import DataKeyError, data_keys_from_env
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


@contextmanager
def refusing(where: str) -> Iterator[None]:
    """Invalid input inside the block exits 1, every problem on stderr: facts problems
    prefixed with `where` (the document), ruleset problems with their file and line."""
    try:
        yield
    except FactsError as exc:
        fail([f"{where}: {p}" for p in exc.problems])
    except RulesetError as exc:
        fail([str(p) for p in exc.problems])
    except UnknownRulesetError as exc:
        fail([f"{exc}; available: {', '.join(exc.available) or 'none'}"])
    except TfpError as exc:
        fail([f"{where}: {exc}"])


DATABASE_OPTION = click.option(
    "--database",
    type=click.Path(dir_okay=False, path_type=Path),
    default=lambda: os.environ.get("TFP_DATABASE", str(Path("var") / "tfp.sqlite")),
    show_default="$TFP_DATABASE or var/tfp.sqlite",
    help="The decision store (SQLite file).",
)


def open_store(database: Path) -> Store:
    """The store, with the data keys $TFP_DATA_KEY_FILE names; exits 1, saying why, when
    there is none (unless $TFP_DEV_MODE) or the store cannot be opened."""
    try:
        return Store(database, keys=data_keys_from_env())
    except (StoreError, DataKeyError) as exc:
        fail([f"error: {exc}"])


def cli_actor() -> str:
    """Who the audit log names for a command run here: `cli:<OS user name>`."""
    return os_actor("cli")
