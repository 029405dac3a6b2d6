"""Results claims over HTTP: a council claims the results payment for a family whose
progress decision qualifies (in force), once per family; claims are listed for submission,
read back with their evidence, and withdrawn by an admin. Every route is audited.

Claims are made and read by reviewers (and admins): the council's own staff, who declare
the claim; submitters (partner systems) never see them.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal
from zoneinfo import ZoneInfo

from flask import Blueprint, current_app, jsonify, request, url_for
from pydantic import BaseModel, ConfigDict, Field, field_validator

from tfp_rules.outcomes.claims import parse_period, results_claim
from tfp_rules.store import (
    CLAIM_STATUSES,
    ClaimRecord,
    NotFoundError,
    StoredClaim,
    StoredProgress,
)
from tfp_rules.text import check_text

from .audit import record
from .auth import actor, erased, refuse_restricted, requires, withhold_restricted
from .db import get_store
from .decisions import list_detail
from .inputs import IsoDate, NoParameters, takes
from .problems import Problem
from .reviewing import review_body
from .views import created, page, with_ruleset_headers

bp = Blueprint("claims", __name__, url_prefix="/v1")
CLAIMERS = ("reviewer",)  # and admin, always
PERIOD = r"^[0-9]{4}-[0-9]{2}\.\.[0-9]{4}-[0-9]{2}$"
Id = Annotated[str, Field(min_length=1, max_length=200)]


class ClaimIn(BaseModel):
    """A results claim: the progress decision it rests on, and the preconditions the council
    evidences (each may be left out, and is then named as missing: 422
    `claim-preconditions`)."""

    model_config = ConfigDict(extra="forbid", strict=True)

    progress_id: Id
    whole_family_assessment: IsoDate | None = None
    action_plan: IsoDate | None = None
    keyworker: Annotated[str, Field(max_length=200)] | None = None

    @field_validator("keyworker")
    @classmethod
    def _plain_text(cls, name: str | None) -> str | None:
        return None if name is None else check_text(name)  # one line, no control characters


class WithdrawIn(BaseModel):
    """A withdrawal: why, and whether the claim was made in error (which frees the family
    for a new claim)."""

    model_config = ConfigDict(extra="forbid", strict=True)

    reason: Annotated[str, Field(min_length=1, max_length=4000)]
    in_error: bool = False

    @field_validator("reason")
    @classmethod
    def _plain_text(cls, reason: str) -> str:
        if not reason.strip():
            raise ValueError("a reason must say something, not only spaces")
        return check_text(reason, multiline=True)


class ClaimsQuery(BaseModel):
    """Filters of GET /v1/claims."""

    model_config = ConfigDict(extra="forbid")

    period: Annotated[str, Field(pattern=PERIOD)] | None = None
    status: Literal[CLAIM_STATUSES] | None = None  # type: ignore[valid-type]
    family_ref: Id | None = None
    limit: Annotated[int, Field(ge=1, le=200)] = 50
    cursor: Annotated[str, Field(max_length=200)] | None = None


COUNCIL_TIME = ZoneInfo(
    "Europe/London"
)  # an English council's financial year turns at its midnight


def claim_date_at(moment: dt.datetime) -> dt.date:
    """The date in England at `moment` (aware): a claim made just after midnight on 1 April
    (23:00 UTC the day before, in summer time) falls in the new financial year."""
    return moment.astimezone(COUNCIL_TIME).date()


def _claim_date() -> dt.date:
    """Today in England: the date a claim made now is made on."""
    return claim_date_at(dt.datetime.now(dt.UTC))


def visible_claim(claim_id: str, detail: str | None = None) -> StoredClaim:
    """The claim, or 404 (audited as a read, with `detail`: "page" for a page's)."""
    try:
        claim = get_store().get_claim(claim_id)
    except NotFoundError:
        record("claim.read", 404, target=claim_id, detail=detail)
        raise Problem(404, "not-found", "No such claim", f"no claim {claim_id}") from None
    refuse_restricted(claim.family_ref, action="claim.read", target=claim.id)
    if not claim.claim:
        record("claim.read", 410, target=claim.id, detail=detail)
        raise erased("claim", claim.id)
    return claim


def claimable_progress(progress_id: str) -> StoredProgress:
    """The progress decision a claim would rest on, or 404 (a reviewer sees every one)."""
    try:
        p = get_store().get_progress(progress_id)
    except NotFoundError:
        raise Problem(
            404, "not-found", "No such progress decision", f"no progress decision {progress_id}"
        ) from None
    refuse_restricted(p.family_ref, action="claim.create", target=p.id, writing=True)
    if not p.decision:
        raise erased("progress decision", p.id)
    return p


def find_claims(
    *,
    period: str | None,
    status: str | None,
    family_ref: str | None,
    limit: int,
    cursor: str | None,
) -> tuple[list[ClaimRecord], str | None]:
    """One page of claims, newest first, by period of claim date (YYYY-MM..YYYY-MM), status
    or family, and the cursor of the next; ValueError for a filter that is not one."""
    start, end = parse_period(period) if period else (None, None)
    items, next_cursor = get_store().list_claims(
        claimed_from=start,
        claimed_to=end,
        status=status,
        family_ref=family_ref,
        limit=limit,
        cursor=cursor,
    )
    return withhold_restricted(items, "claim.list"), next_cursor


def make_claim(
    progress: StoredProgress,
    *,
    whole_family_assessment: dt.date | None,
    action_plan: dt.date | None,
    keyworker: str | None,
) -> StoredClaim:
    """Claim the results payment for `progress`'s family, today, as the signed-in person
    (the API's route and the claim page both come here); the store audits `claim.create`.

    NotQualifyingError, ClaimPreconditionsError, EvidenceError (all ClaimError) from the
    rules, ClaimExistsError from the store; nothing is saved unless the claim is made."""
    store = get_store()
    rs = progress.decision["ruleset"]
    library = current_app.extensions["tfp.library"]
    ruleset = library.resolve(f"{rs['id']}@{rs['version']}")
    claim_date = _claim_date()
    # the payments of the claim's financial year: the national version in force that day
    national = ruleset.extends.id if ruleset.extends is not None else ruleset.id
    claim = results_claim(
        progress.decision,
        store.get_progress_facts(progress.id),
        progress_id=progress.id,
        entry_id=progress.entry_id,
        outcome=progress.outcome.to_dict(),
        ruleset=ruleset,
        claim_date=claim_date,
        whole_family_assessment=whole_family_assessment,
        action_plan=action_plan,
        keyworker=keyworker,
        rates=library.resolve(national, on=claim_date),
    )
    return store.save_claim(claim, claimed_by=actor().client_id, key_id=actor().id)


@bp.post("/claims")
@requires(*CLAIMERS)
@takes(NoParameters)
def create(query: NoParameters):
    """Claim the results payment for the family of a qualifying progress decision."""
    body = review_body(ClaimIn, "invalid-claim", "The claim is not valid")
    progress = claimable_progress(body.progress_id)
    stored = make_claim(
        progress,
        whole_family_assessment=body.whole_family_assessment,
        action_plan=body.action_plan,
        keyworker=body.keyworker,
    )
    rs = progress.decision["ruleset"]
    return created(stored.view(), url_for("claims.get_one", claim_id=stored.id), rs)


@bp.get("/claims")
@requires(*CLAIMERS)
@takes(ClaimsQuery)
def list_all(query: ClaimsQuery):
    """Claims newest first, metadata only, by period of claim date, status or family."""
    try:
        items, next_cursor = find_claims(
            period=query.period,
            status=query.status,
            family_ref=query.family_ref,
            limit=query.limit,
            cursor=query.cursor,
        )
    except ValueError as exc:
        raise Problem(400, "invalid-query", "Invalid query parameters", str(exc)) from exc
    record("claim.list", 200, detail=list_detail(list(request.args), [c.id for c in items]))
    return page([c.summary() for c in items], next_cursor, "claims.list_all")


def _ruleset(claim: StoredClaim) -> dict[str, str]:
    return {
        "id": claim.ruleset_id,
        "version": claim.ruleset_version,
        "sha256": claim.ruleset_sha256,
    }


@bp.get("/claims/<claim_id>")
@requires(*CLAIMERS)
@takes(NoParameters)
def get_one(claim_id: str, query: NoParameters):
    """One claim with its evidence pointers, amounts and preconditions."""
    claim = visible_claim(claim_id)
    record("claim.read", 200, target=claim.id)
    return with_ruleset_headers(jsonify(claim.view()), _ruleset(claim))


@bp.post("/claims/<claim_id>/withdraw")
@requires()  # admin only
@takes(NoParameters)
def withdraw(claim_id: str, query: NoParameters):
    """Withdraw a claim with a reason; `in_error` frees the family for a new claim."""
    body = review_body(WithdrawIn, "invalid-withdrawal", "The withdrawal is not valid")
    claim = visible_claim(claim_id)
    stored = get_store().withdraw_claim(
        claim.id,
        reason=body.reason,
        in_error=body.in_error,
        withdrawn_by=actor().client_id,
        key_id=actor().id,
    )
    return with_ruleset_headers(jsonify(stored.view()), _ruleset(stored))
