"""The store's schema, as an ordered list of migrations.

The version of a database is the number of migrations applied. Migrations are appended,
never edited: a database written by any earlier version migrates in place when opened
(`Connection._migrate`), each step in its own transaction with foreign keys checked.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable

import sqlite_utils

from . import persons


def _initial_schema(db: sqlite_utils.Database) -> None:
    statements = [
        """CREATE TABLE api_keys (
            id TEXT PRIMARY KEY,
            name TEXT NOT NULL,
            role TEXT NOT NULL,
            token_sha256 TEXT NOT NULL UNIQUE,
            created_at TEXT NOT NULL,
            revoked_at TEXT
        )""",
        # Metadata only; family_ref is a pseudonymous reference, nullable so that erasure can
        # clear it and keep the rest as anonymous statistics.
        """CREATE TABLE decisions (
            id TEXT PRIMARY KEY,
            created_at TEXT NOT NULL,
            submitted_by TEXT NOT NULL,
            family_ref TEXT,
            assessment_date TEXT NOT NULL,
            eligible INTEGER NOT NULL CHECK (eligible IN (0, 1)),
            headlines_met TEXT NOT NULL CHECK (json_valid(headlines_met)),
            ruleset_id TEXT NOT NULL,
            ruleset_version TEXT NOT NULL,
            ruleset_sha256 TEXT NOT NULL,
            previous_id TEXT REFERENCES decisions (id)
        )""",
        "CREATE INDEX decisions_created ON decisions (created_at, id)",
        "CREATE INDEX decisions_ruleset ON decisions (ruleset_id, ruleset_version)",
        "CREATE INDEX decisions_family ON decisions (family_ref)",
        "CREATE INDEX decisions_submitted_by ON decisions (submitted_by)",
        # The personal data: the facts as received and the decision with its trace.
        """CREATE TABLE decision_payloads (
            decision_id TEXT PRIMARY KEY REFERENCES decisions (id) ON DELETE CASCADE,
            facts TEXT NOT NULL,
            decision TEXT NOT NULL
        )""",
        # seq orders reviews by when they were written, whatever the clocks say.
        """CREATE TABLE reviews (
            seq INTEGER PRIMARY KEY AUTOINCREMENT,
            id TEXT NOT NULL UNIQUE,
            decision_id TEXT NOT NULL REFERENCES decisions (id) ON DELETE CASCADE,
            verdict TEXT NOT NULL CHECK (verdict IN ('confirm', 'override')),
            eligible INTEGER CHECK (
                (verdict = 'confirm' AND eligible IS NULL)
                OR (verdict = 'override' AND eligible IN (0, 1))
            ),
            reason TEXT NOT NULL,
            reviewer TEXT NOT NULL,
            created_at TEXT NOT NULL
        )""",
        "CREATE INDEX reviews_decision ON reviews (decision_id, seq)",
        """CREATE TABLE idempotency (
            submitted_by TEXT NOT NULL,
            key TEXT NOT NULL,
            request_hash TEXT NOT NULL,
            decision_id TEXT NOT NULL REFERENCES decisions (id) ON DELETE CASCADE,
            created_at TEXT NOT NULL,
            UNIQUE (submitted_by, key)
        )""",
        # No foreign keys: the audit trail outlives what it mentions.
        """CREATE TABLE audit (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            at TEXT NOT NULL,
            actor TEXT,
            action TEXT NOT NULL,
            target TEXT,
            status INTEGER,
            detail TEXT
        )""",
        "CREATE INDEX audit_target ON audit (target, id)",
        "CREATE INDEX audit_actor ON audit (actor, id)",
    ]
    for sql in statements:
        db.execute(sql)


def _three_valued_outcomes(db: sqlite_utils.Database) -> None:
    """2: a decision may be undetermined: `status` column, `eligible` NULL while undetermined.

    SQLite cannot change a column's constraints in place, so the table is rebuilt
    (foreign keys are off during migrations; see `Connection._migrate`).
    """
    columns = (
        "id, created_at, submitted_by, family_ref, assessment_date, eligible, headlines_met, "
        "ruleset_id, ruleset_version, ruleset_sha256, previous_id"
    )
    statements = [
        """CREATE TABLE decisions_v2 (
            id TEXT PRIMARY KEY,
            created_at TEXT NOT NULL,
            submitted_by TEXT NOT NULL,
            family_ref TEXT,
            assessment_date TEXT NOT NULL,
            eligible INTEGER CHECK (eligible IN (0, 1)),
            headlines_met TEXT NOT NULL CHECK (json_valid(headlines_met)),
            ruleset_id TEXT NOT NULL,
            ruleset_version TEXT NOT NULL,
            ruleset_sha256 TEXT NOT NULL,
            previous_id TEXT REFERENCES decisions (id),
            status TEXT NOT NULL CHECK (status IN ('eligible', 'not_eligible', 'undetermined')),
            CHECK ((status = 'undetermined') = (eligible IS NULL))
        )""",
        f"""INSERT INTO decisions_v2 ({columns}, status)
            SELECT {columns}, CASE eligible WHEN 1 THEN 'eligible' ELSE 'not_eligible' END
            FROM decisions""",
        "DROP TABLE decisions",
        "ALTER TABLE decisions_v2 RENAME TO decisions",
        "CREATE INDEX decisions_created ON decisions (created_at, id)",
        "CREATE INDEX decisions_ruleset ON decisions (ruleset_id, ruleset_version)",
        "CREATE INDEX decisions_family ON decisions (family_ref)",
        "CREATE INDEX decisions_submitted_by ON decisions (submitted_by)",
        "CREATE INDEX decisions_status ON decisions (status)",
    ]
    for sql in statements:
        db.execute(sql)


def _clients_own_keys(db: sqlite_utils.Database) -> None:
    """3: keys belong to a named client, which owns the decisions and reviews; keys may expire.

    Every existing key becomes a client with the key's own id, so `decisions.submitted_by`
    and `reviews.reviewer` (key ids until now) name that client unchanged. Client names are
    unique (ignoring ASCII case); a name that several old keys shared gets each later key's
    id appended. The key's name and role move to its client.
    """
    statements = [
        """CREATE TABLE clients (
            id TEXT PRIMARY KEY,
            name TEXT NOT NULL UNIQUE COLLATE NOCASE,
            role TEXT NOT NULL,
            created_at TEXT NOT NULL
        )""",
        """INSERT INTO clients (id, name, role, created_at)
            SELECT k.id,
                CASE WHEN EXISTS (
                    SELECT 1 FROM api_keys o
                    WHERE o.name = k.name COLLATE NOCASE
                        AND (o.created_at, o.id) < (k.created_at, k.id)
                ) THEN k.name || ' (' || k.id || ')' ELSE k.name END,
                k.role, k.created_at
            FROM api_keys k""",
        """CREATE TABLE api_keys_v3 (
            id TEXT PRIMARY KEY,
            client_id TEXT NOT NULL REFERENCES clients (id),
            token_sha256 TEXT NOT NULL UNIQUE,
            created_at TEXT NOT NULL,
            expires_at TEXT,
            revoked_at TEXT
        )""",
        """INSERT INTO api_keys_v3 (id, client_id, token_sha256, created_at, expires_at, revoked_at)
            SELECT id, id, token_sha256, created_at, NULL, revoked_at FROM api_keys""",
        "DROP TABLE api_keys",
        "ALTER TABLE api_keys_v3 RENAME TO api_keys",
        "CREATE INDEX api_keys_client ON api_keys (client_id)",
    ]
    for sql in statements:
        db.execute(sql)


def _one_successor(db: sqlite_utils.Database) -> None:
    """4: a decision has at most one successor (the chain of facts arriving later cannot
    fork), and listing by family finds the newest decision of each family by index.

    Chains forked before this migration are kept as they are, never edited: each later
    sibling is marked `forked` and the earliest stays the successor. The unique index covers
    every unmarked decision, so no new fork can be made, by any process.
    """
    statements = [
        """ALTER TABLE decisions ADD COLUMN forked INTEGER NOT NULL DEFAULT 0
            CHECK (forked IN (0, 1))""",
        """UPDATE decisions SET forked = 1
            WHERE previous_id IS NOT NULL AND EXISTS (
                SELECT 1 FROM decisions e
                WHERE e.previous_id = decisions.previous_id
                    AND (e.created_at, e.id) < (decisions.created_at, decisions.id)
            )""",
        "CREATE UNIQUE INDEX decisions_successor ON decisions (previous_id) WHERE forked = 0",
        "DROP INDEX decisions_family",
        "CREATE INDEX decisions_family ON decisions (family_ref, created_at, id)",
    ]
    for sql in statements:
        db.execute(sql)


def _audit_names_the_key(db: sqlite_utils.Database) -> None:
    """5: an audit row records which API key was used (NULL for local use and rows written
    before), and the trail can be read by action and by time without a full scan.

    Rows written before keep what they said: some name no actor or status, as that release
    wrote them; the log is never rewritten.
    """
    statements = [
        "ALTER TABLE audit ADD COLUMN key_id TEXT",
        "CREATE INDEX audit_action ON audit (action, id)",
        "CREATE INDEX audit_at ON audit (at)",
    ]
    for sql in statements:
        db.execute(sql)


def _idempotency_keys_expire(db: sqlite_utils.Database) -> None:
    """6: idempotency keys expire (`idempotency.py`), so expired rows are found, oldest first,
    by when they were made without a scan of the table.

    Rows written before keep their `created_at` (some, from the first release, without
    microseconds) and expire a lifetime after it like any other.
    """
    db.execute("CREATE INDEX idempotency_created ON idempotency (created_at)")


def _progress_checks(db: sqlite_utils.Database) -> None:
    """7: progress decisions, each following one entry decision (several may follow one),
    with their reviews and idempotency keys.

    As for decisions, the personal data (the merged facts and the decision with its trace)
    is in `progress_payloads`, apart from the metadata, so retention can delete one and keep
    the other; `family_ref` is nullable so that erasure can clear it.
    """
    statements = [
        """CREATE TABLE progress (
            id TEXT PRIMARY KEY,
            created_at TEXT NOT NULL,
            submitted_by TEXT NOT NULL,
            entry_id TEXT NOT NULL REFERENCES decisions (id),
            family_ref TEXT,
            assessment_date TEXT NOT NULL,
            status TEXT NOT NULL
                CHECK (status IN ('progressed', 'not_progressed', 'undetermined')),
            qualifies INTEGER CHECK (qualifies IN (0, 1)),
            qualifies_by TEXT CHECK (qualifies_by IN ('progress', 'employment')),
            ruleset_id TEXT NOT NULL,
            ruleset_version TEXT NOT NULL,
            ruleset_sha256 TEXT NOT NULL,
            CHECK ((qualifies = 1) = (qualifies_by IS NOT NULL))
        )""",
        "CREATE INDEX progress_entry ON progress (entry_id, created_at, id)",
        "CREATE INDEX progress_created ON progress (created_at, id)",
        "CREATE INDEX progress_family ON progress (family_ref)",
        """CREATE TABLE progress_payloads (
            progress_id TEXT PRIMARY KEY REFERENCES progress (id) ON DELETE CASCADE,
            facts TEXT NOT NULL,
            decision TEXT NOT NULL
        )""",
        """CREATE TABLE progress_reviews (
            seq INTEGER PRIMARY KEY AUTOINCREMENT,
            id TEXT NOT NULL UNIQUE,
            progress_id TEXT NOT NULL REFERENCES progress (id) ON DELETE CASCADE,
            verdict TEXT NOT NULL CHECK (verdict IN ('confirm', 'override')),
            qualifies INTEGER CHECK (
                (verdict = 'confirm' AND qualifies IS NULL)
                OR (verdict = 'override' AND qualifies IN (0, 1))
            ),
            reason TEXT NOT NULL,
            reviewer TEXT NOT NULL,
            created_at TEXT NOT NULL
        )""",
        "CREATE INDEX progress_reviews_progress ON progress_reviews (progress_id, seq)",
        """CREATE TABLE progress_idempotency (
            submitted_by TEXT NOT NULL,
            key TEXT NOT NULL,
            request_hash TEXT NOT NULL,
            progress_id TEXT NOT NULL REFERENCES progress (id) ON DELETE CASCADE,
            created_at TEXT NOT NULL,
            UNIQUE (submitted_by, key)
        )""",
        "CREATE INDEX progress_idempotency_created ON progress_idempotency (created_at)",
    ]
    for sql in statements:
        db.execute(sql)


def _results_claims(db: sqlite_utils.Database) -> None:
    """8: results claims, at most one per family, and their evidence.

    A claim is never deleted: withdrawing it records who, when and why, and only a claim
    withdrawn in error (`withdrawn_in_error`) frees its family for another. The unique
    partial index makes "one results claim per family" SQLite's rule, so no two writers, in
    any process, can both claim one family. The claim's content (evidence pointers, the
    keyworker's name) is in `claim_payloads`, apart from the metadata, as for decisions;
    `family_ref` is nullable so that erasure can clear it.
    """
    statements = [
        """CREATE TABLE claims (
            id TEXT PRIMARY KEY,
            created_at TEXT NOT NULL,
            claimed_by TEXT NOT NULL,
            progress_id TEXT NOT NULL REFERENCES progress (id),
            entry_id TEXT NOT NULL REFERENCES decisions (id),
            family_ref TEXT,
            claim_date TEXT NOT NULL,
            financial_year TEXT NOT NULL,
            qualifies_by TEXT NOT NULL CHECK (qualifies_by IN ('progress', 'employment', 'review')),
            attachment_fee_gbp NUMERIC NOT NULL,
            results_payment_gbp NUMERIC NOT NULL,
            ruleset_id TEXT NOT NULL,
            ruleset_version TEXT NOT NULL,
            ruleset_sha256 TEXT NOT NULL,
            status TEXT NOT NULL DEFAULT 'claimed'
                CHECK (status IN ('claimed', 'withdrawn', 'withdrawn_in_error')),
            withdrawn_at TEXT,
            withdrawn_by TEXT,
            withdrawn_reason TEXT,
            CHECK ((status = 'claimed') = (withdrawn_at IS NULL)),
            CHECK ((withdrawn_at IS NULL) = (withdrawn_by IS NULL)),
            CHECK ((withdrawn_at IS NULL) = (withdrawn_reason IS NULL))
        )""",
        """CREATE UNIQUE INDEX claims_one_per_family ON claims (family_ref)
            WHERE status != 'withdrawn_in_error'""",
        "CREATE INDEX claims_created ON claims (created_at, id)",
        "CREATE INDEX claims_claim_date ON claims (claim_date)",
        "CREATE INDEX claims_progress ON claims (progress_id)",
        """CREATE TABLE claim_payloads (
            claim_id TEXT PRIMARY KEY REFERENCES claims (id) ON DELETE CASCADE,
            claim TEXT NOT NULL
        )""",
    ]
    for sql in statements:
        db.execute(sql)


def _jobs(db: sqlite_utils.Database) -> None:
    """9: background jobs (impact analyses, `jobs.py`): who asked and when, progress with a
    heartbeat (a job whose runner stopped reporting is failed on the next read), and the
    result in two columns: `result`, counts only, and `personal`, the family refs and
    decision ids, which retention and erasure can clear and keep the counts.
    """
    statements = [
        """CREATE TABLE jobs (
            id TEXT PRIMARY KEY,
            kind TEXT NOT NULL CHECK (kind IN ('impact')),
            created_at TEXT NOT NULL,
            requested_by TEXT NOT NULL,
            parameters TEXT NOT NULL CHECK (json_valid(parameters)),
            status TEXT NOT NULL CHECK (status IN ('queued', 'running', 'done', 'failed')),
            done INTEGER NOT NULL DEFAULT 0,
            total INTEGER,
            started_at TEXT,
            heartbeat_at TEXT,
            finished_at TEXT,
            runner TEXT,
            error TEXT,
            result TEXT CHECK (result IS NULL OR json_valid(result)),
            personal TEXT CHECK (personal IS NULL OR json_valid(personal)),
            personal_cleared_at TEXT,
            CHECK ((status IN ('done', 'failed')) = (finished_at IS NOT NULL)),
            CHECK ((status = 'failed') = (error IS NOT NULL)),
            CHECK (status = 'done' OR result IS NULL)
        )""",
        "CREATE INDEX jobs_created ON jobs (created_at, id)",
        "CREATE INDEX jobs_requested_by ON jobs (requested_by, created_at)",
        "CREATE INDEX jobs_finished ON jobs (finished_at)",
        "CREATE INDEX jobs_unfinished ON jobs (status) WHERE status IN ('queued', 'running')",
    ]
    for sql in statements:
        db.execute(sql)


def _sessions(db: sqlite_utils.Database) -> None:
    """10: browser sessions (`sessions.py`): the sha256 of each session's token, the key it
    acts for, when it started, was last used, expires and ended, and why. No family's data.
    """
    statements = [
        """CREATE TABLE sessions (
            id TEXT PRIMARY KEY,
            key_id TEXT NOT NULL REFERENCES api_keys (id),
            created_at TEXT NOT NULL,
            last_seen_at TEXT NOT NULL,
            expires_at TEXT NOT NULL,
            ended_at TEXT,
            end_reason TEXT,
            CHECK ((ended_at IS NULL) = (end_reason IS NULL))
        )""",
        "CREATE INDEX sessions_key ON sessions (key_id)",
        "CREATE INDEX sessions_ended ON sessions (ended_at)",
    ]
    for sql in statements:
        db.execute(sql)


def _research_extracts(db: sqlite_utils.Database) -> None:
    """11: the register of research extracts (`research.py`): each pseudonymised extract made
    for the national evaluation, when, by whom, where it was written, the secret's key id
    (a fingerprint, never the secret), its parameters and row counts, and when and by whom
    it was destroyed (`destruction`: `deleted`, or `already_gone` when the directory had
    gone before), so the five-year destruction can be enforced and proven. No family's data.
    """
    statements = [
        """CREATE TABLE research_extracts (
            id TEXT PRIMARY KEY,
            created_at TEXT NOT NULL,
            created_by TEXT NOT NULL,
            out_path TEXT NOT NULL,
            as_of TEXT NOT NULL,
            key_id TEXT NOT NULL,
            parameters TEXT NOT NULL CHECK (json_valid(parameters)),
            counts TEXT NOT NULL CHECK (json_valid(counts)),
            destroyed_at TEXT,
            destroyed_by TEXT,
            destruction TEXT CHECK (destruction IN ('deleted', 'already_gone')),
            CHECK ((destroyed_at IS NULL) = (destroyed_by IS NULL)),
            CHECK ((destroyed_at IS NULL) = (destruction IS NULL))
        )""",
        "CREATE INDEX research_extracts_created ON research_extracts (created_at, id)",
    ]
    for sql in statements:
        db.execute(sql)


def _audit_chain(db: sqlite_utils.Database) -> None:
    """12: the tamper-evident audit chain (`chain.py`, which states the contract): every row of
    the chained tables gets `chain_seq`, `content_sha256` and `chain_sha256`, and
    `chain_heads` the last link of each chain. The rows already there are chained here,
    once, in their insertion order, so an older database verifies once migrated.
    """
    from . import chain  # here, not at the top: chain imports connection, which imports us

    for table in chain.CHAINS:
        for column in chain.CHAIN_COLUMNS:
            kind = "INTEGER" if column == "chain_seq" else "TEXT"
            db.execute(f"ALTER TABLE {table} ADD COLUMN {column} {kind}")
        db.execute(f"CREATE UNIQUE INDEX {table}_chain ON {table} (chain_seq)")
    db.execute(
        """CREATE TABLE chain_heads (
            name TEXT PRIMARY KEY,
            seq INTEGER NOT NULL,
            chain_sha256 TEXT NOT NULL
        )"""
    )
    chain.link_existing(db)


def _rebuild_nullable(db: sqlite_utils.Database, table: str, column: str) -> None:
    """Rebuild `table` with `column TEXT NOT NULL` made `column TEXT`, keeping every other
    column, index and trigger as the table has them now (whatever earlier migrations added:
    this reads the schema SQLite holds rather than restating it)."""
    [[sql]] = db.execute(
        "SELECT sql FROM sqlite_master WHERE type = 'table' AND name = ?", [table]
    ).fetchall()
    before = f"{column} TEXT NOT NULL"
    if before not in sql:
        raise ValueError(f"{table}.{column} is not TEXT NOT NULL: {sql}")
    # SQLite keeps the name as written, or quoted once a table was renamed
    rebuilt = re.sub(
        rf'^CREATE TABLE\s+("{table}"|{table})',
        f"CREATE TABLE {table}_rebuilt",
        sql.replace(before, f"{column} TEXT", 1),
        count=1,
    )
    if not rebuilt.startswith(f"CREATE TABLE {table}_rebuilt"):
        raise ValueError(f"cannot read the schema of {table}: {sql}")
    others = [
        r[0]
        for r in db.execute(
            "SELECT sql FROM sqlite_master WHERE tbl_name = ? AND type IN ('index', 'trigger')"
            " AND sql IS NOT NULL ORDER BY type, name",
            [table],
        ).fetchall()
    ]
    db.execute(rebuilt)
    db.execute(f"INSERT INTO {table}_rebuilt SELECT * FROM {table}")
    db.execute(f"DROP TABLE {table}")
    db.execute(f"ALTER TABLE {table}_rebuilt RENAME TO {table}")
    for statement in others:
        db.execute(statement)


def _retention_erasure_restriction(db: sqlite_utils.Database) -> None:
    """13: retention, erasure (Art. 17) and restriction (Art. 18), `retention.py` and
    `restrictions.py`.

    No chained row is deleted: erasing a record deletes its payload row (facts, trace, claim
    content), clears its family ref and its reviews' reasons (so `reviews.reason` and
    `progress_reviews.reason` become nullable, the tables rebuilt keeping whatever columns
    they have) and deletes its idempotency rows; `tombstones` marks each record so erased,
    when, and why (`retention` with the rule, or `erasure` with its `erasures` row: who,
    when, why, and counts, never the family ref). `restrictions` holds each restriction of
    a family's processing, in force until lifted; an erased family's rows lose their ref.
    """
    _rebuild_nullable(db, "reviews", "reason")
    _rebuild_nullable(db, "progress_reviews", "reason")
    statements = [
        """CREATE TABLE erasures (
            id TEXT PRIMARY KEY,
            at TEXT NOT NULL,
            erased_by TEXT NOT NULL,
            reason TEXT NOT NULL,
            counts TEXT NOT NULL CHECK (json_valid(counts))
        )""",
        """CREATE TABLE tombstones (
            record_type TEXT NOT NULL
                CHECK (record_type IN ('decision', 'progress', 'claim', 'audit')),
            record_id TEXT NOT NULL,
            erased_at TEXT NOT NULL,
            cause TEXT NOT NULL CHECK (cause IN ('retention', 'erasure')),
            rule TEXT,
            erasure_id TEXT REFERENCES erasures (id),
            PRIMARY KEY (record_type, record_id),
            CHECK ((cause = 'erasure') = (erasure_id IS NOT NULL)),
            CHECK ((cause = 'retention') = (rule IS NOT NULL))
        )""",
        "CREATE INDEX tombstones_erased ON tombstones (erased_at)",
        """CREATE TABLE restrictions (
            id TEXT PRIMARY KEY,
            family_ref TEXT,
            restricted_at TEXT NOT NULL,
            restricted_by TEXT NOT NULL,
            reason TEXT,
            lifted_at TEXT,
            lifted_by TEXT,
            lift_reason TEXT,
            CHECK ((lifted_at IS NULL) = (lifted_by IS NULL))
        )""",
        """CREATE UNIQUE INDEX restrictions_in_force ON restrictions (family_ref)
            WHERE lifted_at IS NULL""",
    ]
    for sql in statements:
        db.execute(sql)


def _person_index(db: sqlite_utils.Database) -> None:
    """14: the person index (`persons.py`), so a person can be found by member ref and date
    of birth once facts are sealed at rest (`sealed.py`), and SQLite cannot read them.

    Rows already stored are plain text here (sealing begins with this version), so they are
    indexed with plain digests; `tfp keys rotate-data-key` seals them and re-makes the rows.
    """
    db.execute(
        """CREATE TABLE person_index (
            digest TEXT NOT NULL,
            key_id TEXT NOT NULL,
            family_ref TEXT NOT NULL,
            record_id TEXT NOT NULL,
            UNIQUE (record_id, digest)
        )"""
    )
    db.execute("CREATE INDEX person_index_digest ON person_index (digest)")
    db.execute("CREATE INDEX person_index_family ON person_index (family_ref)")
    for table, payloads, key in (
        ("decisions", "decision_payloads", "decision_id"),
        ("progress", "progress_payloads", "progress_id"),
    ):
        rows = db.execute(
            f"SELECT d.id, d.family_ref, p.facts FROM {table} d JOIN {payloads} p"
            f" ON p.{key} = d.id WHERE d.family_ref IS NOT NULL AND p.facts IS NOT NULL"
        )
        for record_id, family_ref, facts in rows.fetchall():
            persons.index_persons(
                db, None, family_ref=family_ref, record_id=record_id, facts=json.loads(facts)
            )


def _trace_templates(db: sqlite_utils.Database) -> None:
    """15: trace templates (`templates.py`), each stored once by its content hash, which a
    decision with a compact trace names. Decisions stored before keep their full traces."""
    db.execute(
        """CREATE TABLE trace_templates (
            sha256 TEXT PRIMARY KEY,
            template TEXT NOT NULL
        )"""
    )


# Applied in order; the version of a database is the number applied. Append, never edit.
MIGRATIONS: tuple[Callable[[sqlite_utils.Database], None], ...] = (
    _initial_schema,
    _three_valued_outcomes,
    _clients_own_keys,
    _one_successor,
    _audit_names_the_key,
    _idempotency_keys_expire,
    _progress_checks,
    _results_claims,
    _jobs,
    _sessions,
    _research_extracts,
    _audit_chain,
    _retention_erasure_restriction,
    _person_index,
    _trace_templates,
)
