"""Recording a verdict from a page, on a decision (`eligible`) or a progress decision
(`qualifies`): one form with the outcome field as a parameter, and the same store calls and
rules as `POST /v1/decisions/{id}/reviews` and `POST /v1/progress/{id}/reviews`, with each
refusal said against its field."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ClassVar

from flask_wtf import FlaskForm
from wtforms import Field, RadioField, TextAreaField
from wtforms.fields.choices import SelectChoice

from tfp_rules.store import ReviewRefusedError, StoredDecision, StoredProgress
from tfp_rules.text import check_text

from ..auth import actor
from ..db import get_store

MAX_REASON = 4000  # as the API's ReviewBody
VERDICTS = [
    SelectChoice("confirm", "Confirm the automated decision"),
    SelectChoice("override", "Override it"),
]
OUTCOMES = [SelectChoice("eligible", "Eligible"), SelectChoice("not_eligible", "Not eligible")]
QUALIFIES = [SelectChoice("yes", "Qualifies"), SelectChoice("no", "Does not qualify")]


def verdict_field() -> RadioField:
    """The "Your verdict" radios: confirm, or override."""
    return RadioField("Your verdict", choices=VERDICTS, validate_choice=False)


def reason_field() -> TextAreaField:
    """The mandatory reason, which the family may read."""
    return TextAreaField(
        "Reason",
        description="Say why you confirm or change the outcome. The family may see this if"
        " they ask for their data.",
    )


class VerdictForm(FlaskForm):
    """A reviewer's verdict: confirm, or override with the outcome it puts in force; a reason.

    Subclasses declare `verdict`, their outcome field (named by `OUTCOME`, its values by
    `VALUES`) and `reason`, in the order the page shows them, and say each refusal in
    their own words."""

    OUTCOME: ClassVar[str]
    VALUES: ClassVar[dict[str, bool]]
    CHOOSE: ClassVar[str]  # a value the radios do not offer
    NEEDED: ClassVar[str]  # an override without an outcome
    NOT_WITH_CONFIRM: ClassVar[str]  # a confirmation with one
    REFUSALS: ClassVar[dict[str, tuple[str, str]]]  # ReviewRefusedError.code: (field, words)

    verdict: RadioField
    reason: TextAreaField

    @property
    def outcome_field(self) -> Field:
        """The field of the outcome an override puts in force."""
        return getattr(self, self.OUTCOME)

    def checked(self) -> bool:
        """Whether the verdict is well formed (the API's ReviewBody rules, in words); each
        problem is put against its field."""
        ok = self.validate()
        verdict, outcome = self.verdict.data, self.outcome_field.data
        if verdict not in {c.value for c in VERDICTS}:
            self.verdict.errors = ["Select your verdict: confirm the decision or override it"]
        if outcome is not None and outcome not in self.VALUES:
            self.outcome_field.errors = [self.CHOOSE]
        elif verdict == "override" and outcome is None:
            self.outcome_field.errors = [self.NEEDED]
        elif verdict == "confirm" and outcome is not None:
            self.outcome_field.errors = [self.NOT_WITH_CONFIRM]
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
        failed = self.verdict.errors or self.outcome_field.errors or self.reason.errors
        return ok and not failed

    @property
    def value(self) -> bool | None:
        """The outcome an override puts in force (None for a confirmation)."""
        data = self.outcome_field.data
        return None if data is None else self.VALUES[data]


class ReviewForm(VerdictForm):
    """A verdict on a decision: an override puts Eligible or Not eligible in force."""

    OUTCOME = "outcome"
    VALUES: ClassVar[dict[str, bool]] = {"eligible": True, "not_eligible": False}
    CHOOSE = "Select Eligible or Not eligible"
    NEEDED = "Select the outcome to put in force when you override it"
    NOT_WITH_CONFIRM = (
        "Do not select an outcome when you confirm: a confirmation agrees with the outcome in force"
    )
    REFUSALS: ClassVar[dict[str, tuple[str, str]]] = {
        "nothing-to-confirm": (
            "verdict",
            "This decision is undetermined and no review has put an outcome in force, so"
            " there is nothing to confirm: override it with the outcome you decide",
        ),
        "already-in-force": (
            "outcome",
            "That is already the outcome in force: confirm it instead, or choose the other outcome",
        ),
    }

    verdict = verdict_field()
    outcome = RadioField(
        "Outcome to put in force",
        choices=OUTCOMES,
        validate_choice=False,
        description="Only when you override it.",
    )
    reason = reason_field()


class ProgressReviewForm(VerdictForm):
    """A verdict on a progress check: an override says whether the family qualifies for a
    results claim."""

    OUTCOME = "qualifies"
    VALUES: ClassVar[dict[str, bool]] = {"yes": True, "no": False}
    CHOOSE = "Select Qualifies or Does not qualify"
    NEEDED = "Select whether the family qualifies for a results claim when you override it"
    NOT_WITH_CONFIRM = (
        "Do not select whether the family qualifies when you confirm: a confirmation agrees"
        " with the outcome in force"
    )
    REFUSALS: ClassVar[dict[str, tuple[str, str]]] = {
        "nothing-to-confirm": (
            "verdict",
            "This progress check is undetermined and no review has put an outcome in force,"
            " so there is nothing to confirm: override it with whether the family qualifies",
        ),
        "already-in-force": (
            "qualifies",
            "That is already the outcome in force: confirm it instead, or choose the other answer",
        ),
    }

    verdict = verdict_field()
    qualifies = RadioField(
        "Qualifies for a results claim",
        choices=QUALIFIES,
        validate_choice=False,
        description="Only when you override it.",
    )
    reason = reason_field()


def record_verdict(d: StoredDecision, form: ReviewForm) -> int | None:
    """Record the form's verdict on the decision `d` as `POST /v1/decisions/{id}/reviews`
    would (see `_record`)."""
    return _record(
        form, lambda **verdict: get_store().add_review(d.id, eligible=form.value, **verdict)
    )


def record_progress_verdict(p: StoredProgress, form: ProgressReviewForm) -> int | None:
    """Record the form's verdict on the progress decision `p` as `POST
    /v1/progress/{id}/reviews` would (see `_record`)."""
    return _record(
        form,
        lambda **verdict: get_store().add_progress_review(p.id, qualifies=form.value, **verdict),
    )


def _record(form: VerdictForm, write: Callable[..., Any]) -> int | None:
    """Record the form's verdict with `write` (the store call, which checks it against the
    outcome in force in one write transaction); None when recorded, else the status to
    re-render the page with (400 for a verdict not well formed, 409 for one the outcome in
    force does not allow), the problem put against its field. Nothing is saved unless it
    is recorded."""
    if not form.checked():
        return 400
    try:
        write(
            verdict=form.verdict.data,
            reason=form.reason.data,
            reviewer=actor().client_id,
            key_id=actor().id,
        )
    except ReviewRefusedError as exc:
        name, message = form.REFUSALS.get(exc.code, ("verdict", str(exc)))
        getattr(form, name).errors = [message]
        return 409
    except ValueError as exc:  # the store's own checks, which the form should have made
        form.reason.errors = [str(exc)]
        return 400
    return None
