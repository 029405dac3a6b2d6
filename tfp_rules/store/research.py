"""Research extracts: what the national evaluation's extract reads, and the register of
every extract made, so that its five-year destruction can be enforced and proven.

The register (`research_extracts`, migration 11) holds no family's data: the extract's id,
when and by whom it was made, where it was written, the cut-off it was made as of, the key
id of the secret its pseudonyms were made with (a fingerprint, never the secret), its
parameters and row counts, and when, by whom and how it was destroyed. The extract itself
is made by `tfp_rules.privacy.research`; the readers here stream the stored records page by
page, oldest first, up to a cut-off, so memory stays bounded and records stored while an
extract is made are left for the next one.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from .audit import AuditLog
from .claims import _COLUMNS as _CLAIM_COLUMNS
from .decisions import _RECORD, record_fields
from .errors import NotFoundError
from .filters import UNRESTRICTED
from .progress import _fields as progress_fields
from .records import ClaimRecord, DecisionRecord, ProgressRecord
from .reviews import PROGRESS, reviews_of
from .sealed import unseal, unseal_row
from .templates import in_form

DESTRUCTIONS = ("deleted", "already_gone")
RESEARCH_PAGE = 200


@dataclass(frozen=True)
class ExtractRecord:
    """One research extract in the register. `destruction` is `deleted` (its directory was
    removed), `already_gone` (it had gone before), or None while it exists."""

    id: str
    created_at: str
    created_by: str
    out_path: str
    as_of: str
    key_id: str
    parameters: dict[str, Any]
    counts: dict[str, int]
    destroyed_at: str | None
    destroyed_by: str | None
    destruction: str | None


@dataclass(frozen=True)
class ResearchDecision:
    """A stored decision as the extract reads it: metadata and reviews, and its payload
    (the facts and the decision with its trace), None once erased."""

    record: DecisionRecord
    facts: dict[str, Any] | None
    decision: dict[str, Any] | None


@dataclass(frozen=True)
class ResearchProgress:
    """A stored progress decision as the extract reads it: metadata and reviews, and the
    decision with its trace (None once erased)."""

    record: ProgressRecord
    decision: dict[str, Any] | None


def _extract(row: dict[str, Any]) -> ExtractRecord:
    return ExtractRecord(
        **{
            **row,
            "parameters": json.loads(row["parameters"]),
            "counts": json.loads(row["counts"]),
        }
    )


def _loaded(text: str | None) -> dict[str, Any] | None:
    return None if text is None else json.loads(text)


class ResearchExtracts(AuditLog):
    """The `research_extracts` table, and the readers the research extract uses."""

    def research_now(self) -> datetime:
        """The store's clock (a test's, if it gave one): extracts and their destruction are
        dated by it."""
        return self._clock()

    def _pages(self, sql: str, created_to: str, page_size: int) -> Iterator[list[dict[str, Any]]]:
        """Pages of `sql` (selecting from alias `d`, with `{after}` where the keyset goes),
        oldest first, created at or before `created_to`, leaving out restricted families."""
        after = ("", "")
        while True:
            with self._read() as db:
                rows = list(
                    db.query(
                        # a restricted family's data is kept, not processed (Art. 18)
                        sql + " WHERE d.created_at <= ? AND (d.created_at, d.id) > (?, ?)"
                        f" AND {UNRESTRICTED} ORDER BY d.created_at, d.id LIMIT ?",
                        [created_to, *after, page_size],
                    )
                )
                yield rows
            if len(rows) < page_size:
                return
            after = (rows[-1]["created_at"], rows[-1]["id"])

    def research_decisions(
        self, created_to: str, *, page_size: int = RESEARCH_PAGE
    ) -> Iterator[ResearchDecision]:
        """Every decision created at or before `created_to` (a store timestamp), oldest
        first, with its reviews and payload."""
        sql = (
            f"SELECT {_RECORD}, p.facts AS _facts, p.decision AS _decision FROM decisions d"
            " LEFT JOIN decision_payloads p ON p.decision_id = d.id"
        )
        for rows in self._pages(sql, created_to, page_size):
            with self._read() as db:
                reviews = reviews_of(db, [row["id"] for row in rows], keys=self.keys)
            for row in rows:
                facts = unseal(
                    self.keys, "decision_payloads", "facts", row["id"], row.pop("_facts")
                )
                decision = unseal(
                    self.keys, "decision_payloads", "decision", row["id"], row.pop("_decision")
                )
                record = DecisionRecord(**record_fields(row, reviews[row["id"]]))
                yield ResearchDecision(record, _loaded(facts), self._full(_loaded(decision)))

    def _full(self, decision: dict[str, Any] | None) -> dict[str, Any] | None:
        """A decision read with its trace in full (expanded if it was stored compact)."""
        if decision is None:
            return None
        with self._read() as db:
            return in_form(db, decision, "full")

    def research_progress(
        self, created_to: str, *, page_size: int = RESEARCH_PAGE
    ) -> Iterator[ResearchProgress]:
        """Every progress decision created at or before `created_to`, oldest first, with its
        reviews and decision."""
        sql = (
            "SELECT d.*, p.decision AS _decision FROM progress d"
            " LEFT JOIN progress_payloads p ON p.progress_id = d.id"
        )
        for rows in self._pages(sql, created_to, page_size):
            with self._read() as db:
                reviews = reviews_of(db, [row["id"] for row in rows], PROGRESS, keys=self.keys)
            for row in rows:
                decision = unseal(
                    self.keys, "progress_payloads", "decision", row["id"], row.pop("_decision")
                )
                record = ProgressRecord(**progress_fields(row, reviews[row["id"]]))
                yield ResearchProgress(record, _loaded(decision))

    def research_claims(
        self, created_to: str, *, page_size: int = RESEARCH_PAGE
    ) -> Iterator[ClaimRecord]:
        """Every results claim created at or before `created_to`, oldest first (metadata
        only: the evidence and the keyworker's name are not read)."""
        for rows in self._pages(f"SELECT {_CLAIM_COLUMNS} FROM claims d", created_to, page_size):
            yield from (ClaimRecord(**unseal_row(self.keys, "claims", row)) for row in rows)

    def record_extract(
        self,
        *,
        extract_id: str,
        created_at: str,
        created_by: str,
        out_path: str,
        as_of: str,
        key_id: str,
        parameters: dict[str, Any],
        counts: dict[str, int],
    ) -> ExtractRecord:
        """Register an extract just written, with its `research.export` audit row (who and
        counts; never a ref), in one transaction."""
        if not created_by:
            raise ValueError("created_by is required")
        with self._write() as db:
            db["research_extracts"].insert(
                {
                    "id": extract_id,
                    "created_at": created_at,
                    "created_by": created_by,
                    "out_path": out_path,
                    "as_of": as_of,
                    "key_id": key_id,
                    "parameters": json.dumps(parameters, sort_keys=True),
                    "counts": json.dumps(counts, sort_keys=True),
                }
            )
            self._audit(
                db,
                actor=created_by,
                action="research.export",
                status=201,
                target=extract_id,
                detail=" ".join(f"{k}={v}" for k, v in sorted(counts.items()))
                + f" key_id={key_id}",
            )
        return self.get_extract(extract_id)

    def get_extract(self, extract_id: str) -> ExtractRecord:
        """One extract of the register; NotFoundError if there is none."""
        with self._read() as db:
            rows = list(db.query("SELECT * FROM research_extracts WHERE id = ?", [extract_id]))
        if not rows:
            raise NotFoundError(f"no research extract {extract_id!r}")
        return _extract(rows[0])

    def list_extracts(self) -> list[ExtractRecord]:
        """Every extract of the register, destroyed ones too, oldest first."""
        with self._read() as db:
            rows = db.query("SELECT * FROM research_extracts ORDER BY created_at, id")
            return [_extract(row) for row in rows]

    def extracts_created_before(self, cutoff: str) -> list[ExtractRecord]:
        """The extracts not yet destroyed that were created before `cutoff` (a store
        timestamp), oldest first."""
        with self._read() as db:
            rows = db.query(
                "SELECT * FROM research_extracts WHERE destroyed_at IS NULL AND created_at < ?"
                " ORDER BY created_at, id",
                [cutoff],
            )
            return [_extract(row) for row in rows]

    def record_destroyed(
        self, extract_id: str, *, destroyed_by: str, destruction: str
    ) -> ExtractRecord:
        """Record that an extract was destroyed (`destruction`: `deleted`, or `already_gone`
        if its directory had gone before), with its `research.destroy` audit row, in one
        transaction. ValueError if it was destroyed already; NotFoundError if unknown."""
        if destruction not in DESTRUCTIONS:
            raise ValueError(
                f"destruction is one of {', '.join(DESTRUCTIONS)}, not {destruction!r}"
            )
        if not destroyed_by:
            raise ValueError("destroyed_by is required")
        with self._write() as db:
            changed = db.execute(
                "UPDATE research_extracts SET destroyed_at = ?, destroyed_by = ?, destruction = ?"
                " WHERE id = ? AND destroyed_at IS NULL",
                [self._now(), destroyed_by, destruction, extract_id],
            ).rowcount
            if not changed:
                found = list(db.query("SELECT 1 FROM research_extracts WHERE id = ?", [extract_id]))
                if not found:
                    raise NotFoundError(f"no research extract {extract_id!r}")
                raise ValueError(f"research extract {extract_id} is already destroyed")
            self._audit(
                db,
                actor=destroyed_by,
                action="research.destroy",
                status=200,
                target=extract_id,
                detail=f"destruction={destruction}",
            )
        return self.get_extract(extract_id)
