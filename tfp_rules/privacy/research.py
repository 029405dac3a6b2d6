"""The pseudonymised research extract for the national evaluation, and its destruction.

The privacy notice: the linked data "can only be used for carrying out research", "is
anonymised to reduce the risk of individuals being identified", "it will be impossible for
any person or family to be identified from any published reports", and "the data is
destroyed after five years". So an extract is:

- `records/*.csv`: every stored decision, progress decision and claim as the evaluation
  links them, one row each (and a row per member, per indicator met), with family, member
  and record ids replaced by keyed hashes (`pseudonyms`), dates of birth by age bands on the
  assessment date and every date by its month (`coarsening`), and nothing else: no free
  text (reasons, judgements, names, worker and client ids), no trace. Each file has a fixed
  list of columns, and every value is a count, a pseudonym, a month, a band or a code that
  matches CODE, so nothing a sender wrote can travel in it. Not for publication.
- `tables/*.csv`: aggregate counts with small cells suppressed (`suppression`), the part
  that may be published.
- `manifest.json`: when, as of when, rows and sha256 per file, the parameters, the secret's
  key id, and what was removed.

CSV (RFC 4180, UTF-8, a header row) rather than JSON Lines: every file is one flat table,
which is what the evaluation's statistical tools (R, Stata, SAS, SPSS) read directly, and
a fixed header makes what an extract holds plain to anyone checking it.

Every extract is listed in the store's register; `destroy_extracts` deletes those past their
period (RESEARCH_RETENTION) and records it, so the destruction is enforced and proven.
"""

from __future__ import annotations

import csv
import hashlib
import json
import os
import re
import shutil
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

from dateutil.relativedelta import relativedelta

from ..errors import TfpError
from ..store import ClaimRecord, ExtractRecord, ResearchDecision, ResearchProgress, Store
from ..store.listing import timestamp
from ..store.records import STATUSES
from .coarsening import AGE_BAND_LABELS, AGE_BANDS, UNKNOWN, age_band, month
from .pseudonyms import ResearchSecret
from .suppression import MIN_CELL, SUPPRESSED, TOTAL, suppress_group

# Source: the council's privacy notice, "The data is destroyed after five years."
RESEARCH_RETENTION = relativedelta(years=5)
RESEARCH_RETENTION_TEXT = "5y"
HEADLINES = ("H1", "H2", "H3", "H4", "H5", "H6")  # the programme's six (programme.md, 2)
CODE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.@:+-]{0,63}$")
MANIFEST = "manifest.json"
FORMAT = "csv: RFC 4180, UTF-8, one header row; empty = none or unknown"
REMOVED = (
    "family references, member references and record ids: replaced by keyed hashes"
    " (HMAC-SHA256); the secret is not in the extract",
    "dates of birth: replaced by the age band on the assessment date",
    "every other date (assessment, creation, claim, withdrawal): replaced by its month",
    "event, benefit, employment and school records: replaced by counts",
    "free text: review and withdrawal reasons, professional judgements (who and why),"
    " keyworkers' names, worker, reviewer and client ids, claim evidence",
    "the trace of every decision (only headline and indicator ids, their origin and who met"
    " them, pseudonymised, are kept)",
    "in tables/: any count from 1 to min_cell - 1, shown as the marker, and a second count"
    " of its group where one hidden count could be worked out from the group's total",
)

