"""The research extract keeps the notice's promises: nothing of the input that identifies
anyone leaves the store (every byte of every file scanned), pseudonyms link records only
under the same secret, small cells are suppressed, dates become bands and months."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from tfp_rules.privacy.pseudonyms import load_secret
from tfp_rules.privacy.research import FILES, MANIFEST, export_extract
from tfp_rules.privacy.suppression import SUPPRESSED

from .conftest import seed


def read(out: Path, name: str) -> list[dict[str, str]]:
    with (out / name).open(newline="") as handle:
        return list(csv.DictReader(handle))


def every_byte(out: Path) -> bytes:
    return b"\n".join(p.read_bytes() for p in sorted(out.rglob("*")) if p.is_file())


@pytest.fixture
def seeded(store, library):
    return seed(store, library, n_families=3)


@pytest.fixture
def extract(store, seeded, secret_file, tmp_path):
    out = tmp_path / "extracts" / "one"
    export_extract(store, out, load_secret(secret_file), actor="cli:analyst")
    return out


def test_nothing_that_identifies_anyone_appears_anywhere_in_the_extract(
    extract, seeded, secret_file
):
    data = every_byte(extract)
    folded = data.lower()
    needles = seeded.needles()
    assert len(seeded.family_refs) == 3 and seeded.member_refs and seeded.dates
    assert any("Quibble" in t for t in seeded.text) and any("Quagmire" in t for t in seeded.text)
    for needle in needles:
        assert needle.encode() not in data, needle
        assert needle.lower().encode() not in folded, needle
        assert json.dumps(needle)[1:-1].encode() not in data, needle
    # nor the secret, nor any word of the free text on its own
    assert secret_file.read_bytes().strip() not in data
    for word in ("Quibble", "Xanthippe", "Brackenbury", "Quagmire", "Ashdown", "Zanzibar"):
        assert word.lower().encode() not in folded, word
    # and the files are the ones declared, each with its fixed header and nothing else
    names = {str(p.relative_to(extract)) for p in extract.rglob("*") if p.is_file()}
    assert names == {*FILES, MANIFEST}
    for name, columns in FILES.items():
        with (extract / name).open(newline="") as handle:
            assert tuple(next(csv.reader(handle))) == columns


def test_the_extract_holds_what_the_evaluation_needs(extract, seeded):
    decisions = read(extract, "records/decisions.csv")
    assert len(decisions) == 3
    assert {d["ruleset_id"] for d in decisions} == {"stockton"}
    assert all(len(d["family"]) == 64 and len(d["decision"]) == 64 for d in decisions)
    assert {d["H1"] for d in decisions} <= {"met", "not_met", "unknown"}
    assert all(d["outcome"] == "eligible" and d["review_status"] == "confirmed" for d in decisions)
    indicators = read(extract, "records/indicators.csv")
    assert {"H1.asb_intervention", "H4.out_of_work_benefits"} <= {
        i["indicator"] for i in indicators
    }
    members = {m["member"] for m in read(extract, "records/members.csv")}
    assert {i["met_by"] for i in indicators} - {"household", ""} <= members
    progress = read(extract, "records/progress.csv")
    claims = read(extract, "records/claims.csv")
    assert len(progress) == 2 and len(claims) == 2
    by_id = {d["decision"]: d for d in decisions}
    for p in progress:
        assert by_id[p["entry_decision"]]["family"] == p["family"]
    assert {c["progress"] for c in claims} == {p["progress"] for p in progress}
    assert {c["status"] for c in claims} == {"claimed", "withdrawn"}
    assert {c["claim_month"] for c in claims} == {"2019-11"}
    manifest = json.loads((extract / MANIFEST).read_text())
    assert manifest["files"]["records/decisions.csv"]["rows"] == 3
    assert manifest["parameters"]["min_cell"] == 10 and manifest["removed"]


def test_dates_of_birth_become_age_bands_and_dates_months(extract):
    members = read(extract, "records/members.csv")
    # born 1983-07 and 2007-02, assessed 2019-03-31: 35 and 12
    assert {m["age_band"] for m in members if m["role"] == "adult"} == {"35-44"}
    assert {m["age_band"] for m in members if m["role"] == "child"} == {"11-15"}
    decisions = read(extract, "records/decisions.csv")
    assert {d["assessment_month"] for d in decisions} == {"2019-03"}
    assert {d["created_month"] for d in decisions} == {"2026-11"}


def test_the_same_secret_links_a_family_across_extracts_and_another_does_not(
    store, seeded, secret_file, other_secret_file, tmp_path
):
    outs = {}
    for name, path in (("a", secret_file), ("b", secret_file), ("c", other_secret_file)):
        outs[name] = tmp_path / name
        export_extract(store, outs[name], load_secret(path), actor="cli:analyst")
    families = {
        name: [d["family"] for d in read(out, "records/decisions.csv")]
        for name, out in outs.items()
    }
    members = {
        name: sorted(m["member"] for m in read(out, "records/members.csv"))
        for name, out in outs.items()
    }
    assert families["a"] == families["b"] and members["a"] == members["b"]
    assert not set(families["a"]) & set(families["c"])
    assert not set(members["a"]) & set(members["c"])
    keys = {json.loads((out / MANIFEST).read_text())["key_id"] for out in outs.values()}
    assert len(keys) == 2


def test_small_cells_are_suppressed_and_a_total_cannot_reveal_one(
    store, library, secret_file, tmp_path
):
    seed(store, library, n_families=5)
    out = tmp_path / "x"
    export_extract(store, out, load_secret(secret_file), actor="cli:analyst", min_cell=4)
    outcomes = {r["outcome"]: r["families"] for r in read(out, "tables/outcomes_by_ruleset.csv")}
    assert outcomes == {
        "eligible": "5",
        "not_eligible": "0",
        "undetermined": "0",
        "all": "5",
    }
    headlines = read(out, "tables/headlines_by_age_band_month.csv")
    h1 = {r["age_band"]: r["people"] for r in headlines if r["headline"] == "H1"}
    # five adults and five children: each band's 5 is shown at min-cell 4
    assert h1["35-44"] == "5" and h1["11-15"] == "5" and h1["all"] == "10"
    out6 = tmp_path / "y"
    export_extract(store, out6, load_secret(secret_file), actor="cli:analyst", min_cell=6)
    h1 = {
        r["age_band"]: r["people"]
        for r in read(out6, "tables/headlines_by_age_band_month.csv")
        if r["headline"] == "H1"
    }
    assert h1["35-44"] == SUPPRESSED and h1["11-15"] == SUPPRESSED and h1["all"] == "10"
    assert h1["0-4"] == "0"
    outcomes = {r["outcome"]: r["families"] for r in read(out6, "tables/outcomes_by_ruleset.csv")}
    assert outcomes["eligible"] == SUPPRESSED and outcomes["all"] == SUPPRESSED


def test_an_extract_as_of_a_date_leaves_out_what_was_stored_after(
    store, library, secret_file, tmp_path, clock
):
    seed(store, library, n_families=1)
    clock.now = clock.now.replace(year=2027)
    seed(store, library, n_families=1, first=1)
    out = tmp_path / "asof"
    result = export_extract(
        store, out, load_secret(secret_file), actor="cli:analyst", as_of="2026-12-31"
    )
    assert len(read(out, "records/decisions.csv")) == 1
    assert result.extract.as_of == "2026-12-31T23:59:59.999999Z"


def test_the_register_and_the_audit_trail_record_it_without_refs(extract, store, seeded):
    [entry] = store.list_extracts()
    assert entry.out_path == str(extract) and entry.counts["decisions"] == 3
    assert entry.destroyed_at is None and entry.created_by == "cli:analyst"
    rows, _ = store.list_audit(action="research.export")
    [row] = rows
    assert row["actor"] == "cli:analyst" and row["target"] == entry.id
    assert "decisions=3" in row["detail"] and entry.key_id in row["detail"]
    for needle in seeded.needles():
        assert needle not in json.dumps(row)
        assert needle not in json.dumps(entry.__dict__)


def test_an_extract_is_not_written_over_anything(store, seeded, secret_file, tmp_path):
    from tfp_rules.privacy.research import ExtractError

    out = tmp_path / "full"
    out.mkdir()
    (out / "notes.txt").write_text("mine")
    with pytest.raises(ExtractError, match="not an empty directory"):
        export_extract(store, out, load_secret(secret_file), actor="cli:analyst")
    assert [p.name for p in out.iterdir()] == ["notes.txt"]
    assert store.list_extracts() == []


def test_a_restricted_family_is_left_out_of_an_extract(store, seeded, secret_file, tmp_path):
    """Restriction (Art. 18) keeps a family's data stored but stops its processing: the
    evaluation's extract leaves the family out until the restriction is lifted."""
    from tfp_rules.privacy.erasure import restrict_family, unrestrict_family

    secret = load_secret(secret_file)
    whole = tmp_path / "whole"
    export_extract(store, whole, secret, actor="cli:analyst")
    restricted = seeded.family_refs[0]
    restrict_family(store, restricted, reason="Art. 18: accuracy contested", actor="cli:dpo")
    without = tmp_path / "without"
    export_extract(store, without, secret, actor="cli:analyst")
    families = {
        name: {d["family"] for d in read(out, "records/decisions.csv")}
        for name, out in (("whole", whole), ("without", without))
    }
    assert len(families["whole"] - families["without"]) == 1
    assert families["without"] < families["whole"]
    unrestrict_family(store, restricted, reason="resolved", actor="cli:dpo")
    again = tmp_path / "again"
    export_extract(store, again, secret, actor="cli:analyst")
    assert {d["family"] for d in read(again, "records/decisions.csv")} == families["whole"]
