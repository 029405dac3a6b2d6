"""Impact analysis: the report checked against evaluating both versions directly, every
input (a folder, JSON Lines, the store's latest decisions), invalid facts counted, and the
process pool's results in input order."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest
from click.testing import CliRunner

from tfp_rules.cli import main
from tfp_rules.compile import compile_ruleset
from tfp_rules.errors import FactsError
from tfp_rules.evaluate import evaluate
from tfp_rules.intake import take_in
from tfp_rules.policy.impact import (
    ABSENT,
    CompareVersions,
    Family,
    Invalid,
    RulesetChangedError,
)
from tfp_rules.pool import Pool
from tfp_rules.ruleset import DEFAULT_RULESETS_DIR
from tfp_rules.store import Store

ROOT = Path(__file__).parent.parent
FAMILIES = ROOT / "fixtures" / "families"
BEFORE, AFTER = "national@2015.1", "national@2017.1"


def _statuses(decision: dict) -> tuple[dict, dict]:
    """Headline id -> status, and (indicator id, subject) -> status, from a full decision."""
    headlines = {h["id"]: h["status"] for h in decision["trace"]["headlines"]}
    subjects = {
        (i["id"], s["subject"]): s["status"]
        for h in decision["trace"]["headlines"]
        for i in h["indicators"]
        for s in i["subjects"]
    }
    return headlines, subjects


def _direct(library, paths: list[Path]) -> dict:
    """What the report must say, worked out from full decisions of both versions."""
    compiled = {ref: compile_ruleset(library.resolve(ref, drafts=True)) for ref in (BEFORE, AFTER)}
    statuses: Counter = Counter()
    headlines: Counter = Counter()
    families: Counter = Counter()
    subjects: Counter = Counter()
    changed = []
    for path in paths:
        a, b = (
            evaluate(compiled[ref], take_in(library, path.read_text(), ref, drafts=True).facts)
            for ref in (BEFORE, AFTER)
        )
        statuses[a["status"], b["status"]] += 1
        if a["status"] != b["status"]:
            changed.append(a["family_ref"])
        (ha, sa), (hb, sb) = _statuses(a), _statuses(b)
        for h in ha.keys() | hb.keys():
            if ha.get(h, ABSENT) != hb.get(h, ABSENT):
                headlines[h, ha.get(h, ABSENT), hb.get(h, ABSENT)] += 1
        moves = {
            (key[0], sa.get(key, ABSENT), sb.get(key, ABSENT))
            for key in sa.keys() | sb.keys()
            if sa.get(key, ABSENT) != sb.get(key, ABSENT)
        }
        for move in moves:
            families[move] += 1
        for key in sa.keys() | sb.keys():
            if sa.get(key, ABSENT) != sb.get(key, ABSENT):
                subjects[key[0], sa.get(key, ABSENT), sb.get(key, ABSENT)] += 1
    return {
        "statuses": sorted((a, b, n) for (a, b), n in statuses.items()),
        "headlines": sorted((h, a, b, n) for (h, a, b), n in headlines.items()),
        "indicators": sorted((i, a, b, n, subjects[i, a, b]) for (i, a, b), n in families.items()),
        "changed": sorted(changed),
    }


def _reported(report: dict) -> dict:
    return {
        "statuses": sorted((s["from"], s["to"], s["families"]) for s in report["statuses"]),
        "headlines": sorted(
            (h["id"], h["from"], h["to"], h["families"]) for h in report["headlines"]
        ),
        "indicators": sorted(
            (i["id"], i["from"], i["to"], i["families"], i["subjects"])
            for i in report["indicators"]
        ),
        "changed": sorted(c["family_ref"] for c in report["changed_families"]),
    }


def _cli(*args: str) -> dict:
    result = CliRunner().invoke(
        main, ["impact", "--from", BEFORE, "--to", AFTER, "--format", "json", *args]
    )
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_the_report_over_the_fixtures_is_what_evaluating_both_versions_directly_gives(library):
    paths = sorted(FAMILIES.glob("*.json"))
    report = _cli("--facts", str(FAMILIES), "--workers", "1", "--list-families")
    assert report["families"] == report["evaluated"] == len(paths)
    assert report["invalid"] == {"before": 0, "after": 0, "both": 0}
    assert _reported(report) == _direct(library, paths)
    # the shipped 2017.1 revision really moves something: the indicators it changed
    moved = {i["id"] for i in report["indicators"]}
    assert {"H2.fixed_term_exclusions", "H5.child_witness"} <= moved
    assert report["from"] == {
        "ref": BEFORE,
        "sha256": library.resolve(BEFORE).sha256,
        "status": "published",
    }
    assert report["to"]["status"] == "draft"


def test_without_list_families_no_family_is_named():
    report = _cli("--facts", str(FAMILIES), "--workers", "1")
    assert "changed_families" not in report and "invalid_families" not in report
    assert "FIX-" not in json.dumps(report)


def _jsonl(tmp_path: Path, lines: list[str]) -> Path:
    path = tmp_path / "families.jsonl"
    path.write_text("\n".join(lines) + "\n")
    return path


def test_json_lines_input_counts_invalid_facts_by_version_and_names_their_lines(tmp_path):
    valid = [json.dumps(json.loads(p.read_text())) for p in sorted(FAMILIES.glob("*.json"))[:3]]
    witness = json.loads((FAMILIES / "h5_domestic_abuse_roles.json").read_text())
    child = next(m["ref"] for m in witness["members"] if m["role"] == "child")
    witness["judgements"] = [
        {"indicator": "H5.child_witness", "member": child, "by": "a keyworker", "reason": "seen"}
    ]
    path = _jsonl(
        tmp_path,
        [
            *valid,
            "",  # blank lines are not families
            "{not json",  # invalid under both
            json.dumps(witness),  # names an indicator only 2017.1 has
        ],
    )
    report = _cli("--facts", str(path), "--workers", "1", "--list-families")
    assert report["families"] == 5
    assert report["evaluated"] == 3
    assert report["invalid"] == {"before": 1, "after": 0, "both": 1}
    invalid = {c["origin"]: (c["from"], c["to"]) for c in report["invalid_families"]}
    assert invalid[f"{path}:5"] == ("invalid", "invalid")
    assert invalid[f"{path}:6"][0] == "invalid"
    assert invalid[f"{path}:6"][1] in ("eligible", "not_eligible", "undetermined")


@pytest.fixture
def store_of_families(tmp_path, library) -> tuple[Path, dict[str, str]]:
    """A store with three families, one decided twice (its facts superseded): the path, and
    each family's latest decision id."""
    from tfp_rules.evaluate import decide

    path = tmp_path / "tfp.sqlite"
    latest = {}
    with Store(path) as store:
        for name in (
            "h2_fixed_term_exclusions_3_vs_2.json",
            "two_headlines_eligible.json",
            "one_headline_not_eligible.json",
        ):
            facts = json.loads((FAMILIES / name).read_text())
            decision = decide(library, take_in(library, facts, BEFORE).facts, BEFORE)
            stored, _ = store.save_decision(decision, facts, submitted_by="tests")
            latest[facts["family_ref"]] = stored.id
        # FIX-004 again, facts added: its first decision is history now
        facts = json.loads((FAMILIES / "h2_fixed_term_exclusions_3_vs_2.json").read_text())
        facts["sources_checked"] = {"police": "2019-03-30"}
        decision = decide(library, take_in(library, facts, BEFORE).facts, BEFORE)
        stored, _ = store.save_decision(
            decision, facts, submitted_by="tests", previous_id=latest["FIX-004"]
        )
        latest["FIX-004"] = stored.id
    return path, latest


