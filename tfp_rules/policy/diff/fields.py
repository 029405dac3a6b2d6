"""A rule's free-text fields (name, source, description) that changed, one sentence each:
"{label}: source now adds "..."."."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from .changes import Change
from .wording import text_change


def text_field_changes(
    what: str, subject: str, label: str, a: Any, b: Any, attrs: Iterable[str]
) -> Iterator[Change]:
    """Each of `attrs` whose text differs between `a` and `b`."""
    for attr in attrs:
        before, after = getattr(a, attr), getattr(b, attr)
        if before != after:
            yield Change(
                "changed",
                what,
                subject,
                attr,
                before,
                after,
                f"{label}: {attr} {text_change(before, after)}.",
            )
