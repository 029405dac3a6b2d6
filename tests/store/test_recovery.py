"""Recovery from a WAL left by a killed writer: every decision acknowledged before the kill
is there whole when the file is next opened, and the file is sound.

kill -9 is not power loss (the operating system still writes out what it was given; see
"Durability" in the README), but it leaves the same thing on disk that a crash leaves
after a sync: a WAL holding committed transactions the main file has not taken in, and
perhaps a torn transaction at its end. This is what SQLite replays on open.
"""

from __future__ import annotations

import json
import shutil
import signal
import sqlite3
import subprocess
import sys
import threading

from tfp_rules.store import Store

from .conftest import ROOT
from .faults import consistent

ACKNOWLEDGED_BEFORE_KILL = 25

WRITER = """
import itertools, json, sys
from tfp_rules.store import Store
decision, facts = json.load(sys.stdin)
store = Store(sys.argv[1])
store.db.execute("PRAGMA wal_autocheckpoint = 0")  # everything stays in the WAL
for n in itertools.count():
    saved, _ = store.save_decision(decision, {**facts, "n": n}, submitted_by="writer")
    print(saved.id, n, flush=True)  # acknowledged: save_decision has returned
"""


def test_a_wal_left_by_a_killed_writer_is_replayed_whole_on_open(db_path, make, tmp_path):
    Store(db_path).close()  # created, migrated and checkpointed: the main file has no decision
    decision, facts = make()
    writer = subprocess.Popen(
        [sys.executable, "-c", WRITER, str(db_path)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=ROOT,
    )
    watchdog = threading.Timer(120, writer.kill)  # a hung writer fails the test, not the suite
    watchdog.start()
    try:
        writer.stdin.write(json.dumps([decision, facts]))
        writer.stdin.close()
        acknowledged = []
        for line in writer.stdout:
            acknowledged.append(line.split())
            if len(acknowledged) == ACKNOWLEDGED_BEFORE_KILL:
                writer.send_signal(signal.SIGKILL)  # mid-stream: it is writing the next one
                break
        acknowledged += [line.split() for line in writer.stdout]  # printed before it died
        writer.wait(timeout=30)
    finally:
        watchdog.cancel()
    assert writer.returncode == -signal.SIGKILL, writer.stderr.read()
    assert len(acknowledged) >= ACKNOWLEDGED_BEFORE_KILL

    # what the kill left: the decisions are in the WAL only, not yet in the main file
    wal = db_path.with_name(db_path.name + "-wal")
    assert wal.stat().st_size > 0
    main_only = tmp_path / "main-only.sqlite"
    shutil.copyfile(db_path, main_only)
    assert sqlite3.connect(main_only).execute("SELECT count(*) FROM decisions").fetchone() == (0,)

    with Store(db_path) as store:
        for decision_id, n in acknowledged:
            saved = store.get_decision(decision_id)
            assert saved.decision == decision
            assert (saved.submitted_by, saved.family_ref) == ("writer", decision["family_ref"])
            assert store.get_facts(decision_id) == {**facts, "n": int(n)}
        stored = store.db["decisions"].count
    # at most the one write in flight is there unacknowledged, and only whole
    assert len(acknowledged) <= stored <= len(acknowledged) + 1
    consistent(db_path)  # integrity_check ok; no decision without its payload or audit row
