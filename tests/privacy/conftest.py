"""Privacy fixtures: a store with a clock the test moves, filled through the real store
calls with families whose every personal value is distinctive, so a scan of an extract's
bytes finds any that leaked; and research secrets in files of their own."""

from __future__ import annotations

import datetime as dt
import json
import secrets
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tfp_rules.compile import compile_ruleset
from tfp_rules.evaluate import evaluate
from tfp_rules.intake import take_in
from tfp_rules.library import RulesetLibrary
from tfp_rules.merge import merge_facts
from tfp_rules.outcomes.check import progress_after
from tfp_rules.outcomes.claims import results_claim
from tfp_rules.store import Store

from ..conftest import DATA
from ..store.conftest import Clock

ROOT = Path(__file__).parent.parent.parent
TURNS_AROUND = ROOT / "fixtures" / "progress" / "turns_around"


def write_secret(path: Path) -> Path:
    path.write_text(secrets.token_hex(32) + "\n")
    path.chmod(0o600)
    return path


@dataclass
class Seeded:
    """What went into the store: every value that must never leave it in an extract."""

    family_refs: list[str] = field(default_factory=list)
    member_refs: list[str] = field(default_factory=list)
    dates: set[str] = field(default_factory=set)
    text: list[str] = field(default_factory=list)  # reasons, names, worker and client ids
    ids: list[str] = field(default_factory=list)  # decision, progress, claim and review ids

    def needles(self) -> list[str]:
        return [*self.family_refs, *self.member_refs, *sorted(self.dates), *self.text, *self.ids]


def _dates_in(value: object, found: set[str]) -> None:
    if isinstance(value, dict):
        for item in value.values():
            _dates_in(item, found)
    elif isinstance(value, list):
        for item in value:
            _dates_in(item, found)
    elif isinstance(value, str) and len(value) == 10 and value[4] == "-" and value[7] == "-":
        found.add(value)


def distinctive(text: str, n: int) -> str:
    """A facts document's text with its refs, dates of birth and worker made distinctive."""
    return (
        text.replace('"STK-2019-000777"', f'"FAMREF-ZQX-{n:04d}"')
        .replace('"STK-2019-000123"', f'"FAMREF-ZQX-{n:04d}"')
        .replace('"p1"', f'"memberqz-adult-{n:04d}"')
        .replace('"c1"', f'"memberqz-child-{n:04d}"')
        .replace('"1984-06-02"', f'"1983-07-{10 + n % 18:02d}"')
        .replace('"2006-10-15"', f'"2007-02-{10 + n % 18:02d}"')
        .replace('"keyworker-17"', f'"Zebedee Quibble {n}"')
        .replace('"GP letter on file"', f'"Letter from Dr Xanthippe Marlowe {n}"')
    )


def seed(store: Store, library: RulesetLibrary, n_families: int = 2, first: int = 0) -> Seeded:
    """Families through the real store calls: an entry decision each (a later one following
    it for the first), a review with a reason, a progress decision and a results claim (one
    withdrawn with a reason) for the first two."""
    seeded = Seeded()
    partner, _ = store.create_key("submitter", f"Partner Zanzibar Systems {first}")
    reviewer, _ = store.create_key("reviewer", f"Ottoline Fairweather {first}")
    seeded.text += [partner.client_id, reviewer.client_id, partner.id, reviewer.id]
    seeded.text += [f"Partner Zanzibar Systems {first}", f"Ottoline Fairweather {first}"]
    example = (DATA / "example_facts.json").read_text()
    entry_text = (TURNS_AROUND / "entry.json").read_text()
    later_text = (TURNS_AROUND / "later.json").read_text()
    for n in range(first, first + n_families):
        with_progress = n < 2
        entry = json.loads(distinctive(entry_text if with_progress else example, n))
        seeded.family_refs.append(entry["family_ref"])
        seeded.member_refs += [m["ref"] for m in entry["members"]]
        _dates_in(entry, seeded.dates)
        seeded.text += [j["by"] for j in entry.get("judgements", [])]
        seeded.text += [j["reason"] for j in entry.get("judgements", [])]
        intake = take_in(library, entry, "stockton")
        decision = evaluate(compile_ruleset(intake.ruleset), intake.facts)
        saved, _ = store.save_decision(decision, entry, submitted_by=partner.client_id)
        seeded.ids.append(saved.id)
        reason = f"Reviewed with Mrs Henrietta Brackenbury {n}"
        review = store.add_review(
            saved.id, verdict="confirm", reason=reason, reviewer=reviewer.client_id
        )
        seeded.text.append(reason)
        seeded.ids.append(review.id)
        if not with_progress:
            continue
        later = json.loads(distinctive(later_text, n))
        later.pop("family_ref", None)
        _dates_in(later, seeded.dates)
        seeded.text += [j["by"] for j in later.get("judgements", [])]
        seeded.text += [j["reason"] for j in later.get("judgements", [])]
        progress = progress_after(library, saved.decision, entry, later)
        p, _ = store.save_progress(
            progress,
            merge_facts(entry, later),
            entry_id=saved.id,
            submitted_by=partner.client_id,
        )
        seeded.ids.append(p.id)
        keyworker = f"Sam Quagmire-Keyworker {n}"
        seeded.text.append(keyworker)
        claim = store.save_claim(
            results_claim(
                p.decision,
                store.get_progress_facts(p.id),
                progress_id=p.id,
                entry_id=p.entry_id,
                outcome=p.outcome.to_dict(),
                ruleset=library.resolve("stockton@2015.1"),
                claim_date=dt.date(2019, 11, 14),
                whole_family_assessment=dt.date(2019, 1, 2),
                action_plan=dt.date(2019, 1, 10),
                keyworker=keyworker,
            ),
            claimed_by=partner.client_id,
        )
        seeded.ids.append(claim.id)
        if n == 1:
            why = f"Withdrawn after a call with Persephone Ashdown {n}"
            store.withdraw_claim(claim.id, reason=why, in_error=False, withdrawn_by="cli:auditor")
            seeded.text.append(why)
    seeded.dates |= {"2019-11-14", "2019-01-02", "2019-01-10"}
    return seeded


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def store(tmp_path, clock):
    with Store(tmp_path / "var" / "tfp.sqlite", clock=clock) as s:
        yield s


@pytest.fixture
def secret_file(tmp_path) -> Path:
    return write_secret(tmp_path / "research.secret")


@pytest.fixture
def other_secret_file(tmp_path) -> Path:
    return write_secret(tmp_path / "other.secret")