DECISION_COLUMNS = (
    "decision",
    "family",
    "previous_decision",
    "created_month",
    "assessment_month",
    "status",
    "outcome",
    "outcome_source",
    "review_status",
    "reviews",
    *HEADLINES,
    "headlines_met",
    "headlines_required",
    "indicators_met",
    "ruleset_id",
    "ruleset_version",
    "members",
    "adults",
    "children",
    "household_events",
    "judgements",
    "payload_erased",
)
MEMBER_COLUMNS = (
    "decision",
    "family",
    "member",
    "age_band",
    "role",
    "events",
    "benefits",
    "employment_spells",
    "school_terms",
)
INDICATOR_COLUMNS = ("decision", "family", "headline", "indicator", "origin", "met_by")
PROGRESS_COLUMNS = (
    "progress",
    "entry_decision",
    "family",
    "created_month",
    "assessment_month",
    "status",
    "qualifies",
    "qualifies_by",
    "outcome_qualifies",
    "outcome_source",
    "review_status",
    "reviews",
    *HEADLINES,
    "ruleset_id",
    "ruleset_version",
    "payload_erased",
)
CLAIM_COLUMNS = (
    "claim",
    "progress",
    "entry_decision",
    "family",
    "created_month",
    "claim_month",
    "financial_year",
    "qualifies_by",
    "attachment_fee_gbp",
    "results_payment_gbp",
    "status",
    "withdrawn_month",
    "ruleset_id",
    "ruleset_version",
)
HEADLINE_TABLE = ("assessment_month", "headline", "age_band", "people")
OUTCOME_TABLE = ("ruleset", "outcome", "families")
FILES = {
    "records/decisions.csv": DECISION_COLUMNS,
    "records/members.csv": MEMBER_COLUMNS,
    "records/indicators.csv": INDICATOR_COLUMNS,
    "records/progress.csv": PROGRESS_COLUMNS,
    "records/claims.csv": CLAIM_COLUMNS,
    "tables/headlines_by_age_band_month.csv": HEADLINE_TABLE,
    "tables/outcomes_by_ruleset.csv": OUTCOME_TABLE,
}


class ExtractError(TfpError):
    """An extract cannot be written where asked, or a value is not fit to go in one."""


def code(value: Any) -> str | None:
    """A code (a status, an indicator id, a ruleset version) as it may go in an extract;
    ExtractError for anything else, so no text a person wrote can pass as one."""
    if value is None:
        return None
    if not isinstance(value, str) or not CODE.match(value):
        raise ExtractError(f"refusing to write {value!r} into a research extract: not a code")
    return value


def flag(value: bool | None) -> int | None:
    return None if value is None else int(bool(value))


def parse_age(text: str) -> relativedelta:
    """An age such as `5y`, `18m` or `30d` (years, months, days); ValueError otherwise."""
    found = re.fullmatch(r"([0-9]{1,4})([ymd])", text.strip())
    if not found:
        raise ValueError(f"an age is a number and y, m or d (e.g. 5y), not {text!r}")
    n, unit = int(found[1]), found[2]
    return relativedelta(**{{"y": "years", "m": "months", "d": "days"}[unit]: n})


# -- rows: pure functions of one stored record -------------------------------------------------


@dataclass
class _Family:
    """What the aggregate tables need of a family's newest decision."""

    created: tuple[str, str] = ("", "")
    ruleset: str = ""
    outcome: str = ""
    assessment_month: str = ""
    headlines: frozenset[str] = frozenset()
    bands: list[str] = field(default_factory=list)


def _subject(
    secret: ResearchSecret, family_ref: str | None, subject: str, dobs: dict[Any, Any]
) -> str:
    """A trace subject as the extract names it: `household`, or the member's pseudonym."""
    if subject == "household":
        return "household"
    return _member(secret, family_ref, subject, dobs.get(subject))


def _member(secret: ResearchSecret, family_ref: str | None, ref: str, dob: str | None) -> str:
    # A person across families is their member ref with their date of birth, as subject
    # access finds them; without a date of birth, the member ref within its family.
    if dob:
        return secret.pseudonym("member", ref, dob)
    return secret.pseudonym("member", family_ref or "", ref)


def _headline_cells(met: Iterable[str], unknown: Iterable[str]) -> dict[str, str]:
    met, unknown = set(met), set(unknown)
    return {h: "met" if h in met else UNKNOWN if h in unknown else "not_met" for h in HEADLINES}


