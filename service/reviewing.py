"""What a review body must look like, for decisions (`eligible`) and progress decisions
(`qualifies`): one set of rules, so the two kinds of review cannot drift apart."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, ClassVar, Literal, TypeVar

from flask import Response, request
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from tfp_rules.store import ProgressReview, Review
from tfp_rules.text import check_text

from .inputs import require_json
from .problems import Problem
from .views import created, review_view

B = TypeVar("B", bound=BaseModel)


class ReviewBody(BaseModel):
    """A reviewer's verdict: confirm the outcome in force, or override it, with a reason.
    Subclasses name the outcome an override gives (`OUTCOME`) and declare it as a field."""

    model_config = ConfigDict(extra="forbid", strict=True)
    OUTCOME: ClassVar[str]

    verdict: Literal["confirm", "override"]
    reason: Annotated[str, Field(min_length=1, max_length=4000)]  # as sent, as documented

    @field_validator("reason")
    @classmethod
    def _plain_text(cls, reason: str) -> str:
        if not reason.strip():
            raise ValueError("a reason must say something, not only spaces")
        return check_text(reason, multiline=True)  # no control or bidi characters

    @property
    def value(self) -> bool | None:
        return getattr(self, self.OUTCOME)

    @model_validator(mode="after")
    def _outcome_matches_verdict(self) -> ReviewBody:
        name = self.OUTCOME
        if name in self.model_fields_set and self.value is None:
            raise ValueError(f"{name} is true or false; leave it out for a confirmation")
        if self.verdict == "override" and self.value is None:
            raise ValueError(
                f"an override must give the outcome it puts in force: {name} true or false"
            )
        if self.verdict == "confirm" and self.value is not None:
            raise ValueError(f"a confirmation agrees with the outcome in force; do not send {name}")
        return self


class ReviewIn(ReviewBody):
    """A review of a decision: an override gives `eligible`."""

    OUTCOME: ClassVar[str] = "eligible"
    eligible: bool | None = None


class ProgressReviewIn(ReviewBody):
    """A review of a progress decision: an override gives `qualifies` (for a results claim)."""

    OUTCOME: ClassVar[str] = "qualifies"
    qualifies: bool | None = None


def _pointer(loc: tuple) -> str:
    return "".join(f"/{part}" for part in loc)


def review_body(
    model: type[B], slug: str = "invalid-review", title: str = "The review is not valid"
) -> B:
    """The request's JSON body as `model`: 415 if not JSON, 400 if malformed, 422 `slug`
    (`invalid-review` for a review) listing every problem with its JSON Pointer."""
    require_json()
    try:
        return model.model_validate_json(request.get_data(cache=False))
    except ValidationError as exc:
        errors = [{"pointer": _pointer(e["loc"]), "detail": e["msg"]} for e in exc.errors()]
        if any(e["type"] == "json_invalid" for e in exc.errors()):
            raise Problem(
                400, "malformed-json", "The body is not valid JSON", errors[0]["detail"]
            ) from exc
        raise Problem(422, slug, title, "see errors", errors=errors) from exc


def recorded(
    write: Callable[[], Review | ProgressReview], location: str, ruleset: dict
) -> Response:
    """201 with the review `write` records (its own checks, which the model should have made
    first, are a 422), the URL of what was reviewed and the rules that made it."""
    try:
        review = write()
    except ValueError as exc:
        raise Problem(422, "invalid-review", "The review is not valid", str(exc)) from exc
    return created(review_view(review), location, ruleset)
