"""Making a results claim in the browser, from a qualifying progress decision: the form of
the preconditions, and every refusal on the same page with the API's status (nothing saved).

The page twin of `POST /v1/claims`: the same `make_claim` and rules; `claim.create` is the
store's audit row, and the form's page is audited as a read of the progress decision.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from flask import redirect, render_template, session, url_for
from flask_wtf import FlaskForm
from wtforms import StringField
from wtforms.validators import Length

from tfp_rules.outcomes.claims import ClaimError, ClaimPreconditionsError, NotQualifyingError
from tfp_rules.store import ClaimExistsError, StoredProgress

from .. import rejections
from ..audit import record
from ..auth import requires
from ..claims import CLAIMERS, claimable_progress, make_claim
from ..db import get_store
from ..problems import Problem, to_problem
from .blueprint import bp
from .claims import (
    DATE_HINT,
    DONE,
    PRECONDITION_FIELDS,
    PROGRESS_WORDS,
    claim_words,
    qualifies_words,
)
from .fields import real_date, strip


class ClaimForm(FlaskForm):
    """What the council evidences for a results claim: the preconditions."""

    whole_family_assessment = StringField(
        "Date of the whole family assessment",
        description=DATE_HINT,
        filters=[strip],
        validators=[real_date],
    )
    action_plan = StringField(
        "Date of the family action plan",
        description=DATE_HINT,
        filters=[strip],
        validators=[real_date],
    )
    keyworker = StringField(
        "Keyworker",
        description="The name of the family's keyworker.",
        filters=[strip],
        validators=[
            Length(max=200, message="The keyworker's name must be 200 characters or fewer")
        ],
    )

    def date(self, name: str) -> dt.date | None:
        """The date in field `name`, once validated (None if left empty)."""
        value = self[name].data
        return dt.date.fromisoformat(value) if value else None


def _precondition_errors(form: ClaimForm, exc: ClaimPreconditionsError) -> None:
    """Each precondition missing or not acceptable, said against its field."""
    for name in exc.missing:
        form[name].errors = [*form[name].errors, PRECONDITION_FIELDS[name]]
    for problem in exc.problems:
        field = form[problem["name"]]
        if problem["name"] == "keyworker":
            message = (
                "The keyworker's name can only hold ordinary text: remove any control characters"
            )
        elif "after the claim date" in problem["detail"]:
            message = f"{field.label.text} must be today or in the past"
        else:
            message = f"{field.label.text} must be 1 January 1900 or later"
        field.errors = [*field.errors, message]


def render_new_claim(
    p: StoredProgress, form: ClaimForm, refusal: Mapping[str, Any] | None = None
) -> str:
    """The claim form for progress decision `p` (audited as a read of it)."""
    record("progress.read", 200, target=p.id, detail="page")
    store = get_store()
    existing = store.claim_in_force(p.family_ref) if p.family_ref else None
    return render_template(
        "new_claim.html",
        p=p,
        form=form,
        refusal=refusal,
        qualifies=p.outcome.qualifies is True,
        outcome=qualifies_words(p.outcome.to_dict()),
        progress_words=PROGRESS_WORDS,
        existing=existing,
        errors=bool(form.errors) or refusal is not None,
        **claim_words(),
    )


@bp.get("/progress/<progress_id>/claim")
@requires(*CLAIMERS)
def new_claim(progress_id: str) -> Any:
    """The form for a results claim on a progress decision."""
    return render_new_claim(claimable_progress(progress_id), ClaimForm(formdata=None))


@bp.post("/progress/<progress_id>/claim")
@requires(*CLAIMERS)
def create_claim(progress_id: str) -> Any:
    """Make the claim: to its page (303) when made, else the form with the reason, nothing
    saved: 400 for a date not written as one, 422 for the rules, 409 if the family has one."""
    p = claimable_progress(progress_id)
    form = ClaimForm()
    if not form.validate():
        rejections.record_rejection(Problem(400, "invalid-claim", "The claim is not valid"))
        return render_new_claim(p, form), 400
    try:
        made = make_claim(
            p,
            whole_family_assessment=form.date("whole_family_assessment"),
            action_plan=form.date("action_plan"),
            keyworker=form.keyworker.data or None,
        )
    except ClaimPreconditionsError as exc:
        rejections.record_rejection(to_problem(exc))
        _precondition_errors(form, exc)
        return render_new_claim(p, form), 422
    except NotQualifyingError as exc:
        rejections.record_rejection(to_problem(exc))
        why = (
            "The outcome in force for this progress decision is that the family"
            f" {'is undetermined' if p.outcome.qualifies is None else 'does not qualify'}:"
            " there is no results claim to make"
        )
        return render_new_claim(p, form, {"message": why}), 422
    except ClaimExistsError as exc:
        rejections.record_rejection(to_problem(exc))
        refusal = {
            "message": "This family already has a results claim: one results claim per family"
            " (only a claim withdrawn in error frees the family)",
            "link": url_for("pages.claim", claim_id=exc.existing_id),
        }
        return render_new_claim(p, form, refusal), 409
    except ClaimError as exc:  # evidence the facts do not hold, rules without payments
        rejections.record_rejection(to_problem(exc))
        return render_new_claim(p, form, {"message": f"The claim cannot be made: {exc}"}), 422
    session[DONE] = [made.id, "The claim has been made"]
    return redirect(url_for("pages.claim", claim_id=made.id), 303)
