"""Subject access (issue 18, item 2; UK GDPR Art. 15): everything held about a family, or a
person across families, as one document whose index counts and points to every record; no
other family's records, no other member's data for a person; audited without the ref; and
`tfp subject export`'s exit codes. The records are made through the real API and store."""

from __future__ import annotations

import json
import stat
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner

from service import create_app
from tfp_rules.cli import main
from tfp_rules.library import RulesetLibrary
from tfp_rules.outcomes.claims import resolve_pointer
from tfp_rules.privacy.subject import KINDS, WITHHELD, export_family, export_person
from tfp_rules.ruleset import DEFAULT_RULESETS_DIR
from tfp_rules.store import Store

ROOT = Path(__file__).parent.parent.parent
PROGRESS = ROOT / "fixtures" / "progress" / "turns_around"
EXAMPLE = ROOT / "tests" / "data" / "example_facts.json"
FAMILY = "STK-2019-000777"  # turns_around: p1 born 1984-06-02, c1 born 2006-10-15
SAME_PERSON = "STK-2019-000123"  # the example: p1 born 1984-06-02 too
OTHER = "STK-2019-000999"  # a p1 born on another day
PERSON = ("p1", "1984-06-02")
CHILD_BORN = "2006-10-15"
JUDGEMENTS = {
    "judgements": [
        {
            "indicator": "H6.mental_health",
            "member": "p1",
            "by": "keyworker-17",
            "reason": "GP letter",
        },
        {"indicator": "H6.mental_health", "member": "c1", "by": "keyworker-17", "reason": "CAMHS"},
    ]
}
CLAIM = {
    "whole_family_assessment": "2019-04-02",
    "action_plan": "2019-04-10",
    "keyworker": "Sam Keyworker",
}


class Clock:
    """A clock the test moves: each reading is a second after the last."""

    def __init__(self) -> None:
        self.now = datetime.fromisoformat("2026-12-01T09:00:00+00:00")

    def __call__(self) -> datetime:
        self.now += timedelta(seconds=1)
        return self.now


@dataclass
class Held:
    """What `make_families` made: the ids of each family's records."""

    entry: str  # the first decision of FAMILY's chain
    latest: str  # the decision that follows it, facts added
    progress: str
    claim: str
    same_person: str  # SAME_PERSON's decision
    other: str  # OTHER's decision


def _made(response, status: int = 201) -> str:
    assert response.status_code == status, response.get_data(as_text=True)
    return response.get_json()["id"]


def make_families(client, auth: Callable[..., dict[str, str]]) -> Held:
    """Through the API: FAMILY with a chain of two decisions, a review, a progress decision
    with a review, a claim, and reads of them; SAME_PERSON and OTHER with one decision each."""
    entry_facts = json.loads((PROGRESS / "entry.json").read_text())
    later = json.loads((PROGRESS / "later.json").read_text())
    entry = _made(client.post("/v1/evaluations?ruleset=stockton", json=entry_facts, headers=auth()))
    url = f"/v1/decisions/{entry}/facts?ruleset=stockton"
    latest = _made(client.post(url, json=JUDGEMENTS, headers=auth()))
    review = {"verdict": "confirm", "reason": "Checked with the school"}
    _made(client.post(f"/v1/decisions/{entry}/reviews", json=review, headers=auth("reviewer")))
    progress = _made(client.post(f"/v1/decisions/{latest}/progress", json=later, headers=auth()))
    review = {"verdict": "confirm", "reason": "Progress seen at the review meeting"}
    url = f"/v1/progress/{progress}/reviews"
    _made(client.post(url, json=review, headers=auth("reviewer")))
    claim = _made(
        client.post("/v1/claims", json={"progress_id": progress, **CLAIM}, headers=auth("reviewer"))
    )
    for path in (
        f"/v1/decisions/{latest}",
        f"/v1/decisions?family_ref={FAMILY}",
        f"/v1/progress/{progress}",
        f"/v1/claims/{claim}",
    ):
        assert client.get(path, headers=auth("reviewer")).status_code == 200, path
    example = json.loads(EXAMPLE.read_text())
    same = _made(client.post("/v1/evaluations", json=example, headers=auth()))
    example["family_ref"] = OTHER
    example["members"][0]["date_of_birth"] = "1990-01-01"
    other = _made(client.post("/v1/evaluations", json=example, headers=auth()))
    client.get(f"/v1/decisions/{other}", headers=auth("reviewer"))
    return Held(entry, latest, progress, claim, same, other)


@pytest.fixture
def app(tmp_path, monkeypatch, library):
    load = RulesetLibrary.from_directory

    def once(directory=DEFAULT_RULESETS_DIR):
        same = Path(directory).resolve() == DEFAULT_RULESETS_DIR.resolve()
        return library if same else load(directory)

    monkeypatch.setattr(RulesetLibrary, "from_directory", once)
    return create_app({"DATABASE": str(tmp_path / "tfp.sqlite"), "TESTING": True})


@pytest.fixture
def database(app) -> Path:
    return Path(app.config["DATABASE"])