def decision_rows(
    secret: ResearchSecret, stored: ResearchDecision
) -> tuple[dict[str, Any], list[dict[str, Any]], list[dict[str, Any]]]:
    """(the decision's row, its members' rows, its indicators' rows) for one
    `ResearchDecision`."""
    r = stored.record
    facts, decision = stored.facts or {}, stored.decision or {}
    decision_p = secret.pseudonym("decision", r.id)
    family_p = None if r.family_ref is None else secret.pseudonym("family", r.family_ref)
    members = [m for m in facts.get("members", []) if isinstance(m, dict)]
    dobs = {m.get("ref"): m.get("date_of_birth") for m in members}
    member_rows = [
        {
            "decision": decision_p,
            "family": family_p,
            "member": _member(secret, r.family_ref, str(m.get("ref")), m.get("date_of_birth")),
            "age_band": age_band(m.get("date_of_birth"), r.assessment_date),
            "role": code(m.get("role")),
            "events": len(m.get("events", [])),
            "benefits": len(m.get("benefits", [])),
            "employment_spells": len(m.get("employment", [])),
            "school_terms": len((m.get("school") or {}).get("terms", [])),
        }
        for m in members
    ]
    indicator_rows = []
    for headline in (decision.get("trace") or {}).get("headlines", []):
        for indicator in headline.get("indicators", []):
            if indicator.get("status") != "met":
                continue
            for subject in indicator.get("met_by") or [None]:
                indicator_rows.append(
                    {
                        "decision": decision_p,
                        "family": family_p,
                        "headline": code(headline.get("id")),
                        "indicator": code(indicator.get("id")),
                        "origin": code(indicator.get("origin")),
                        "met_by": None
                        if subject is None
                        else _subject(secret, r.family_ref, subject, dobs),
                    }
                )
    outcome = r.outcome
    row = {
        "decision": decision_p,
        "family": family_p,
        "previous_decision": None
        if r.previous_id is None
        else secret.pseudonym("decision", r.previous_id),
        "created_month": month(r.created_at),
        "assessment_month": month(r.assessment_date),
        "status": code(r.status),
        "outcome": code(outcome.status),
        "outcome_source": code(outcome.source),
        "review_status": code(r.review_status),
        "reviews": len(r.reviews),
        **_headline_cells(r.headlines_met, decision.get("headlines_unknown", [])),
        "headlines_met": len(r.headlines_met),
        "headlines_required": decision.get("headlines_required"),
        "indicators_met": len({row["indicator"] for row in indicator_rows}),
        "ruleset_id": code(r.ruleset_id),
        "ruleset_version": code(r.ruleset_version),
        "members": len(members) if stored.facts else None,
        "adults": sum(m.get("role") == "adult" for m in members) if stored.facts else None,
        "children": sum(m.get("role") == "child" for m in members) if stored.facts else None,
        "household_events": len((facts.get("household") or {}).get("events", []))
        if stored.facts
        else None,
        "judgements": len(facts.get("judgements", [])) if stored.facts else None,
        "payload_erased": int(stored.facts is None),
    }
    return row, member_rows, indicator_rows


def progress_row(secret: ResearchSecret, stored: ResearchProgress) -> dict[str, Any]:
    """The row of one `ResearchProgress`: per headline, `progressed`, `not_progressed`,
    `unknown`, or `not_at_entry`."""
    r, decision = stored.record, stored.decision or {}
    at_entry = set((decision.get("entry") or {}).get("headlines", []))
    progressed = set(decision.get("headlines_progressed", []))
    unknown = set(decision.get("headlines_unknown", []))
    outcome = r.outcome
    return {
        "progress": secret.pseudonym("progress", r.id),
        "entry_decision": secret.pseudonym("decision", r.entry_id),
        "family": None if r.family_ref is None else secret.pseudonym("family", r.family_ref),
        "created_month": month(r.created_at),
        "assessment_month": month(r.assessment_date),
        "status": code(r.status),
        "qualifies": flag(r.qualifies),
        "qualifies_by": code(r.qualifies_by),
        "outcome_qualifies": flag(outcome.qualifies),
        "outcome_source": code(outcome.source),
        "review_status": code(r.review_status),
        "reviews": len(r.reviews),
        **{
            h: None
            if stored.decision is None
            else "not_at_entry"
            if h not in at_entry
            else "progressed"
            if h in progressed
            else UNKNOWN
            if h in unknown
            else "not_progressed"
            for h in HEADLINES
        },
        "ruleset_id": code(r.ruleset_id),
        "ruleset_version": code(r.ruleset_version),
        "payload_erased": int(stored.decision is None),
    }


