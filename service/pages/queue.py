"""The work queue: the latest decision of each family, filtered, counted and paginated.

The page twin of `GET /v1/decisions`, with the same store filters, visibility and audit row
(`decision.list`, its detail in `list_detail`'s form, marked `page`). It is a GET form, so a
filtered queue is a link a reviewer can keep; a bad filter re-renders the form with a 400
and an error summary, never an error page, and shows no decisions.
"""

from __future__ import annotations

import math
from typing import Any

from flask import current_app, render_template, request, url_for
from flask_wtf import FlaskForm
from wtforms import BooleanField, Field, StringField
from wtforms.validators import Length, ValidationError

from tfp_rules.ruleset import DEFAULT_RULESET_ID
from tfp_rules.store import DecisionRecord
from tfp_rules.summary import human_date, human_when

from ..audit import record
from ..auth import actor, requires
from ..db import get_store
from ..decisions import list_detail
from .blueprint import bp
from .fields import real_date, refused_filters, strip

PER_PAGE = 50
STATUS_WORDS = {
    "eligible": "Eligible",
    "not_eligible": "Not eligible",
    "undetermined": "Undetermined",
}
REVIEW_WORDS = {"unreviewed": "Unreviewed", "confirmed": "Confirmed", "overridden": "Overridden"}
HEADLINES = ("H1", "H2", "H3", "H4", "H5", "H6")
SORTS = {
    "-created": "Newest first",
    "created": "Oldest first",
    "-assessed": "Latest assessment date first",
    "assessed": "Earliest assessment date first",
}
DATE_HINT = "For example, 2019-03-31"
# The filters a choice of which shows its count, and what each is called in an error.
COUNTED = {
    "outcome": "an outcome",
    "status": "an automated result",
    "headline": "a headline",
    "review_status": "a review status",
    "ruleset": "a ruleset version",
}
DATES = ("assessed_from", "assessed_to", "created_from", "created_to")


class Choice(StringField):
    """One of a list of (value, label) choices, shown as a select by the template; its error
    says what to do: choose one of the options listed. (Not wtforms' SelectField: the
    choices change with the counts after validation, and are rendered by our own markup.)"""

    def __init__(self, label: str, what: str, choices: list[tuple[str, str]], **kwargs: Any):
        kwargs.setdefault("default", "")
        super().__init__(label, **kwargs)
        self.what = what
        self.choices = choices

    def pre_validate(self, form: Any) -> None:
        if self.data not in {value for value, _ in self.choices}:
            raise ValidationError(f"Choose {self.what} from the list")


def _after(start: str) -> Any:
    """The field's date is on or after the date of field `start` (when both are real)."""

    def check(form: Any, field: Field) -> None:
        first = form[start]
        if field.data and first.data and not first.errors and field.data < first.data:
            raise ValidationError(
                f"{field.label.text} must be the same as or after {first.label.text.lower()}"
            )

    return check


def _any(words: dict[str, str]) -> list[tuple[str, str]]:
    return [("", "Any"), *words.items()]


class QueueFilters(FlaskForm):
    """The queue's filters, read from the query string (a GET form: no CSRF token)."""

    class Meta:
        csrf = False

    family_ref = StringField(
        "Family reference",
        filters=[strip],
        validators=[Length(max=200, message="Family reference must be 200 characters or fewer")],
    )
    outcome = Choice("Outcome in force", "an outcome", choices=_any(STATUS_WORDS))
    status = Choice("Automated result", "an automated result", choices=_any(STATUS_WORDS))
    headline = Choice("Headline met", "a headline", choices=[("", "Any")])
    review_status = Choice("Review status", "a review status", choices=_any(REVIEW_WORDS))
    ruleset = Choice("Ruleset version", "a ruleset version", choices=[("", "Any")])
    assessed_from = StringField(
        "Assessed from", description=DATE_HINT, filters=[strip], validators=[real_date]
    )
    assessed_to = StringField(
        "Assessed to",
        description=DATE_HINT,
        filters=[strip],
        validators=[real_date, _after("assessed_from")],
    )
    created_from = StringField(
        "Created from", description=DATE_HINT, filters=[strip], validators=[real_date]
    )
    created_to = StringField(
        "Created to",
        description=DATE_HINT,
        filters=[strip],
        validators=[real_date, _after("created_from")],
    )
    all = BooleanField("Include earlier decisions", false_values=("", "0", "false", "off"))
    sort = Choice(
        "Sort by",
        "an order",
        choices=list(SORTS.items()),
        default="-created",
        filters=[lambda v: v or "-created"],  # sort= left empty: the usual order
    )

    def offer(self, headlines: dict[str, str], rulesets: list[str]) -> None:
        """The choices that depend on the rules: headlines with their names, and the ruleset
        versions stored decisions were made with."""
        self.headline.choices = [
            ("", "Any"),
            *((h, f"{h}: {headlines[h]}" if h in headlines else h) for h in HEADLINES),
        ]
        self.ruleset.choices = [("", "Any"), *((ref, ref) for ref in rulesets)]

    def count(self, counts: dict[str, dict[str, int]]) -> None:
        """Add to each choice how many decisions it would leave: "Eligible (12)"."""
        for name in COUNTED:
            field = self[name]
            field.choices = [
                (value, f"{label} ({counts[name].get(value, 0)})" if value else label)
                for value, label in field.choices
            ]

    def filters(self) -> dict[str, Any]:
        """The store's filters (`Store.decision_page`) these choices stand for."""
        given = {
            name: self[name].data for name in ("family_ref", *COUNTED, *DATES) if self[name].data
        }
        return given | ({} if self.all.data else {"latest": True})


