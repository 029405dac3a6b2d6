"""Stored decisions hold the compact trace, their template once by its hash; they read
back in full (or compact when asked), sealed at rest, and old rows with full traces still
read."""

from __future__ import annotations

import json

import pytest

from tfp_rules.compact import compact, is_compact, template_for, template_of
from tfp_rules.compile import compile_ruleset
from tfp_rules.errors import TraceTemplateError
from tfp_rules.privacy.datakeys import sealed_key_id
from tfp_rules.privacy.subject import WITHHELD, export_family, export_person
from tfp_rules.store.sealed import context
from tfp_rules.store.templates import _PARSED

from .conftest import raw


@pytest.fixture
def template(rulesets):
    return template_for(compile_ruleset(rulesets.resolve("national@2015.1")))


def test_a_decision_saved_with_its_template_is_stored_compact(store, make, template, db_path):
    decision, facts = make()
    saved, _ = store.save_decision(decision, facts, submitted_by="k1", template=template)
    assert saved.decision == decision
    db = raw(db_path)
    sealed = db["decision_payloads"].get(saved.id)["decision"]
    assert sealed_key_id(sealed) == store.keys.current  # the compact payload is sealed too
    text = store.keys.open(sealed, context("decision_payloads", "decision", saved.id))
    stored = json.loads(text)
    assert is_compact(stored) and template_of(stored) == template.sha256
    assert len(text) * 3 < len(json.dumps(decision))
    # the template, stored once, holds nothing of the family
    rows = list(db["trace_templates"].rows)
    assert [r["sha256"] for r in rows] == [template.sha256]
    assert "STK-2019-000123" not in rows[0]["template"] and "/members/" not in rows[0]["template"]
    store.save_decision(*make(), submitted_by="k1", template=template)
    assert db["trace_templates"].count == 1


def test_it_reads_back_in_full_or_compact_as_asked(store, make, template):
    decision, facts = make()
    saved, _ = store.save_decision(decision, facts, submitted_by="k1", template=template)
    _PARSED.clear()  # read from the table, not the process's cache
    full = store.get_decision(saved.id)
    assert json.dumps(full.decision) == json.dumps(decision)
    small = store.get_decision(saved.id, trace="compact")
    assert is_compact(small.decision)
    assert small.decision["status"] == decision["status"]
    with pytest.raises(ValueError, match="trace must be one of full, compact"):
        store.get_decision(saved.id, trace="short")


def test_a_decision_stored_full_still_reads(store, make):
    decision, facts = make()
    saved, _ = store.save_decision(decision, facts, submitted_by="k1")  # no template: full
    assert store.get_decision(saved.id).decision == decision
    assert store.get_decision(saved.id, trace="compact").decision == decision


def test_a_missing_template_is_a_clear_error(store, make, template, db_path):
    saved, _ = store.save_decision(*make(), submitted_by="k1", template=template)
    raw(db_path).execute("DELETE FROM trace_templates")
    _PARSED.clear()
    with pytest.raises(TraceTemplateError, match=f"no trace template {template.sha256}"):
        store.get_decision(saved.id)


def test_an_erased_decision_has_no_trace_to_expand(store, make, template):
    saved, _ = store.save_decision(*make(), submitted_by="k1", template=template)
    store.erase_family("STK-2019-000123", erased_by="dpo", reason="erasure request")
    assert store.get_decision(saved.id).decision == {}


def test_a_decision_compacted_already_is_stored_as_it_is(store, make, template):
    decision, facts = make()
    small = compact(decision, template)
    saved, _ = store.save_decision(small, facts, submitted_by="k1", template=template)
    assert saved.decision is small
    assert json.dumps(store.get_decision(saved.id).decision) == json.dumps(decision)
    assert store.get_decision(saved.id, trace="compact").decision == small
    with pytest.raises(ValueError, match="stored with its template"):
        store.save_decision(small, facts, submitted_by="k1")


def test_subject_access_exports_the_full_trace_with_other_members_withheld(store, make, template):
    """A member's export withholds the other members' parts of the trace: it reads the full
    trace (the compact one's positional results and shared values would slip past)."""
    decision, facts = make()
    store.save_decision(decision, facts, submitted_by="k1", template=template)
    whole = export_family(store, "STK-2019-000123", actor="cli:test").document
    exported = whole["families"][0]["decisions"][0]["decision"]
    assert json.dumps(exported) == json.dumps(decision)
    person = facts["members"][0]
    doc = export_person(store, person["ref"], person["date_of_birth"], actor="cli:test").document
    trace = doc["families"][0]["decisions"][0]["decision"]["trace"]
    assert "trace_format" not in trace
    others = [s["subject"] for s in decision["trace"]["family"]["subjects"]][1:]
    assert others and not set(others) & {
        s.get("subject") for s in trace["family"]["subjects"] if isinstance(s, dict)
    }
    assert {"subject": "withheld", "withheld": WITHHELD} in trace["family"]["subjects"]