def claim_row(secret: ResearchSecret, c: ClaimRecord) -> dict[str, Any]:
    """The row of one `ClaimRecord` (who claimed, who withdrew and why are left out)."""
    return {
        "claim": secret.pseudonym("claim", c.id),
        "progress": secret.pseudonym("progress", c.progress_id),
        "entry_decision": secret.pseudonym("decision", c.entry_id),
        "family": None if c.family_ref is None else secret.pseudonym("family", c.family_ref),
        "created_month": month(c.created_at),
        "claim_month": month(c.claim_date),
        "financial_year": code(c.financial_year),
        "qualifies_by": code(c.qualifies_by),
        "attachment_fee_gbp": c.attachment_fee_gbp,
        "results_payment_gbp": c.results_payment_gbp,
        "status": code(c.status),
        "withdrawn_month": month(c.withdrawn_at),
        "ruleset_id": code(c.ruleset_id),
        "ruleset_version": code(c.ruleset_version),
    }


# -- aggregate tables -------------------------------------------------------------------------


def headline_table(families: Iterable[_Family], min_cell: int) -> list[dict[str, Any]]:
    """People in families whose newest decision met each headline, by assessment month and
    the person's age band: one group per (month, headline), its total over the bands."""
    counts: dict[tuple[str, str], dict[str, int]] = {}
    for f in families:
        for headline in f.headlines:
            if headline not in HEADLINES:
                continue
            group = counts.setdefault(
                (f.assessment_month, headline), dict.fromkeys((*AGE_BAND_LABELS, UNKNOWN), 0)
            )
            for band in f.bands:
                group[band] += 1
    rows = []
    for (assessment_month, headline), cells in sorted(counts.items()):
        for band, n in suppress_group(cells, min_cell).items():
            rows.append(
                {
                    "assessment_month": assessment_month,
                    "headline": headline,
                    "age_band": band,
                    "people": n,
                }
            )
    return rows


def outcome_table(families: Iterable[_Family], min_cell: int) -> list[dict[str, Any]]:
    """Families by the outcome in force of their newest decision, per ruleset version: one
    group per ruleset, its total over the outcomes."""
    counts: dict[str, dict[str, int]] = {}
    for f in families:
        counts.setdefault(f.ruleset, dict.fromkeys(STATUSES, 0))[f.outcome] += 1
    return [
        {"ruleset": ruleset, "outcome": outcome, "families": n}
        for ruleset, cells in sorted(counts.items())
        for outcome, n in suppress_group(cells, min_cell).items()
    ]


# -- writing ----------------------------------------------------------------------------------


class _Files:
    """The extract's CSV files, each with its fixed header; only those columns are written."""

    def __init__(self, root: Path):
        self.root = root
        self._handles: dict[str, Any] = {}
        self._writers: dict[str, csv.DictWriter] = {}
        self.rows = dict.fromkeys(FILES, 0)
        for name, columns in FILES.items():
            path = root / name
            path.parent.mkdir(mode=0o700, exist_ok=True)
            handle = open(  # noqa: SIM115 -- closed in close()
                os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600),
                "w",
                encoding="utf-8",
                newline="",
            )
            self._handles[name] = handle
            writer = csv.DictWriter(handle, fieldnames=columns, extrasaction="raise")
            writer.writeheader()
            self._writers[name] = writer

    def write(self, name: str, rows: Iterable[dict[str, Any]]) -> None:
        for row in rows:
            self._writers[name].writerow(row)
            self.rows[name] += 1

    def close(self) -> None:
        for handle in self._handles.values():
            handle.close()

    def digests(self) -> dict[str, dict[str, Any]]:
        return {
            name: {
                "rows": self.rows[name],
                "columns": list(FILES[name]),
                "sha256": hashlib.sha256((self.root / name).read_bytes()).hexdigest(),
            }
            for name in FILES
        }