def headline_names() -> dict[str, str]:
    """Each headline's name, as the newest national ruleset calls it (a local ruleset's
    name only for a headline no national version has)."""
    names: dict[str, str] = {}
    library = list(current_app.extensions["tfp.library"].current())
    for rs in [r for r in library if r.id == DEFAULT_RULESET_ID]:
        names.update((h.id, h.name) for h in rs.headlines)
    for rs in library:
        for h in rs.headlines:
            names.setdefault(h.id, h.name)
    return names


def decision_link(decision_id: str) -> str:
    """The decision's page (its own view, once that page exists)."""
    if "pages.decision" in current_app.view_functions:
        return url_for("pages.decision", decision_id=decision_id)
    return f"/decisions/{decision_id}"


def page_numbers(current: int, last: int) -> list[int | None]:
    """The page links to show: the first, the last, and those next to the current one, with
    None for a gap (an ellipsis)."""
    wanted = sorted({1, last, current - 1, current, current + 1} & set(range(1, last + 1)))
    shown: list[int | None] = []
    for n in wanted:
        if shown and n - (shown[-1] or 0) > 1:
            shown.append(None)
        shown.append(n)
    return shown


def _page_number(last: int) -> int:
    """The page asked for (`?page=`), within 1 to `last`: a page is a place in the list,
    not a filter, so a bad one shows the nearest page rather than an error."""
    raw = request.args.get("page", "")
    number = int(raw) if raw.isascii() and raw.isdigit() and len(raw) < 9 else 1
    return min(max(number, 1), last)


def _kept(form: QueueFilters) -> dict[str, str]:
    """The query string of these filters, for links to other pages of the same list."""
    kept = {name: form[name].data or "" for name in ("family_ref", *COUNTED, *DATES)}
    if form.all.data:
        kept["all"] = "1"
    if form.sort.data != "-created":
        kept["sort"] = form.sort.data
    return {name: value for name, value in kept.items() if value}


@bp.get("/decisions")
@requires("reviewer")
def queue() -> Any:
    """The decisions reviewers work through, the latest of each family unless asked."""
    store = get_store()
    form = QueueFilters(formdata=request.args)
    form.offer(headline_names(), store.ruleset_refs())
    if not form.validate():
        return refused_filters("queue.html", form)
    filters = form.filters()
    # a restricted family's decisions are for admins only (Art. 18): not even listed
    hidden = {"unrestricted": actor().role != "admin"}
    try:
        total, counts = store.decision_counts(**filters, **hidden)
        last = max(1, math.ceil(total / PER_PAGE))
        number = _page_number(last)
        rows: list[DecisionRecord] = store.decision_page(
            **filters, **hidden, sort=form.sort.data, offset=(number - 1) * PER_PAGE, limit=PER_PAGE
        )
    except ValueError as exc:  # the form checks every filter first; this is a safety net
        named = next((f for f in form if str(exc).startswith(f.name)), form.family_ref)
        named.errors = [*named.errors, str(exc)]
        return refused_filters("queue.html", form)
    # who saw which decisions: the filters' names, never their values, and the ids shown
    record("decision.list", 200, detail="page " + list_detail(list(filters), [d.id for d in rows]))
    form.count(counts)
    kept = _kept(form)
    first = (number - 1) * PER_PAGE + 1
    return render_template(
        "queue.html",
        form=form,
        refused=False,
        rows=rows,
        total=total,
        shown=(first, first + len(rows) - 1) if rows else None,
        number=number,
        last=last,
        pages=page_numbers(number, last),
        page_url=lambda n: url_for("pages.queue", **kept, page=n),
        decision_link=decision_link,
        long_date=human_date,
        moment=human_when,
        status_words=STATUS_WORDS,
        review_words=REVIEW_WORDS,
    )
