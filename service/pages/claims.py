"""Results claims in the browser: the list, one claim in words, and an admin's withdrawal
(making a claim from a progress decision is `new_claim.py`).

The page twins of `service/claims.py`: the same functions (`make_claim`, `find_claims`,
`claimable_progress`, `visible_claim`), store calls, rules and audit rows (`claim.list`,
`claim.read`, with their detail marked `page`; `claim.create` and `claim.withdraw` are the
store's). A refusal comes back on the same page with an error summary and the API's status;
nothing is saved.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from flask import current_app, redirect, render_template, request, session, url_for
from flask_wtf import FlaskForm
from wtforms import BooleanField, Field, RadioField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import AnyOf, Length, ValidationError

from tfp_rules.outcomes.claims import (
    parse_period,
)
from tfp_rules.store import (
    CLAIM_STATUSES,
    ClaimWithdrawnError,
    StoredClaim,
)
from tfp_rules.summary import human_date, human_when
from tfp_rules.text import check_text

from .. import rejections
from ..audit import record
from ..auth import actor, requires
from ..claims import CLAIMERS, PERIOD, find_claims, visible_claim
from ..db import get_store
from ..decisions import list_detail
from ..problems import Problem, to_problem
from .blueprint import bp
from .fields import refused_filters, strip
from .queue import decision_link

PER_PAGE = 50
MAX_BACK = 50  # the earlier pages a list remembers, for its Previous link
DONE = "tfp_claim_done"  # in the session: [claim id, what its page says, once]
STATUS_WORDS = {
    "claimed": "Claimed",
    "withdrawn": "Withdrawn",
    "withdrawn_in_error": "Withdrawn in error",
}
STATUS_TAGS = {
    "claimed": "govuk-tag--blue",
    "withdrawn": "govuk-tag--grey",
    "withdrawn_in_error": "govuk-tag--orange",
}
ROUTE_WORDS = {
    "progress": "Progress",
    "employment": "Employment",
    "review": "Review",
}
ROUTE_MEANING = {
    "progress": "the family made the progress its outcome plan asks for",
    "employment": "an adult moved into continuous employment",
    "review": "a reviewer's override put in force that the family qualifies",
}
PROGRESS_WORDS = {
    "progressed": "Progressed",
    "not_progressed": "Not progressed",
    "undetermined": "Undetermined",
}
DATE_HINT = "For example, 2019-04-02. It cannot be after today, the date of the claim."
# What the rules call each precondition, and what to do when it is missing.
PRECONDITION_FIELDS = {
    "whole_family_assessment": "Enter the date of the whole family assessment",
    "action_plan": "Enter the date of the family action plan",
    "keyworker": "Enter the name of the family's keyworker",
}
CURSOR = re.compile(r"[A-Za-z0-9_-]{1,200}")


# --------------------------------------------------------------------------- words


def money(value: float) -> str:
    """An amount in pounds as people write it: £1,000, or £12.50."""
    return f"£{int(value):,}" if float(value).is_integer() else f"£{value:,.2f}"


def financial_year_words(year: str) -> str:
    """'2019-20' as people say it: '2019 to 2020'."""
    start = int(year[:4])
    return f"{start} to {start + 1}"


def person_name(client_id: str | None, names: Mapping[str, str]) -> str:
    """Who did something, by name (never a client id); the command line's user by theirs."""
    if client_id in names:
        return names[client_id]
    if client_id and client_id.startswith("cli:"):
        return f"{client_id[4:]} (on the command line)"
    return "a person whose name is not recorded"


def progress_link(progress_id: str) -> str:
    """The progress decision's page (its own view, once that page exists)."""
    if "pages.progress" in current_app.view_functions:
        return url_for("pages.progress", progress_id=progress_id)
    return f"/progress/{progress_id}"


def ruleset_path(ref: Mapping[str, Any]) -> str:
    """The page of a ruleset version."""
    return url_for("pages.ruleset_version", ruleset_id=ref["id"], version=ref["version"])


def qualifies_words(outcome: Mapping[str, Any]) -> str:
    """The outcome in force for a progress decision, in words, and who put it in force."""
    state = {True: "Qualifies", False: "Does not qualify", None: "Undetermined"}[
        outcome.get("qualifies")
    ]
    by = "a reviewer's override" if outcome.get("source") == "review" else "the automated decision"
    return f"{state}, by {by}"


def claim_words() -> dict[str, Any]:
    return {
        "status_words": STATUS_WORDS,
        "status_tags": STATUS_TAGS,
        "route_words": ROUTE_WORDS,
        "route_meaning": ROUTE_MEANING,
        "day": human_date,
        "when": human_when,
        "money": money,
        "year": financial_year_words,
        "progress_link": progress_link,
        "decision_link": decision_link,
    }


