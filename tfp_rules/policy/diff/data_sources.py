"""The data sources a rule reads that came or went, in one sentence."""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from ..words import listing
from .changes import Change


def sources_change(
    subject: str, label: str, a: Iterable[str], b: Iterable[str], section: str = ""
) -> Iterator[Change]:
    """ "{label} now also reads X and no longer reads Y.", if anything changed."""
    a, b = tuple(a), tuple(b)
    more = [s for s in b if s not in a]
    fewer = [s for s in a if s not in b]
    if not more and not fewer:
        return
    parts = []
    if more:
        parts.append(f"now also reads {listing(more, 'and')}")
    if fewer:
        parts.append(f"no longer reads {listing(fewer, 'and')}")
    yield Change(
        "changed",
        "data_sources",
        subject,
        "data_sources",
        list(a),
        list(b),
        f"{label} {' and '.join(parts)}.",
        section,
    )
