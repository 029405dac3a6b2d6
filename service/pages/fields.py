"""Field checks the page forms share: what a person types, read as they meant it."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from wtforms import Field
from wtforms.validators import ValidationError


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