@pytest.fixture
def held(app, database) -> Held:
    with Store(database) as store:
        tokens = {r: store.create_key(r, f"test {r}")[1] for r in ("submitter", "reviewer")}
    client = app.test_client()
    return make_families(
        client, lambda role="submitter": {"Authorization": f"Bearer {tokens[role]}"}
    )


@pytest.fixture
def store(database, held):
    """The store with the families made, and a clock the test controls."""
    s = Store(database, clock=Clock())
    yield s
    s.close()


def counts(document: dict) -> dict[str, int]:
    return {entry["kind"]: entry["count"] for entry in document["index"]}


def test_a_family_export_holds_every_record_and_the_index_counts_and_points_to_each(store, held):
    made = export_family(store, FAMILY, actor="cli:test")
    doc = made.document
    assert doc["about"] == {"kind": "family", "family_ref": FAMILY} and doc["held"] is True
    assert doc["made_at"] == "2026-12-01T09:00:01.000000Z"  # the store's clock
    assert [entry["kind"] for entry in doc["index"]] == list(KINDS)
    assert counts(doc) == made.counts
    expected = {
        "decision": 2,
        "decision_facts": 2,
        "decision_trace": 2,
        "decision_review": 1,
        "progress_decision": 1,
        "progress_facts": 1,
        "progress_trace": 1,
        "progress_review": 1,
        "claim": 1,
        "job": 0,
    }
    assert {k: n for k, n in counts(doc).items() if k != "audit"} == expected
    for entry in doc["index"]:
        assert len(entry["pointers"]) == entry["count"] == len(set(entry["pointers"]))
        for pointer in entry["pointers"]:
            assert isinstance(resolve_pointer(doc, pointer), dict), pointer
    [family] = doc["families"]
    first, second = family["decisions"]
    assert (first["id"], second["id"], second["previous_id"]) == (
        held.entry,
        held.latest,
        held.entry,
    )
    assert first["facts"] == store.get_facts(held.entry)  # as received
    assert second["facts"] == store.get_facts(held.latest)
    assert second["decision"] == store.get_decision(held.latest).decision  # with its trace
    assert "trace" in second["decision"]
    [review] = first["reviews"]
    assert review["reason"] == "Checked with the school"
    assert review["reviewer_name"] == "test reviewer"
    [progress] = family["progress"]
    assert progress["id"] == held.progress and progress["entry_id"] == held.latest
    assert progress["facts"] == store.get_progress_facts(held.progress)
    assert progress["reviews"][0]["reason"] == "Progress seen at the review meeting"
    [claim] = family["claims"]
    assert claim["id"] == held.claim and claim["content"]["preconditions"] == CLAIM
    audit = family["audit"]
    assert len(audit) == counts(doc)["audit"]
    actions = {(row["action"], row["target"]) for row in audit}
    assert {
        ("decision.create", held.entry),
        ("decision.create", held.latest),
        ("review.create", held.entry),
        ("progress.create", held.progress),
        ("progress_review.create", held.progress),
        ("claim.create", held.claim),
        ("decision.read", held.latest),
        ("progress.read", held.progress),
        ("claim.read", held.claim),
    } <= actions
    listed = [row for row in audit if row["action"] == "decision.list"]
    assert listed and all(held.latest in row["detail"] for row in listed)  # a list read of them
    assert [row["id"] for row in audit] == sorted(row["id"] for row in audit)


def test_another_familys_records_never_appear(store, held):
    job = store.create_job("impact", {"from": "2015.1", "to": "2017.1"}, requested_by="cli:test")
    store.start_job(job.id, runner="test", total=2)
    entries = [
        {
            "family_ref": FAMILY,
            "decision_id": held.latest,
            "origin": "o",
            "from": "eligible",
            "to": "not_eligible",
        },
        {
            "family_ref": OTHER,
            "decision_id": held.other,
            "origin": "o",
            "from": "eligible",
            "to": "not_eligible",
        },
    ]
    store.finish_job(
        job.id, done=2, result={}, personal={"changed_families": entries, "invalid_families": []}
    )
    doc = export_family(store, FAMILY, actor="cli:test").document
    [family] = doc["families"]
    [exported] = family["jobs"]
    assert exported["id"] == job.id
    assert exported["entries"] == {"changed_families": [entries[0]], "invalid_families": []}
    assert counts(doc)["job"] == 1
    text = json.dumps(doc)
    for foreign in (OTHER, SAME_PERSON, held.other, held.same_person):
        assert foreign not in text


