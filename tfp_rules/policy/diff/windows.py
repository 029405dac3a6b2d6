"""A measure's windows (how far back or ahead it looks), and how one changed between two
comparisons of the same shape."""

from __future__ import annotations

from collections.abc import Iterator

from ...conditions import Compare
from ..words import amount
from .changes import Change
from .site import ConditionSite
from .wording import direction, from_to, via

# a measure's windows: (attribute, unit, what it is called in a sentence)
WINDOWS = (
    ("within_months", "months", "window"),
    ("due_within_months", "months", "release window"),
    ("last_terms", "terms", "number of terms"),
    ("before_entry_months", "months", "window before entry"),
    ("after_entry_months", "months", "window after entry"),
    ("months", "months", "period compared"),
)


def window_changes(site: ConditionSite, x: Compare, y: Compare, on: str) -> Iterator[Change]:
    """Each window of `x` that `y` lengthened, shortened or now takes from elsewhere."""
    for attr, window_unit, called in WINDOWS:
        p, q = getattr(x.measure, attr), getattr(y.measure, attr)
        if p is None or q is None or p == q:
            continue
        if p.value != q.value:
            text = (
                f"{site.label}: {called}{on} {direction(p.value, q.value, window=True)} "
                f"{from_to(p.value, q.value, window_unit)}{via(p, q)}."
            )
        else:
            text = f"{site.label}: {called}{on} still {amount(q.value, window_unit)}{via(p, q)}."
        yield site.changed(attr, p.value, q.value, text)
