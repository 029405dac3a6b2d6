"""Results claims: at most one per family, by SQLite's own rule; never deleted, only
withdrawn; listed by claim date for the council's submission; and each with its whole
evidence chain for internal audit.

The one-per-family rule is the unique partial index `claims_one_per_family` (migration 8):
every claim not withdrawn in error holds its family, so two writers racing to claim one
family cannot both succeed, in any process. The claim's content (evidence pointers and the
keyworker's name) lives in `claim_payloads`, apart from the metadata in `claims`.
"""

from __future__ import annotations

import sqlite3
import uuid
from dataclasses import asdict
from typing import Any

from .audit import AuditLog, json_bool
from .chain import link
from .errors import ClaimExistsError, ClaimWithdrawnError, NotFoundError
from .listing import day, decode_cursor, encode_cursor, page, timestamp
from .payloads import CLAIM_PAYLOADS, with_payload
from .records import CLAIM_STATUSES, ClaimRecord, StoredClaim
from .sealed import seal, sealed_payload, unseal_row

_COLUMNS = (
    "id, created_at, claimed_by, progress_id, entry_id, family_ref, claim_date,"
    " financial_year, qualifies_by, attachment_fee_gbp, results_payment_gbp, ruleset_id,"
    " ruleset_version, ruleset_sha256, status, withdrawn_at, withdrawn_by, withdrawn_reason"
)


def _metadata_row(claim: dict[str, Any], claimed_by: str, created_at: str) -> dict[str, Any]:
    try:
        return {
            "id": uuid.uuid4().hex,
            "created_at": created_at,
            "claimed_by": claimed_by,
            "progress_id": claim["progress_id"],
            "entry_id": claim["entry_id"],
            "family_ref": claim["family_ref"],
            "claim_date": claim["claim_date"],
            "financial_year": claim["financial_year"],
            "qualifies_by": claim["qualifies_by"],
            "attachment_fee_gbp": claim["amounts"]["attachment_fee_gbp"]["value"],
            "results_payment_gbp": claim["amounts"]["results_payment_gbp"]["value"],
            "ruleset_id": claim["ruleset"]["id"],
            "ruleset_version": claim["ruleset"]["version"],
            "ruleset_sha256": claim["ruleset"]["sha256"],
            "status": "claimed",
        }
    except (KeyError, TypeError) as exc:
        raise ValueError(f"not a claim as results_claim makes it: {exc}") from exc


