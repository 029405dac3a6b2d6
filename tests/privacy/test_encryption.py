"""Encryption at rest: the facts, traces, reasons and claim contents are sealed with a data key
kept outside the database (a lost database file gives none of them away), each value bound
to its record, the key rotated in batches without breaking a chain or a read, and neither
the service nor `tfp` starts on a store of personal data without a key unless told to."""

from __future__ import annotations

import json
import os
import sqlite3
from pathlib import Path

import pytest
from click.testing import CliRunner

from service import create_app
from service.run import serve
from tfp_rules.cli import main
from tfp_rules.privacy.datakeys import (
    DEV_MODE_ENV,
    KEY_FILE_ENV,
    DataKeyError,
    DataKeys,
    LiveDataKeys,
    sealed_key_id,
)
from tfp_rules.store import SEALED, SealedDataError, Store
from tfp_rules.store.sealed import context

from .conftest import seed

# What only the sealed columns hold: member refs, dates of birth, reasons, workers, names.
SEALED_ONLY = (
    "memberqz-adult-",
    "memberqz-child-",
    "1983-07-1",
    "2007-02-1",
    "Henrietta Brackenbury",
    "Quagmire-Keyworker",
    "Persephone Ashdown",
    "Zebedee Quibble",
    "Xanthippe Marlowe",
)


def file_bytes(path: Path) -> bytes:
    """The database as someone who finds the file (and its WAL) reads it."""
    return b"".join(p.read_bytes() for p in (path, Path(f"{path}-wal")) if p.exists())


def sealed_values(path: Path) -> list[tuple[str, object]]:
    """Every stored value of a sealed column, with its table.column."""
    db = sqlite3.connect(path)
    try:
        return [
            (f"{s.table}.{c}", value)
            for s in SEALED
            for c in s.columns
            for (value,) in db.execute(
                f"SELECT {c} FROM {s.table} WHERE {c} IS NOT NULL AND {c} != ''"
            )
        ]
    finally:
        db.close()


@pytest.fixture
def key_file(tmp_path) -> Path:
    path = tmp_path / "keys" / "data-keys.json"
    DataKeys.generate().save(path)
    return path


def test_a_lost_database_file_gives_away_no_facts_trace_or_reason(store, library):
    seeded = seed(store, library, n_families=3)
    [progress] = store.family_rows(seeded.family_refs[0]).progress
    store.add_progress_review(
        progress["id"], verdict="override", qualifies=False,
        reason="Seen by Henrietta Brackenbury again", reviewer="cli:manager",
    )  # fmt: skip
    store.close()
    found = file_bytes(store.path)
    for needle in SEALED_ONLY:
        assert needle.encode() not in found, needle
    # the store itself reads them all back: they are sealed, not lost
    with Store(store.path) as again:
        text = json.dumps(again.family_rows(seeded.family_refs[1]).decisions)
    assert "memberqz-adult-0001" in text and "Henrietta Brackenbury 1" in text
    values = sealed_values(store.path)
    assert {name for name, _ in values} == {
        f"{s.table}.{c}" for s in SEALED for c in s.columns
    }  # every sealed column holds values here, and every one is sealed, with the current key
    assert {sealed_key_id(v) for _, v in values} == {store.keys.current}


def test_a_sealed_value_moved_to_another_record_does_not_open(store, library):
    seed(store, library, n_families=3)
    first, second = (d.id for d in store.list_decisions(limit=2)[0])
    store.db.execute(
        "UPDATE decision_payloads SET facts ="
        " (SELECT facts FROM decision_payloads WHERE decision_id = ?) WHERE decision_id = ?",
        [first, second],
    )
    with pytest.raises(SealedDataError, match="altered, or belongs to another record") as caught:
        store.get_facts(second)
    assert caught.value.altered
    [report] = store.verify_chains(["decisions"])
    assert report.broken is not None and report.broken.kind == "altered"
    assert report.broken.key == second


def test_without_the_key_the_store_says_which_key_it_needs(store, library, tmp_path):
    seed(store, library, n_families=1)
    [decision] = store.list_decisions(limit=1)[0]
    store.close()
    with Store(store.path, keys=None) as plain:
        with pytest.raises(SealedDataError, match=store.keys.current) as caught:
            plain.get_decision(decision.id)
        assert not caught.value.altered
    with (
        Store(store.path, keys=DataKeys.generate()) as wrong,
        pytest.raises(SealedDataError, match="not in the key file"),
    ):
        wrong.get_facts(decision.id)


def test_rotation_reseals_everything_in_batches_and_keeps_chains_and_reads(tmp_path, library):
    path = tmp_path / "tfp.sqlite"
    with Store(path, keys=None) as plain:  # a store begun in development mode
        seeded = seed(plain, library, n_families=2)
    old = DataKeys.generate()
    with Store(path, keys=old) as store:
        seed(store, library, n_families=2, first=2)  # and carried on sealed
        before = {ref: store.family_rows(ref) for ref in seeded.family_refs}
        person = seeded.member_refs[0]
        born = store.family_rows(seeded.family_refs[0]).decisions[0]
        birth = next(
            m["date_of_birth"] for m in json.loads(born["facts"])["members"] if m["ref"] == person
        )
    new = old.with_new_key()
    with Store(path, keys=new) as store:
        batches: list[tuple[str, int]] = []
        done = store.reseal(batch_size=2, progress=lambda t, n: batches.append((t, n)))
        assert done.total and all(n <= 2 for _, n in batches) and done.batches == len(batches)
        assert {sealed_key_id(v) for _, v in sealed_values(path)} == {new.current}
        usage = store.data_key_usage()
        assert set(usage["person_index"]) == {new.current}
        assert all(r.intact for r in store.verify_chains())
        assert {ref: store.family_rows(ref) for ref in seeded.family_refs} == before
        assert store.families_of_person(person, birth) == [seeded.family_refs[0]]
        assert store.reseal().total == 0  # nothing left to do
    with Store(path, keys=new.without({old.current})) as only_new:
        assert all(r.intact for r in only_new.verify_chains())


