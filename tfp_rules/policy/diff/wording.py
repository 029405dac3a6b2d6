"""The small phrases the diff's sentences share: how a text, a list or a number changed,
and where a threshold comes from."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from ...conditions import Operand
from ..words import amount, listing


def text_change(before: str, after: str) -> str:
    """'changed from "A" to "B"', or 'now adds "X"' when the new text is the old one with
    more after it (the common case: a source that cites one more thing)."""
    if before and after.startswith(before) and after != before:
        return f'now adds "{after[len(before) :].strip()}"'
    return f'changed from "{before}" to "{after}"'


def list_change(a: Iterable[Any], b: Iterable[Any], verb: str) -> str:
    """'now also {verb} X; no longer {verb} Y', or 'reordered'."""
    a, b = list(a), list(b)
    more = [str(v) for v in b if v not in a]
    fewer = [str(v) for v in a if v not in b]
    parts = []
    if more:
        parts.append(f"now also {verb} {listing(more, 'and')}")
    if fewer:
        parts.append(f"no longer {verb} {listing(fewer, 'and')}")
    return "; ".join(parts) or "reordered"


def via(a: Operand, b: Operand, rule: str = "condition") -> str:
    """Where a threshold comes from: the parameter it names, or the `rule` itself."""
    if b.param and b.param == a.param:
        return f" (through parameter {b.param})"
    if b.param and a.param:
        return f" (now through parameter {b.param}, was {a.param})"
    if b.param:
        return f" (now through parameter {b.param}, was written in the {rule})"
    if a.param:
        return f" (now written in the {rule}, was parameter {a.param})"
    return f" (written in the {rule})"


def from_to(a: Any, b: Any, unit: str | None) -> str:
    """'from 3 to 2 exclusions', 'from 10% to 15%': a unit written once, after the second,
    unless it is a sign that goes with each number."""
    if unit in ("percent", "GBP"):
        return f"from {amount(a, unit)} to {amount(b, unit)}"
    return f"from {amount(a, None)} to {amount(b, unit)}"


def direction(a: Any, b: Any, *, window: bool = False) -> str:
    """'raised'/'lowered' ('lengthened'/'shortened' for a window)."""
    try:
        up = b > a
    except TypeError:
        return "changed"
    if window:
        return "lengthened" if up else "shortened"
    return "raised" if up else "lowered"


def lower_first(text: str) -> str:
    """'A child who ...' -> 'a child who ...', but 'NEET ...' stays."""
    if len(text) > 1 and text[0].isupper() and not text[1].isupper():
        return text[0].lower() + text[1:]
    return text


def iso(day: dt.date | None) -> str:
    """A date as ISO text, or "none"."""
    return day.isoformat() if day is not None else "none"