def test_the_store_streams_the_latest_decision_of_each_family_in_id_order(store_of_families):
    path, latest = store_of_families
    with Store(path) as store:
        for page_size in (1, 2, 500):
            stream = list(store.iter_latest_facts(page_size=page_size))
            assert [s.decision_id for s in stream] == sorted(latest.values())
            assert {s.family_ref: s.decision_id for s in stream} == latest
        assert store.count_latest_facts() == len(latest)
        fix004 = next(s for s in stream if s.family_ref == "FIX-004")
        assert json.loads(fix004.facts)["sources_checked"] == {"police": "2019-03-30"}


def test_an_impact_run_over_the_store_compares_only_the_latest_decisions(store_of_families):
    path, latest = store_of_families
    report = _cli("--decisions", str(path), "--workers", "1", "--list-families")
    assert report["families"] == report["evaluated"] == 3
    named = {c["family_ref"]: c["decision_id"] for c in report["changed_families"]}
    assert all(latest[ref] == decision for ref, decision in named.items())
    # FIX-004's third fixed-term exclusion counts under 2017.1 (2 are enough)
    [move] = [i for i in report["indicators"] if i["id"] == "H2.fixed_term_exclusions"]
    assert (move["from"], move["to"], move["families"]) == ("not_met", "met", 1)
    # reading every family's stored facts is audited, naming the versions compared
    with Store(path) as store:
        [row], _ = store.list_audit(action="impact.run")
    assert row["actor"].startswith("cli:")
    assert row["detail"] == f"{BEFORE} -> {AFTER}: 3 families"


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["--from", "national@1999.1", "--to", AFTER], "no ruleset national@1999.1"),
        (["--from", "national", "--to", AFTER], "exact versions"),
        (["--from", BEFORE, "--to", AFTER, "--decisions", "nowhere.sqlite"], "no decision store"),
    ],
)
def test_bad_arguments_exit_1_saying_why(args, says, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(main, ["impact", *args])
    assert result.exit_code == 1
    assert says in result.stderr


def test_text_report_in_words():
    result = CliRunner().invoke(
        main,
        ["impact", "--from", BEFORE, "--to", AFTER, "--facts", str(FAMILIES), "--workers", "1"],
    )
    assert result.exit_code == 0, result.output
    assert f"Impact of {AFTER} (draft) against {BEFORE} (published)" in result.stdout
    assert "H2.fixed_term_exclusions: 1 family (1 subject) not met -> met" in result.stdout
    assert result.stderr == ""  # no progress bar when stderr is not a terminal


def test_the_pool_on_two_workers_gives_the_in_process_results_in_input_order(library):
    families = [Family(p.read_bytes(), p.name) for p in sorted(FAMILIES.glob("*.json"))] + [
        Family(b"[]", "not an object")
    ]
    work = CompareVersions(BEFORE, AFTER)
    here = list(Pool(work, DEFAULT_RULESETS_DIR, workers=1, library=library).map(families))
    pulled = []

    def stream():
        for family in families:
            pulled.append(family.origin)
            yield family

    pool = Pool(work, DEFAULT_RULESETS_DIR, workers=2, chunk_size=4, in_flight=3)
    results = pool.map(stream())
    first = next(results)
    assert len(pulled) <= 4 * 3  # the input is read lazily: at most in_flight chunks ahead
    there = [first, *results]
    assert [r.origin for r in there] == [f.origin for f in families]
    assert there == here
    assert isinstance(there[-1].before, Invalid) and isinstance(there[-1].after, Invalid)
    # a worker that cannot prepare (here: the files hold other versions) says why
    stale = CompareVersions(BEFORE, AFTER, sha256=("0" * 64, "0" * 64))
    with pytest.raises(RulesetChangedError, match="changed on disk"):
        list(Pool(stale, DEFAULT_RULESETS_DIR, workers=2).map(families[:1]))


def test_take_in_refuses_what_impact_counts_invalid(library):
    """The report's 'invalid under 2015.1 only' is take_in's own refusal, not a new rule."""
    witness = json.loads((FAMILIES / "h5_domestic_abuse_roles.json").read_text())
    child = next(m["ref"] for m in witness["members"] if m["role"] == "child")
    witness["judgements"] = [
        {"indicator": "H5.child_witness", "member": child, "by": "a keyworker", "reason": "seen"}
    ]
    with pytest.raises(FactsError, match="has no indicator"):
        take_in(library, witness, BEFORE)
    assert take_in(library, witness, AFTER, drafts=True).facts.judgements