@dataclass(frozen=True)
class ExportResult:
    """An extract written and registered: its register entry and its manifest."""

    extract: ExtractRecord
    manifest: dict[str, Any]


def _fresh_target(out: Path) -> Path:
    """`out` resolved, checked to be new or an empty directory."""
    out = out.expanduser().resolve()
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise ExtractError(f"{out}: exists and is not an empty directory; give a new one")
    return out


def _cut_off(as_of: str | None, now: str) -> str:
    """The last store timestamp an extract as of `as_of` (a date: its whole day) takes in."""
    if as_of is None:
        return now
    try:
        end = f"{date.fromisoformat(as_of).isoformat()}T23:59:59.999999Z"
    except ValueError as exc:
        raise ValueError(f"--as-of: not an ISO 8601 date (YYYY-MM-DD): {as_of!r}") from exc
    return min(end, now)


def _write_records(
    store: Store, secret: ResearchSecret, files: _Files, cut_off: str
) -> dict[str, _Family]:
    """Every record into `files`; returns what the tables need: family -> its newest."""
    families: dict[str, _Family] = {}
    for stored in store.research_decisions(cut_off):
        row, members, indicators = decision_rows(secret, stored)
        files.write("records/decisions.csv", [row])
        files.write("records/members.csv", members)
        files.write("records/indicators.csv", indicators)
        r = stored.record
        if r.family_ref is None or stored.facts is None:
            continue  # an erased family is in no table: its decisions cannot be told apart
        newest = families.get(row["family"])
        if newest is None or newest.created < (r.created_at, r.id):
            families[row["family"]] = _Family(
                created=(r.created_at, r.id),
                ruleset=f"{r.ruleset_id}@{r.ruleset_version}",
                outcome=r.outcome.status,
                assessment_month=row["assessment_month"],
                headlines=frozenset(r.headlines_met),
                bands=[m["age_band"] for m in members],
            )
    files.write(
        "records/progress.csv", (progress_row(secret, p) for p in store.research_progress(cut_off))
    )
    files.write(
        "records/claims.csv", (claim_row(secret, c) for c in store.research_claims(cut_off))
    )
    return families


def export_extract(
    store: Store,
    out: Path,
    secret: ResearchSecret,
    *,
    actor: str,
    min_cell: int = MIN_CELL,
    as_of: str | None = None,
) -> ExportResult:
    """Write a research extract of everything stored up to `as_of` (a date; default now)
    into the new directory `out`, and register it (audited as `research.export`).

    The files are written in a hidden sibling directory and renamed into place once whole,
    so `out` is either the whole extract or absent. ExtractError if `out` is not new (or an
    empty directory); ValueError for a bad `as_of` or `min_cell`.
    """
    if min_cell < 1:
        raise ValueError(f"--min-cell must be at least 1, not {min_cell}")
    target = _fresh_target(out)
    extract_id = uuid.uuid4().hex
    created_at = timestamp(store.research_now())
    cut_off = _cut_off(as_of, created_at)
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.parent / f".{target.name}.partial-{extract_id}"
    partial.mkdir(mode=0o700)
    try:
        files = _Files(partial)
        try:
            families = _write_records(store, secret, files, cut_off)
            files.write(
                "tables/headlines_by_age_band_month.csv",
                headline_table(families.values(), min_cell),
            )
            files.write(
                "tables/outcomes_by_ruleset.csv", outcome_table(families.values(), min_cell)
            )
        finally:
            files.close()
        counts = {
            name.removeprefix("records/").removeprefix("tables/").removesuffix(".csv"): n
            for name, n in files.rows.items()
        }
        manifest = _manifest(extract_id, created_at, cut_off, as_of, min_cell, secret, files)
        path = partial / MANIFEST
        with open(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "w") as handle:
            json.dump(manifest, handle, indent=2, sort_keys=False)
            handle.write("\n")
        if target.exists():
            target.rmdir()  # empty, checked above
        partial.rename(target)
    except BaseException:
        shutil.rmtree(partial, ignore_errors=True)
        raise
    try:
        extract = store.record_extract(
            extract_id=extract_id,
            created_at=created_at,
            created_by=actor,
            out_path=str(target),
            as_of=cut_off,
            key_id=secret.key_id,
            parameters=manifest["parameters"],
            counts=counts,
        )
    except BaseException:
        shutil.rmtree(target, ignore_errors=True)  # an extract not in the register must not exist
        raise
    return ExportResult(extract, manifest)


