"""Recording a verdict on a decision from its page: the form, and the same store call and
rules as `POST /v1/decisions/{id}/reviews`, with each refusal said against its field."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import RadioField, TextAreaField
from wtforms.fields.choices import SelectChoice

from tfp_rules.store import ReviewRefusedError, StoredDecision
from tfp_rules.text import check_text

from ..auth import actor
from ..db import get_store

MAX_REASON = 4000  # as the API's ReviewBody
VERDICTS = [
    SelectChoice("confirm", "Confirm the automated decision"),
    SelectChoice("override", "Override it"),
]
OUTCOMES = [SelectChoice("eligible", "Eligible"), SelectChoice("not_eligible", "Not eligible")]


class ReviewForm(FlaskForm):
    """A reviewer's verdict: confirm, or override with the outcome it puts in force; a reason."""

    verdict = RadioField("Your verdict", choices=VERDICTS, validate_choice=False)
    outcome = RadioField(
        "Outcome to put in force",
        choices=OUTCOMES,
        validate_choice=False,
        description="Only when you override it.",
    )
    reason = TextAreaField(
        "Reason",
        description="Say why you confirm or change the outcome. The family may see this if"
        " they ask for their data.",
    )

    def checked(self) -> bool:
        """Whether the verdict is well formed (the API's ReviewBody rules, in words); each
        problem is put against its field."""
        ok = self.validate()
        verdict, outcome = self.verdict.data, self.outcome.data
        if verdict not in {c.value for c in VERDICTS}:
            self.verdict.errors = ["Select your verdict: confirm the decision or override it"]
        if outcome is not None and outcome not in {c.value for c in OUTCOMES}:
            self.outcome.errors = ["Select Eligible or Not eligible"]
        elif verdict == "override" and outcome is None:
            self.outcome.errors = ["Select the outcome to put in force when you override it"]
        elif verdict == "confirm" and outcome is not None:
            self.outcome.errors = [
                "Do not select an outcome when you confirm: a confirmation agrees with the"
                " outcome in force"
            ]
        reason = self.reason.data or ""
        if not reason.strip():
            self.reason.errors = ["Enter the reason for your verdict"]
        elif len(reason) > MAX_REASON:
            self.reason.errors = [f"The reason must be {MAX_REASON} characters or fewer"]
        else:
            try:
                check_text(reason, multiline=True)
            except ValueError:
                self.reason.errors = [
                    "The reason can only hold ordinary text: remove any control characters"
                ]
        return ok and not (self.verdict.errors or self.outcome.errors or self.reason.errors)

    @property
    def eligible(self) -> bool | None:
        """The outcome an override puts in force (None for a confirmation)."""
        return None if self.outcome.data is None else self.outcome.data == "eligible"


# Which field a refusal of the store's belongs to (ReviewRefusedError.code).
REFUSALS = {
    "nothing-to-confirm": (
        "verdict",
        "This decision is undetermined and no review has put an outcome in force, so there"
        " is nothing to confirm: override it with the outcome you decide",
    ),
    "already-in-force": (
        "outcome",
        "That is already the outcome in force: confirm it instead, or choose the other outcome",
    ),
}


def record_verdict(d: StoredDecision, form: ReviewForm) -> int | None:
    """Record the form's verdict on `d` as the API would (the same store call, checked in one
    write transaction); None when recorded, else the status to re-render the page with (400
    for a verdict not well formed, 409 for one the outcome in force does not allow), the
    problem put against its field. Nothing is saved unless it is recorded."""
    if not form.checked():
        return 400
    try:
        get_store().add_review(
            d.id,
            verdict=form.verdict.data,
            eligible=form.eligible,
            reason=form.reason.data,
            reviewer=actor().client_id,
            key_id=actor().id,
        )
    except ReviewRefusedError as exc:
        name, message = REFUSALS.get(exc.code, ("verdict", str(exc)))
        getattr(form, name).errors = [message]
        return 409
    except ValueError as exc:  # the store's own checks, which the form should have made
        form.reason.errors = [str(exc)]
        return 400
    return None