class Claims(AuditLog):
    """The `claims` and `claim_payloads` tables."""

    def save_claim(
        self, claim: dict[str, Any], *, claimed_by: str, key_id: str | None = None
    ) -> StoredClaim:
        """Store a results claim (`outcomes.claims.results_claim`'s content), audited.

        ClaimExistsError, naming the claim in force, if the family already has one (the
        unique index decides, whoever else is writing); NotFoundError if its progress
        decision does not exist.
        """
        if not claimed_by:
            raise ValueError("claimed_by is required")
        try:
            with self._write() as db:
                found = db.execute(
                    "SELECT entry_id FROM progress WHERE id = ?", [claim.get("progress_id")]
                ).fetchone()
                if found is None:
                    raise NotFoundError(f"no progress decision {claim.get('progress_id')!r}")
                if found[0] != claim.get("entry_id"):
                    raise ValueError("the claim's entry_id is not its progress decision's")
                row = _metadata_row(claim, claimed_by, self._now())
                db["claims"].insert(row)
                db["claim_payloads"].insert(
                    {
                        "claim_id": row["id"],
                        **sealed_payload(self.keys, "claim_payloads", row["id"], claim=claim),
                    }
                )
                link(db, "claims", row["id"], self.keys)
                self._audit(
                    db,
                    actor=claimed_by,
                    key_id=key_id,
                    action="claim.create",
                    status=201,
                    target=row["id"],
                    detail=f"progress={row['progress_id']} entry={row['entry_id']}"
                    f" fy={row['financial_year']} by={row['qualifies_by']}",
                )
        except sqlite3.IntegrityError as exc:
            if "claims.family_ref" not in str(exc):
                raise
            existing = self.claim_in_force(claim["family_ref"])
            if existing is None:  # cannot be: the index held a row a moment ago
                raise
            raise ClaimExistsError(claim["family_ref"], existing) from exc
        return self.get_claim(row["id"])

    def claim_in_force(self, family_ref: str) -> str | None:
        """The id of the family's claim that holds it (not withdrawn in error), if any."""
        with self._read() as db:
            found = db.execute(
                "SELECT id FROM claims WHERE family_ref = ? AND status != 'withdrawn_in_error'",
                [family_ref],
            ).fetchone()
        return found[0] if found else None

    def get_claim(self, claim_id: str) -> StoredClaim:
        """One claim with its content; NotFoundError if there is none."""
        with self._read() as db:
            row, claim = with_payload(db, CLAIM_PAYLOADS, claim_id, "claim", "d.*", keys=self.keys)
        unseal_row(self.keys, "claims", row)
        fields = {k: row[k] for k in _COLUMNS.replace(" ", "").split(",")}
        return StoredClaim(**fields, claim=claim)

    def list_claims(
        self,
        *,
        claimed_from: str | None = None,
        claimed_to: str | None = None,
        status: str | None = None,
        family_ref: str | None = None,
        limit: int = 50,
        cursor: str | None = None,
    ) -> tuple[list[ClaimRecord], str | None]:
        """Claims newest first, metadata only: claim dates from `claimed_from` to
        `claimed_to` (ISO dates, inclusive), of one `status` or family; returns (page, next
        cursor). ValueError for a bad argument."""
        if limit < 1:
            raise ValueError(f"limit must be at least 1, not {limit}")
        where: list[str] = []
        args: list[Any] = []
        if claimed_from is not None:
            where.append("claim_date >= ?")
            args.append(day(claimed_from, "claimed_from"))
        if claimed_to is not None:
            where.append("claim_date <= ?")
            args.append(day(claimed_to, "claimed_to"))
        if status is not None:
            if status not in CLAIM_STATUSES:
                raise ValueError(f"status is one of {', '.join(CLAIM_STATUSES)}, not {status!r}")
            where.append("status = ?")
            args.append(status)
        if family_ref is not None:
            where.append("family_ref = ?")
            args.append(family_ref)
        if cursor is not None:
            where.append("(created_at, id) < (?, ?)")
            args.extend(decode_cursor(cursor))
        with self._read() as db:
            rows, more = page(
                db, f"SELECT {_COLUMNS} FROM claims", where, args, "created_at DESC, id DESC", limit
            )
        records = [ClaimRecord(**unseal_row(self.keys, "claims", row)) for row in rows]
        return records, (encode_cursor(rows[-1]["created_at"], rows[-1]["id"]) if more else None)

    def claimed_ids(self) -> list[str]:
        """Every claim in status `claimed`, oldest first: what internal audit samples."""
        with self._read() as db:
            rows = db.execute(
                "SELECT id FROM claims WHERE status = 'claimed' ORDER BY created_at, id"
            ).fetchall()
        return [r[0] for r in rows]

    def withdraw_claim(
        self,
        claim_id: str,
        *,
        reason: str,
        in_error: bool,
        withdrawn_by: str,
        key_id: str | None = None,
    ) -> StoredClaim:
        """Withdraw a claim, recording who, when and why; audited. `in_error` (the claim
        should never have been made) frees the family for a new claim; otherwise the family
        stays claimed. NotFoundError; ClaimWithdrawnError if it is already withdrawn."""
        if not reason or not reason.strip():
            raise ValueError("a withdrawal needs a reason")
        if not withdrawn_by:
            raise ValueError("withdrawn_by is required")
        status = "withdrawn_in_error" if in_error else "withdrawn"
        with self._write() as db:
            found = db.execute("SELECT status FROM claims WHERE id = ?", [claim_id]).fetchone()
            if found is None:
                raise NotFoundError(f"no claim {claim_id!r}")
            if found[0] != "claimed":
                raise ClaimWithdrawnError(claim_id, found[0])
            db.execute(
                "UPDATE claims SET status = ?, withdrawn_at = ?, withdrawn_by = ?,"
                " withdrawn_reason = ? WHERE id = ?",
                [
                    status,
                    timestamp(self._clock()),
                    withdrawn_by,
                    seal(self.keys, "claims", "withdrawn_reason", claim_id, reason),
                    claim_id,
                ],
            )
            self._audit(
                db,
                actor=withdrawn_by,
                key_id=key_id,
                action="claim.withdraw",
                status=200,
                target=claim_id,
                detail=f"in_error={json_bool(in_error)}",
            )
        return self.get_claim(claim_id)

    def audit_about(self, *targets: str) -> list[dict[str, Any]]:
        """Every audit row about any of `targets` (ids), oldest first."""
        rows: list[dict[str, Any]] = []
        for target in dict.fromkeys(targets):
            cursor = None
            while True:
                got, cursor = self.list_audit(target=target, limit=200, cursor=cursor)
                rows.extend(got)
                if cursor is None:
                    break
        return sorted(rows, key=lambda r: r["id"])

    def evidence_chain(self, claim_id: str) -> dict[str, Any]:
        """One claim with everything internal audit checks it against, in one document: the
        claim; its progress decision with the merged facts it was made on; the entry
        decision with its facts; the reviews and outcome in force of both; and every audit
        row about the three. (Personal data: for the council's auditors only.)"""
        store: Any = self  # the Store this is part of has the decisions and progress tables
        claim = self.get_claim(claim_id)
        progress = store.get_progress(claim.progress_id)
        entry = store.get_decision(claim.entry_id)
        return {
            "claim": claim.view(),
            "progress": {
                "id": progress.id,
                "decision": progress.decision,
                "facts": store.get_progress_facts(progress.id),
                "reviews": [asdict(r) for r in progress.reviews],
                "outcome": progress.outcome.to_dict(),
            },
            "entry": {
                "id": entry.id,
                "decision": entry.decision,
                "facts": store.get_facts(entry.id),
                "reviews": [asdict(r) for r in entry.reviews],
                "outcome": entry.outcome.to_dict(),
            },
            "audit": self.audit_about(claim.id, progress.id, entry.id),
        }