def _manifest(
    extract_id: str,
    created_at: str,
    cut_off: str,
    as_of: str | None,
    min_cell: int,
    secret: ResearchSecret,
    files: _Files,
) -> dict[str, Any]:
    destroy_by = timestamp(datetime.fromisoformat(created_at) + RESEARCH_RETENTION)
    return {
        "extract_id": extract_id,
        "created_at": created_at,
        "as_of": cut_off,
        "destroy_by": destroy_by,
        "purpose": "research for the national evaluation only; the linked data cannot be"
        " used to make decisions about individuals; records/ is not for publication",
        "format": FORMAT,
        "files": files.digests(),
        "parameters": {
            "as_of": as_of,
            "min_cell": min_cell,
            "suppressed_marker": SUPPRESSED,
            "total_label": TOTAL,
            "age_bands": [b.label for b in AGE_BANDS],
            "retention": RESEARCH_RETENTION_TEXT,
            "pseudonyms": "HMAC-SHA256, 64 hex digits, per kind (family, member, decision,"
            " progress, claim); a member is their ref with their date of birth",
        },
        "key_id": secret.key_id,
        "removed": list(REMOVED),
    }


# -- destruction ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Destruction:
    """What destroying one extract did (or, in a dry run, would do): `deleted`,
    `already_gone`, or `refused` (its directory holds something that is not the extract)."""

    extract: ExtractRecord
    action: str
    note: str = ""


def _is_the_extract(path: Path, extract_id: str) -> bool:
    try:
        manifest = json.loads((path / MANIFEST).read_text())
    except (OSError, ValueError):
        return False
    return isinstance(manifest, dict) and manifest.get("extract_id") == extract_id


def destroy_extracts(
    store: Store,
    older_than: relativedelta = RESEARCH_RETENTION,
    *,
    actor: str,
    dry_run: bool = False,
) -> list[Destruction]:
    """Delete every registered extract created more than `older_than` ago (by the store's
    clock) and record each in the register (audited as `research.destroy`); an extract
    whose directory has gone is recorded as `already_gone`. A directory that does not hold
    that extract's manifest is not touched (`refused`). `dry_run` changes nothing."""
    cutoff = timestamp(store.research_now() - older_than)
    done: list[Destruction] = []
    for extract in store.extracts_created_before(cutoff):
        path = Path(extract.out_path)
        if not path.exists():
            action = "already_gone"
        elif _is_the_extract(path, extract.id):
            action = "deleted"
        else:
            done.append(Destruction(extract, "refused", f"{path} does not hold this extract"))
            continue
        if dry_run:
            done.append(Destruction(extract, action))
            continue
        if action == "deleted":
            try:
                shutil.rmtree(path)
            except OSError as exc:
                done.append(Destruction(extract, "refused", f"cannot delete {path}: {exc}"))
                continue
        recorded = store.record_destroyed(extract.id, destroyed_by=actor, destruction=action)
        done.append(Destruction(recorded, action))
    return done