def test_a_rotation_stopped_part_way_leaves_every_value_readable(store, library):
    seed(store, library, n_families=3)
    rows = {d.id: store.get_decision(d.id).decision for d in store.list_decisions()[0]}
    store.keys = store.keys.with_new_key()

    def stop(table: str, n: int) -> None:
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        store.reseal(batch_size=1, progress=stop)
    mixed = {sealed_key_id(v) for _, v in sealed_values(store.path)}
    assert len(mixed) == 2  # one batch under the new key, the rest under the old
    assert {i: store.get_decision(i).decision for i in rows} == rows
    assert store.reseal().total > 0
    assert {sealed_key_id(v) for _, v in sealed_values(store.path)} == {store.keys.current}


def test_the_cli_rotates_the_key_file_and_drops_keys_nothing_needs(store, library, key_file):
    seed(store, library, n_families=1)
    store.close()
    runner = CliRunner()
    env = {KEY_FILE_ENV: str(key_file)}
    args = ["--database", str(store.path)]
    # the store was sealed with the suite's key: this file lacks it, and says so
    listed = runner.invoke(main, ["keys", "data-keys", *args], env=env)
    assert listed.exit_code == 1 and "MISSING from the key file" in listed.output
    both = DataKeys({**DataKeys.load(key_file).keys, **store.keys.keys}, store.keys.current)
    both.save(key_file)
    rotated = runner.invoke(main, ["keys", "rotate-data-key", "--drop-old", *args], env=env)
    assert rotated.exit_code == 0, rotated.output
    now = DataKeys.load(key_file)
    assert set(now.keys) == {now.current}  # both older keys dropped: nothing needs them
    assert f"dropped {store.keys.current}" in rotated.output
    listed = runner.invoke(main, ["keys", "data-keys", *args], env=env)
    assert listed.exit_code == 0 and listed.output.startswith(f"{now.current}\tcurrent\t")
    with Store(store.path, keys=now) as after:
        rows = after.list_audit(action="data_key.rotate")[0]
        assert [r["target"] for r in rows] == [now.current]
        assert all(r.intact for r in after.verify_chains())


def test_new_data_key_writes_an_owner_only_file_and_never_overwrites(tmp_path):
    path = tmp_path / "k" / "data-keys.json"
    runner = CliRunner()
    made = runner.invoke(main, ["keys", "new-data-key", "--file", str(path)])
    assert made.exit_code == 0 and KEY_FILE_ENV in made.output
    assert path.stat().st_mode & 0o777 == 0o600
    again = runner.invoke(main, ["keys", "new-data-key", "--file", str(path)])
    assert again.exit_code == 1 and "exists" in again.output
    path.chmod(0o640)
    with pytest.raises(DataKeyError, match=r"readable by others.*chmod 600"):
        DataKeys.load(path)
    path.chmod(0o600)
    path.write_text('{"current": "k1", "keys": {"k1": "c2hvcnQ="}}')
    with pytest.raises(DataKeyError, match="not 32 bytes"):
        DataKeys.load(path)


def test_the_service_refuses_to_start_without_a_data_key(tmp_path, monkeypatch):
    monkeypatch.delenv(KEY_FILE_ENV)
    config = {"DATABASE": str(tmp_path / "tfp.sqlite"), "TESTING": True}
    with pytest.raises(DataKeyError, match=f"{KEY_FILE_ENV}.*{DEV_MODE_ENV}=1"):
        create_app(config)
    assert not (tmp_path / "tfp.sqlite").exists()  # refused before the store was made
    env = {k: v for k, v in os.environ.items() if k != KEY_FILE_ENV}
    assert serve(env) == 1  # `make run` stops before starting nginx or gunicorn
    monkeypatch.setenv(DEV_MODE_ENV, "1")
    app = create_app(config)  # development mode, said in so many words, stores plain text
    assert app.config["DATA_KEYS"] is None


def test_tfp_refuses_a_store_without_a_data_key(tmp_path, monkeypatch):
    monkeypatch.delenv(KEY_FILE_ENV)
    database = tmp_path / "tfp.sqlite"
    result = CliRunner().invoke(main, ["keys", "list", "--database", str(database)])
    assert result.exit_code == 1 and "no data key" in result.output
    assert not database.exists()


def test_a_running_service_picks_up_a_rotated_key(key_file):
    live = LiveDataKeys(DataKeys.load(key_file), check_every=0)
    first = live.current()
    rotated = first.with_new_key()
    rotated.save(key_file)
    assert live.current().current == rotated.current
    # and a value sealed with a key added since loading still opens in a process that has
    # not looked again yet (a rotation re-seals while services run)
    value = rotated.seal("facts", context("decision_payloads", "facts", "d1"))
    assert first.open(value, context("decision_payloads", "facts", "d1")) == "facts"
