"""`tfp keys new-data-key | data-keys | rotate-data-key`: the keys that seal personal data
at rest (`privacy.datakeys`), kept in a key file outside the database."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import click

from ..privacy.datakeys import KEY_FILE_ENV, PLAIN, DataKeyError, DataKeys, key_file_from_env
from ..store import DEFAULT_BATCH, Store, StoreError
from .base import DATABASE_OPTION, cli_actor, fail
from .keys import keys

KEY_FILE_OPTION = click.option(
    "--file",
    "key_file",
    type=click.Path(dir_okay=False, path_type=Path),
    default=lambda: key_file_from_env(),
    show_default=f"${KEY_FILE_ENV}",
    help="The data key file.",
)


def _key_file(key_file: Path | None) -> Path:
    if key_file is None:
        fail([f"error: no data key file: give --file or set ${KEY_FILE_ENV}"])
    return key_file


def _load(key_file: Path | None) -> DataKeys:
    try:
        return DataKeys.load(_key_file(key_file))
    except DataKeyError as exc:
        fail([f"error: {exc}"])


def _open(database: Path, data_keys: DataKeys) -> Store:
    try:
        return Store(database, keys=data_keys)
    except StoreError as exc:
        fail([f"error: {exc}"])


def _by_key(usage: dict[str, Counter[str]]) -> Counter[str]:
    total: Counter[str] = Counter()
    for counts in usage.values():
        total.update(counts)
    return total


@keys.command("new-data-key")
@click.option(
    "--file",
    "key_file",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="Where to write the new key file (it must not exist).",
)
def new_data_key(key_file: Path) -> None:
    """Make a data key file with one new random key (AES-256), readable by its owner only.

    Keep it outside the database's directory and its backups: a lost database file is
    unreadable without it, and a lost key file makes the database unreadable.
    """
    if key_file.exists():
        fail([f"error: {key_file} exists: rotate its key with `tfp keys rotate-data-key`"])
    made = DataKeys.generate()
    try:
        made.save(key_file)
    except DataKeyError as exc:
        fail([f"error: {exc}"])
    click.echo(f"created data key {made.current} in {key_file}; set {KEY_FILE_ENV}={key_file}")


@keys.command("data-keys")
@KEY_FILE_OPTION
@DATABASE_OPTION
def data_keys(key_file: Path | None, database: Path) -> None:
    """List the data keys and how many stored values need each (plain: none, stored in
    development mode). Exits 1 if a value needs a key the file does not hold."""
    loaded = _load(key_file)
    with _open(database, loaded) as store:
        needed = _by_key(store.data_key_usage())
    for key_id in sorted(set(loaded.keys) | set(needed)):
        if key_id == PLAIN:
            name, state = "(plain text)", "unencrypted"
        else:
            name = key_id
            state = "current" if key_id == loaded.current else "older"
            if key_id not in loaded.keys:
                state = "MISSING from the key file"
        click.echo(f"{name}\t{state}\t{needed.get(key_id, 0)} values")
    missing = sorted(k for k in needed if k != PLAIN and k not in loaded.keys)
    if missing:
        fail([f"error: stored values need data keys the file does not hold: {', '.join(missing)}"])


@keys.command("rotate-data-key")
@KEY_FILE_OPTION
@click.option(
    "--batch-size",
    type=click.IntRange(min=1),
    default=DEFAULT_BATCH,
    show_default=True,
    help="Rows re-sealed per write transaction.",
)
@click.option(
    "--resume",
    is_flag=True,
    help="Make no new key: finish re-sealing under the current one (after a stopped run).",
)
@click.option(
    "--drop-old",
    is_flag=True,
    help="Then remove from the key file every older key no stored value needs.",
)
@DATABASE_OPTION
def rotate_data_key(
    key_file: Path | None, batch_size: int, resume: bool, drop_old: bool, database: Path
) -> None:
    """Make a new data key current, then re-seal every stored value under it, in batches.

    The new key is written to the key file first, older keys kept, so every value stays
    readable whatever happens; a running service reads the file again within seconds. A
    run that stops part way is finished with --resume. Plain text stored in development
    mode is sealed too.
    """
    path = _key_file(key_file)
    loaded = _load(path)
    if not resume:
        loaded = loaded.with_new_key()
        try:
            loaded.save(path)
        except DataKeyError as exc:
            fail([f"error: {exc}"])
        click.echo(f"data key {loaded.current} is now current in {path}", err=True)
    with _open(database, loaded) as store:

        def progress(table: str, rows: int) -> None:
            click.echo(f"  {table}: {rows} rows re-sealed", err=True)

        try:
            done = store.reseal(batch_size=batch_size, progress=progress)
        except StoreError as exc:
            fail([f"error: {exc}"])
        needed = _by_key(store.data_key_usage())
        dropped: list[str] = []
        if drop_old:
            dropped = sorted(k for k in loaded.keys if k != loaded.current and not needed[k])
            try:
                loaded.without(set(dropped)).save(path)
            except DataKeyError as exc:
                fail([f"error: {exc}"])
        store.audit(
            actor=cli_actor(),
            action="data_key.rotate",
            status=200,
            target=loaded.current,
            detail=f"resealed={done.total} batches={done.batches}"
            f" dropped={','.join(dropped) or '-'}",
        )
    tables = ", ".join(f"{t} {n}" for t, n in done.tables.items() if n) or "nothing to do"
    click.echo(f"re-sealed {done.total} rows in {done.batches} batches ({tables})")
    for key_id in sorted(k for k in loaded.keys if k != loaded.current):
        if key_id in dropped:
            click.echo(f"dropped {key_id} from {path}: no stored value needs it")
        else:
            click.echo(f"kept {key_id}: {needed[key_id]} values still need it")