def test_one_person_across_two_families_with_the_other_members_withheld(store, held):
    doc = export_person(store, *PERSON, actor="cli:test").document
    assert doc["about"] == {"kind": "person", "member_ref": "p1", "date_of_birth": "1984-06-02"}
    assert [f["family_ref"] for f in doc["families"]] == [SAME_PERSON, FAMILY]  # not OTHER
    mine, theirs = doc["families"]
    assert [d["id"] for d in mine["decisions"]] == [held.same_person]
    assert [d["id"] for d in theirs["decisions"]] == [held.entry, held.latest]
    assert [p["id"] for p in theirs["progress"]] == [held.progress]
    assert [c["id"] for c in theirs["claims"]] == [held.claim]
    text = json.dumps(doc)
    # the child (ref c1, born 2006-10-15) is another person: nothing of theirs is given
    assert '"c1"' not in text and CHILD_BORN not in text
    assert OTHER not in text and held.other not in text
    facts = theirs["decisions"][1]["facts"]
    assert facts["members"][0]["ref"] == "p1"
    assert facts["members"][1] == {"withheld": WITHHELD}  # in place: pointers still hold
    assert facts["judgements"] == [JUDGEMENTS["judgements"][0], {"withheld": WITHHELD}]
    assert facts["household"] == store.get_facts(held.latest)["household"]  # theirs too
    trace = theirs["decisions"][1]["decision"]["trace"]
    assert {"subject": "withheld", "withheld": WITHHELD} in trace["subjects"]
    assert {"subject": "p1", "kind": "member", "child": False} in trace["subjects"]
    assert theirs["progress"][0]["facts"]["members"][1] == {"withheld": WITHHELD}
    for entry in doc["index"]:
        assert len(entry["pointers"]) == entry["count"]
        for pointer in entry["pointers"]:
            resolve_pointer(doc, pointer)
    assert counts(doc)["decision"] == 3 and counts(doc)["claim"] == 1


def test_a_wrong_date_of_birth_finds_nothing(store, held):
    made = export_person(store, "p1", "1984-06-03", actor="cli:test")
    assert made.held is False and made.document["families"] == []
    assert set(made.counts.values()) == {0}
    for bad in ("", "1984-6-2", "1984-02-30"):
        with pytest.raises(ValueError):
            export_person(store, "p1", bad, actor="cli:test")


def test_the_export_is_audited_with_who_and_counts_never_the_ref(store, held):
    made = export_family(store, FAMILY, actor="cli:test")
    [row] = store.list_audit(action="subject.export")[0]
    assert (row["actor"], row["target"], row["status"]) == (
        "cli:test",
        made.document["export_id"],
        200,
    )
    assert row["detail"].startswith("kind=family families=1 decision=2 ")
    assert f"ids={held.entry},{held.latest},{held.progress},{held.claim}" in row["detail"]
    assert FAMILY not in json.dumps(row)
    person = export_person(store, *PERSON, actor="cli:test")
    row = store.list_audit(action="subject.export", limit=1)[0][0]
    assert row["detail"].startswith("kind=person families=2 ")
    assert "1984-06-02" not in json.dumps(row) and "p1" not in json.dumps(row)
    assert person.document["export_id"] == row["target"]
    # the next export shows the earlier ones: they gave out this family's records
    again = export_family(store, FAMILY, actor="cli:test").document["families"][0]["audit"]
    assert [r["target"] for r in again if r["action"] == "subject.export"] == [
        made.document["export_id"],
        person.document["export_id"],
    ]
    nothing = export_person(store, "p1", "1984-06-03", actor="cli:test")
    row = store.list_audit(action="subject.export", limit=1)[0][0]
    assert row["detail"] == "kind=person families=0" and not nothing.held


def run(database: Path, *args: str):
    return CliRunner().invoke(main, ["subject", "export", *args, "--database", str(database)])


def test_the_cli_answers_with_the_document_exit_0(database, held, tmp_path):
    found = run(database, FAMILY)
    assert found.exit_code == 0, found.output
    doc = json.loads(found.stdout)
    assert doc["held"] is True and doc["made_by"].startswith("cli:")
    assert "held: 2 decision, 2 decision_facts" in found.stderr
    out = tmp_path / "sar.json"
    person = run(database, "--member", "p1", "--date-of-birth", "1984-06-02", "--out", str(out))
    assert person.exit_code == 0 and person.stdout == ""
    assert stat.S_IMODE(out.stat().st_mode) == 0o600  # personal data: the owner's only
    assert len(json.loads(out.read_text())["families"]) == 2


def test_nothing_held_is_an_answer_exit_0(database, held):
    """Nothing held is the answer to the request, not an error: 0, `held` false, and said."""
    for args in (["STK-NOBODY"], ["--member", "p1", "--date-of-birth", "1984-06-03"]):
        result = run(database, *args)
        assert result.exit_code == 0, result.output
        assert json.loads(result.stdout)["held"] is False
        assert result.stderr == "nothing held\n"


@pytest.mark.parametrize(
    "args",
    [
        ["--member", "p1"],  # a member ref alone names no one
        ["--date-of-birth", "1984-06-02"],
        [],
        [FAMILY, "--member", "p1", "--date-of-birth", "1984-06-02"],
        [FAMILY, "--date-of-birth", "1984-06-02"],
        ["--member", "p1", "--date-of-birth", "02/06/1984"],
    ],
)
def test_wrong_usage_is_exit_2_and_exports_nothing(database, held, args):
    result = run(database, *args)
    assert result.exit_code == 2, result.output
    with Store(database) as store:
        assert store.list_audit(action="subject.export")[0] == []