# --------------------------------------------------------------------------- the list


def _period(form: Any, field: Field) -> None:
    """Two months written YYYY-MM..YYYY-MM, the first not after the last."""
    if not field.data:
        return
    if not re.fullmatch(PERIOD, field.data):
        raise ValidationError(
            "Claim period must be the first and last month, written as YYYY-MM..YYYY-MM,"
            " for example 2019-04..2019-06"
        )
    try:
        parse_period(field.data)
    except ValueError:
        raise ValidationError(
            "Claim period must have months from 01 to 12, the first not after the last"
        ) from None


class ClaimFilters(FlaskForm):
    """The list's filters, read from the query string (a GET form: no CSRF token)."""

    class Meta:
        csrf = False

    period = StringField(
        "Claim period",
        description="The months of the claim date, first and last, for example 2019-04..2019-06"
        " for April to June 2019.",
        filters=[strip],
        validators=[_period],
    )
    status = RadioField(
        "Status",
        choices=[SelectChoice("", "Any"), *(SelectChoice(v, w) for v, w in STATUS_WORDS.items())],
        default="",
        validate_choice=False,
        validators=[AnyOf(["", *CLAIM_STATUSES], message="Choose a status from the list")],
    )
    family_ref = StringField(
        "Family reference",
        filters=[strip],
        validators=[Length(max=200, message="Family reference must be 200 characters or fewer")],
    )

    def filters(self) -> dict[str, str]:
        """The filters given, by name (`find_claims`'s arguments)."""
        return {
            name: self[name].data for name in ("period", "status", "family_ref") if self[name].data
        }


def _place() -> tuple[str | None, list[str]]:
    """The page asked for: its cursor, and the cursors of the pages before it ("" for the
    first). A place is not a filter, so one that is not a cursor shows the first page."""
    cursor = request.args.get("cursor") or None
    back = request.args.get("back")
    stack = back.split(",")[-MAX_BACK:] if back is not None else []
    if (cursor is not None and not CURSOR.fullmatch(cursor)) or any(
        c and not CURSOR.fullmatch(c) for c in stack
    ):
        return None, []
    return cursor, stack


@bp.get("/claims")
@requires(*CLAIMERS)
def claims() -> Any:
    """Results claims, newest first, filtered by claim period, status or family."""
    form = ClaimFilters(formdata=request.args)
    if not form.validate():
        return refused_filters("claims.html", form)
    filters = form.filters()
    cursor, back = _place()
    try:
        rows, next_cursor = find_claims(**_arguments(filters), limit=PER_PAGE, cursor=cursor)
    except ValueError:  # the filters were checked: the cursor is not one of ours
        cursor, back = None, []
        rows, next_cursor = find_claims(**_arguments(filters), limit=PER_PAGE, cursor=None)
    # who saw which claims: the filters' names, never their values, and the ids shown
    record("claim.list", 200, detail="page " + list_detail(list(filters), [c.id for c in rows]))
    names = get_store().client_names(c.claimed_by for c in rows)

    def link(at: str | None, earlier: list[str]) -> str:
        place = {"cursor": at} if at else {}
        if earlier:
            place["back"] = ",".join(earlier)
        return url_for("pages.claims", **filters, **place)

    return render_template(
        "claims.html",
        form=form,
        refused=False,
        rows=rows,
        claimed_by={c.id: person_name(c.claimed_by, names) for c in rows},
        number=len(back) + 1,
        previous=link(back[-1], back[:-1]) if back else None,
        next=link(next_cursor, [*back, cursor or ""]) if next_cursor else None,
        **claim_words(),
    )


def _arguments(filters: Mapping[str, str]) -> dict[str, str | None]:
    return {name: filters.get(name) for name in ("period", "status", "family_ref")}


# --------------------------------------------------------------------------- one claim


class WithdrawForm(FlaskForm):
    """An admin's withdrawal: why, and whether the claim was made in error."""

    reason = TextAreaField(
        "Reason",
        description="Say why the claim is withdrawn. The family may see this if they ask for"
        " their data.",
    )
    in_error = BooleanField(
        "The claim was made in error",
        description="Only if the claim should never have been made: this frees the family for"
        " a new claim. Otherwise the family stays claimed.",
    )

    def checked(self) -> bool:
        """Whether the withdrawal is well formed (the API's WithdrawIn rules, in words)."""
        ok = self.validate()
        reason = self.reason.data or ""
        if not reason.strip():
            self.reason.errors = ["Enter the reason for the withdrawal"]
        elif len(reason) > 4000:
            self.reason.errors = ["The reason must be 4000 characters or fewer"]
        else:
            try:
                check_text(reason, multiline=True)
            except ValueError:
                self.reason.errors = [
                    "The reason can only hold ordinary text: remove any control characters"
                ]
        return ok and not self.reason.errors


