"""Field checks the page forms share: what a person types, read as they meant it, and how a
list page refuses filters it cannot read."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from flask import render_template
from wtforms import Field
from wtforms.validators import ValidationError

from .. import rejections
from ..problems import Problem


def real_date(form: Any, field: Field) -> None:
    """A date written YYYY-MM-DD that exists on the calendar (not 2019-02-30)."""
    if not field.data:
        return
    try:
        if not re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", field.data):
            raise ValueError
        dt.date.fromisoformat(field.data)
    except ValueError:
        raise ValidationError(
            f"{field.label.text} must be a real date, written as YYYY-MM-DD, for example 2019-03-31"
        ) from None


def strip(value: str | None) -> str | None:
    """The text without the spaces around it (a filter: None stays None)."""
    return value.strip() if isinstance(value, str) else value


def refused_filters(template: str, form: Any) -> tuple[str, int]:
    """A list page's filters refused: the form with its errors and no rows, 400, audited as
    the API audits a refused list (`invalid-query`)."""
    problem = Problem(
        400,
        "invalid-query",
        "Invalid query parameters",
        "; ".join(f"{f.name}: {e}" for f in form if f.errors for e in f.errors),
    )
    rejections.record_rejection(problem)
    return render_template(template, form=form, refused=True), 400
