"""Retention by record type (issue 18, item 1): with a clock the test moves, nothing past its
period survives and nothing before it is touched; tombstones keep the statistics and every
chained row; the policy file is complete, sourced and valid; `tfp retention apply`."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import jsonschema
import pytest
import yaml
from click.testing import CliRunner

from tfp_rules.cli import main
from tfp_rules.privacy.research import RESEARCH_RETENTION
from tfp_rules.privacy.retention import (
    DEFAULT_CONFIG,
    PERIODS,
    RetentionConfigError,
    apply_retention,
    load_policy,
)
from tfp_rules.store import NotFoundError, Store
from tfp_rules.store.sealed import SEALED_BY_TABLE, unseal_row

from .conftest import seed

ROOT = Path(__file__).parent.parent.parent
SCHEMA = ROOT / "schemas" / "retention.schema.json"
CHAINED = ("decisions", "reviews", "progress", "progress_reviews", "claims", "audit")
# What erasure may change in a chained row: its personal content, nothing else.
PERSONAL = {"family_ref", "reason", "withdrawn_reason", "target", "detail"}
START = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)  # the conftest clock's start


@pytest.fixture
def families(store, library):
    """Four families, all stored on 2026-11-25: 0 claimed (claim in force), 1 claimed then
    withdrawn not in error (still in force), 2 eligible with no claim, 3 overridden to not
    eligible by a review."""
    seeded = seed(store, library, n_families=4)
    [d3] = store.list_decisions(family_ref=seeded.family_refs[3])[0]
    store.add_review(
        d3.id,
        verdict="override",
        eligible=False,
        reason="Overridden by Ms Quill",
        reviewer=d3.submitted_by,
    )
    return seeded


def dump(store: Store) -> str:
    """Every value of every table, as text, sealed values opened: what a search for a
    leaked value reads (sealing hides; only erasure removes)."""
    rows = []
    tables = [r[0] for r in store.db.execute("SELECT name FROM sqlite_master WHERE type='table'")]
    for table in tables:
        for row in store.db.query(f"SELECT * FROM {table}"):
            if table in SEALED_BY_TABLE:
                unseal_row(store.keys, table, row)
            rows.append(json.dumps(row))
    return "\n".join(rows)


def chained(store: Store) -> dict[str, list[dict]]:
    """The non-personal fields of every chained row."""
    out = {}
    for table in CHAINED:
        rows = store.db.query(f"SELECT * FROM {table} ORDER BY rowid")
        out[table] = [{k: v for k, v in r.items() if k not in PERSONAL} for r in rows]
    return out


def held_refs(store: Store) -> set[str]:
    return {a.family_ref for a in store.family_activity()}


def at(clock, moment: datetime) -> None:
    clock.now = moment


def test_each_familys_rule_and_the_boundary_of_its_period(store, clock, families):
    policy = load_policy()
    refs = families.family_refs
    rules = {a.family_ref: a for a in store.family_activity()}
    assert rules[refs[0]].claimed_at and rules[refs[1]].claimed_at
    assert rules[refs[2]].eligible and not rules[refs[2]].claimed_at
    assert not rules[refs[3]].eligible
    last = max(a.last_activity for a in rules.values())
    newest = datetime.fromisoformat(last)
    steps = [
        (START + timedelta(days=365) - timedelta(hours=1), set(refs)),  # 12 months: not yet
        (newest + timedelta(days=366), {refs[0], refs[1], refs[2]}),  # not eligible: gone
        (newest + timedelta(days=365 * 2 - 1), {refs[0], refs[1], refs[2]}),  # 24 months: not yet
        (newest + timedelta(days=365 * 2 + 1), {refs[0], refs[1]}),  # eligible, unclaimed
        (newest + timedelta(days=365 * 6 - 1), {refs[0], refs[1]}),  # claimed: 6 years: not yet
        (newest + timedelta(days=365 * 6 + 2), set()),
    ]
    before = chained(store)
    for moment, kept in steps:
        at(clock, moment)
        apply_retention(store, policy, actor="cli:test")
        assert held_refs(store) == kept, moment
        text = dump(store)
        for n, ref in enumerate(refs):
            survives = [ref, f"Reviewed with Mrs Henrietta Brackenbury {n}"]
            for value in survives:
                assert (value in text) == (ref in kept), (moment, value)
        # chained rows: none removed, no non-personal field changed (audit rows only added)
        after = chained(store)
        for table in CHAINED:
            assert after[table][: len(before[table])] == before[table], table
        # and the tamper-evident chain verifies whole after every run
        assert [r.table for r in store.verify_chains() if r.broken] == [], moment
        before = after
    assert "Overridden by Ms Quill" not in dump(store)
    assert "Sam Quagmire-Keyworker" not in dump(store)


def test_tombstones_keep_the_statistics_whole(store, clock, families):
    counts_before = store.decision_counts()
    at(clock, START + timedelta(days=365 * 7))
    report = apply_retention(store, load_policy(), actor="cli:test")
    assert report.families == {"not_eligible": 1, "eligible_unclaimed": 1, "claimed": 2}
    assert store.decision_counts() == counts_before  # outcomes, statuses, reviews, rulesets
    for record_id in families.ids:
        try:
            d = store.get_decision(record_id)
        except NotFoundError:  # a review, progress or claim id
            continue
        assert d.decision == {} and d.family_ref is None
        tomb = store.tombstone_of("decision", d.id)
        assert tomb is not None and tomb.cause == "retention"
        assert all(r.reason is None for r in d.reviews) and d.reviews
    assert store.tombstone_count() == {"decision": 4, "progress": 2, "claim": 2}


def test_a_dry_run_says_what_a_run_does_and_changes_nothing(store, clock, families):
    at(clock, START + timedelta(days=365 * 7))
    text = dump(store)
    dry = apply_retention(store, load_policy(), actor="cli:test", dry_run=True)
    assert dump(store) == text
    done = apply_retention(store, load_policy(), actor="cli:test")
    assert dry.counts == done.counts and dry.families == done.families
    assert done.counts["decisions"] == 4 and done.counts["reviews"] == 5
    [row] = store.list_audit(action="retention.apply")[0]
    assert "decisions=4" in row["detail"]
    for ref in families.family_refs:
        assert ref not in row["detail"]
    again = apply_retention(store, load_policy(), actor="cli:test")
    assert again.counts["decisions"] == 0  # idempotent: tombstones are not erased twice


def test_a_run_as_of_a_later_time_must_be_a_dry_run(store, families):
    later = store.research_now() + timedelta(days=3000)
    with pytest.raises(ValueError, match="dry run"):
        apply_retention(store, load_policy(), actor="cli:test", as_of=later)
    report = apply_retention(store, load_policy(), actor="cli:test", as_of=later, dry_run=True)
    assert report.counts["decisions"] == 4
    assert held_refs(store) == set(families.family_refs)


def test_idempotency_keys_sessions_and_job_family_lists_by_age(store, clock, library):
    seeded = seed(store, library, n_families=1, first=5)
    [d] = store.list_decisions()[0]
    facts = store.get_facts(d.id)
    store.save_decision(
        store.get_decision(d.id).decision,
        {**facts, "x": 1},
        submitted_by=d.submitted_by,
        idempotency_key="k-1",
    )
    key = store.create_key("reviewer", "session holder")[0]
    token = store.start_session(key, lifetime=timedelta(hours=8))
    store.end_session(token)
    job = store.create_job("impact", {}, requested_by="cli:test")
    store.start_job(job.id, runner="t", total=1)
    personal = {"changed": [{"family_ref": seeded.family_refs[0], "decision_id": d.id}]}
    store.finish_job(job.id, done=1, result={"changed": 1}, personal=personal)
    policy = load_policy()
    at(clock, START + timedelta(days=29))
    report = apply_retention(store, policy, actor="cli:test")
    assert (report.counts["idempotency"], report.counts["job_personal"]) == (0, 0)
    assert report.counts["sessions"] == 0
    at(clock, START + timedelta(days=31))
    report = apply_retention(store, policy, actor="cli:test")
    assert (report.counts["idempotency"], report.counts["job_personal"]) == (1, 1)
    assert store.get_job(job.id).personal is None and store.get_job(job.id).result
    assert report.counts["sessions"] == 0
    at(clock, START + timedelta(days=91))
    report = apply_retention(store, policy, actor="cli:test")
    assert report.counts["sessions"] == 1
    [[n]] = store.db.execute("SELECT count(*) FROM sessions").fetchall()
    assert n == 0


def test_the_policy_file_names_every_period_with_its_source_and_is_valid():
    document = yaml.safe_load(DEFAULT_CONFIG.read_text())
    jsonschema.validate(document, json.loads(SCHEMA.read_text()))
    policy = load_policy()
    assert set(policy.periods) == set(PERIODS)
    for period in policy.periods.values():
        assert period.source and period.applies_to
    # the five years are research's own figure, not a second copy
    assert policy.periods["research_extracts"].delta is RESEARCH_RETENTION
    assert "period" not in document["periods"]["research_extracts"]
    assert "deleted when it is no longer" in policy.periods["not_eligible"].source


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda p: p["not_eligible"].update(period="soon"), "not_eligible"),
        (lambda p: p["idempotency"].update(period="1 days"), "idempotency"),
        (lambda p: p["research_extracts"].update(period="2 years"), "RESEARCH_RETENTION"),
        (lambda p: p["audit"].update(period="3 years"), "audit"),
        (lambda p: p.pop("sessions"), "missing: sessions"),
        (lambda p: p["claimed"].pop("source"), "claimed"),
    ],
)
def test_a_bad_policy_is_refused_naming_the_period(tmp_path, change, message):
    document = yaml.safe_load(DEFAULT_CONFIG.read_text())
    change(document["periods"])
    path = tmp_path / "retention.yaml"
    path.write_text(yaml.safe_dump(document))
    with pytest.raises(RetentionConfigError, match=message):
        load_policy(path)


def test_the_cli_prints_counts_per_record_type(store, clock, families, tmp_path):
    database = store.path
    runner = CliRunner()
    dry = runner.invoke(
        main,
        ["retention", "apply", "--dry-run", "--as-of", "2034-01-01", "--database", str(database)],
    )
    assert dry.exit_code == 0, dry.output
    assert "decisions: would remove 4" in dry.output
    assert "families past claimed: 2" in dry.output
    wrong = runner.invoke(
        main, ["retention", "apply", "--as-of", "2999-01-01", "--database", str(database)]
    )
    assert wrong.exit_code == 2
    done = runner.invoke(main, ["retention", "apply", "--database", str(database)])
    assert done.exit_code == 0 and "decisions: removed 0" in done.output