def claim_rows(c: StoredClaim, names: Mapping[str, str]) -> list[tuple[str, Any]]:
    """Everything the API's view of a claim holds, as (what, in words) for a summary list;
    a value that is a list is a list of (text, link or None)."""
    view = c.view()
    pre = view["preconditions"]
    rows: list[tuple[str, Any]] = [
        ("Family reference", c.family_ref or "Family reference erased"),
        ("Claim date", human_date(c.claim_date)),
        ("Financial year", financial_year_words(c.financial_year)),
    ]
    for name, what in (
        ("results_payment_gbp", "Results payment"),
        ("attachment_fee_gbp", "Attachment fee"),
    ):
        amount = view["amounts"].get(name) or {}
        if amount:
            rows.append(
                (
                    what,
                    [
                        (money(amount["value"]), None),
                        (f"From {amount['ruleset']}: {amount['source']}", None),
                    ],
                )
            )
    rows += [
        ("Route", f"{ROUTE_WORDS[c.qualifies_by]}: {ROUTE_MEANING[c.qualifies_by]}"),
        ("Outcome in force when claimed", qualifies_words(view["outcome"] or {})),
        ("Whole family assessment", _day(pre.get("whole_family_assessment"))),
        ("Family action plan", _day(pre.get("action_plan"))),
        ("Keyworker", pre.get("keyworker") or "Not recorded"),
        (
            "Evidence",
            [
                (f"Progress decision {c.progress_id}", progress_link(c.progress_id)),
                (f"Entry decision {c.entry_id}", decision_link(c.entry_id)),
                *(
                    (f"Record {p} of the facts the progress decision was made on", None)
                    for p in view["evidence"]
                ),
            ],
        ),
        ("Ruleset", [(f"{c.ruleset_id}@{c.ruleset_version}", ruleset_path(view["ruleset"]))]),
        ("Claimed by", f"{person_name(c.claimed_by, names)}, {human_when(c.created_at)}"),
    ]
    if view["withdrawal"]:
        w = view["withdrawal"]
        how = "in error (the family is free for a new claim)" if w["in_error"] else ""
        rows.append(
            (
                "Withdrawal",
                [
                    (
                        f"Withdrawn {how}".strip() + f" by {person_name(w['by'], names)},"
                        f" {human_when(w['at'])}",
                        None,
                    ),
                    (f"Reason: {w['reason']}", None),
                ],
            )
        )
    return rows


def _day(iso: str | None) -> str:
    return human_date(iso) if iso else "Not recorded"


def render_claim(c: StoredClaim, form: WithdrawForm | None = None) -> str:
    """The page of claim `c` (audited as a read of it), with the withdrawal form for an
    admin while the claim stands."""
    record("claim.read", 200, target=c.id, detail="page")
    names = get_store().client_names(i for i in (c.claimed_by, c.withdrawn_by) if i)
    done = session.pop(DONE, None)
    can_withdraw = actor().role == "admin" and c.status == "claimed"
    return render_template(
        "claim.html",
        c=c,
        rows=claim_rows(c, names),
        done=done[1] if done and done[0] == c.id else None,
        form=(form or WithdrawForm(formdata=None)) if can_withdraw else None,
        errors=bool(form and form.errors),
        **claim_words(),
    )


@bp.get("/claims/<claim_id>")
@requires(*CLAIMERS)
def claim(claim_id: str) -> Any:
    """One results claim in words: dates, amounts, route, preconditions, evidence, status."""
    return render_claim(visible_claim(claim_id, detail="page"))


@bp.post("/claims/<claim_id>/withdraw")
@requires()  # admin only, as the API
def withdraw_claim(claim_id: str) -> Any:
    """Withdraw a claim with a reason: back to its page (303), else the page with errors."""
    c = visible_claim(claim_id, detail="page")
    form = WithdrawForm()
    if not form.checked():
        rejections.record_rejection(
            Problem(400, "invalid-withdrawal", "The withdrawal is not valid")
        )
        return render_claim(c, form), 400
    try:
        get_store().withdraw_claim(
            c.id,
            reason=form.reason.data,
            in_error=form.in_error.data,
            withdrawn_by=actor().client_id,
            key_id=actor().id,
        )
    except ClaimWithdrawnError as exc:  # someone else was first
        rejections.record_rejection(to_problem(exc))
        form.reason.errors = [
            f"This claim is already {STATUS_WORDS[exc.status].lower()}: a withdrawal is final"
        ]
        return render_claim(get_store().get_claim(c.id), form), 409
    session[DONE] = [c.id, "The claim has been withdrawn"]
    return redirect(url_for("pages.claim", claim_id=c.id), 303)
