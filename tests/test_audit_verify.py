"""`tfp audit verify`: every chain walked and reported, exit 0 when all hold, 1 naming the
first break; `tfp audit list --family`; both audited."""

from __future__ import annotations

import json
import sqlite3

import pytest
from click.testing import CliRunner

from tfp_rules.cli import main
from tfp_rules.store import CHAINS, Store

from .conftest import DATA

EXAMPLE = json.loads((DATA / "example_facts.json").read_text())


@pytest.fixture
def database(tmp_path, library):
    """A store with one decision (the example family's), a review and a read."""
    from tfp_rules.evaluate import decide
    from tfp_rules.facts import parse_facts

    path = tmp_path / "tfp.sqlite"
    decision = decide(library, parse_facts(EXAMPLE), None)
    with Store(path) as store:
        saved, _ = store.save_decision(decision, EXAMPLE, submitted_by="partner")
        store.add_review(saved.id, verdict="confirm", reason="checked", reviewer="rev")
        store.audit(actor="rev", action="decision.read", status=200, target=saved.id)
    return path


def verify(database, *args: str):
    return CliRunner().invoke(main, ["audit", "verify", "--database", str(database), *args])


def test_verify_prints_each_chain_and_exits_0(database):
    result = verify(database)
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert [line.split(":")[0] for line in lines] == list(CHAINS)
    assert lines[0].startswith("decisions: 1 rows checked, OK; head 1 ")
    assert lines[3] == "progress_reviews: 0 rows checked, OK; head 0 -"
    with Store(database) as store:
        [row] = store.list_audit(action="audit.verify")[0]
    assert row["actor"].startswith("cli:") and row["detail"] == "tables=6 broken=none"


def test_verify_names_the_first_break_and_exits_1(database):
    with sqlite3.connect(database) as db:
        db.execute("UPDATE reviews SET reason = 'not what was written'")
    result = verify(database)
    assert result.exit_code == 1
    [line] = [x for x in result.output.splitlines() if "BROKEN" in x]
    assert line.startswith("reviews: BROKEN: altered at row 1 (")
    assert line.endswith("its content was changed; 0 of 1 rows OK before it")
    only = verify(database, "--table", "audit")
    assert only.exit_code == 0 and only.output.startswith("audit: ")
    assert len(only.output.splitlines()) == 1
    with Store(database) as store:
        rows = store.list_audit(action="audit.verify")[0]
    assert rows[-1]["detail"] == "tables=6 broken=reviews"


def test_verify_refuses_an_unknown_table(database):
    result = verify(database, "--table", "jobs")
    assert result.exit_code == 2


def test_audit_list_by_family_records_the_filter_not_the_ref(database):
    result = CliRunner().invoke(
        main, ["audit", "list", "--family", EXAMPLE["family_ref"], "--database", str(database)]
    )
    assert result.exit_code == 0, result.output
    actions = [line.split("\t")[3] for line in result.output.splitlines()]
    assert actions == ["decision.read", "review.create", "decision.create"]
    with Store(database) as store:
        [last] = store.list_audit(limit=1)[0]
    assert last["action"] == "audit.list" and last["detail"] == "family"
    assert EXAMPLE["family_ref"] not in json.dumps(last)
