"""Small-cell suppression for the aggregate tables of the research extract.

The privacy notice: "It will be impossible for any person or family to be identified from
any published reports." A count of a few people in a month and an age band can point at a
family, so any count from 1 to `min_cell - 1` is replaced by SUPPRESSED (primary
suppression). Each table has one additive margin: its groups (e.g. the outcomes of one
ruleset) each with a total; a group with exactly one hidden number (a cell or its total)
would give it back by subtraction, so the smallest other non-zero cell of the group is
hidden too, or the total if there is none (secondary suppression). With one margin per
table the groups do not overlap and one pass is enough; a table with two margins would need
a check of every linear combination (as tau-argus does) and is not published.

Zeros are shown: a zero says no one, which points at no one. Suppression applies to the
aggregate tables only; the record-level files are pseudonymised, for the evaluation's
researchers under the data agreement, never for publication.
"""

from __future__ import annotations

from collections.abc import Mapping

# Source: the ONS Secure Research Service output-checking rule of thumb (at least 10 units
# in any cell of a released table); the notice sets no figure, so this is a local choice.
MIN_CELL = 10
# Source: GSS guidance "Symbols in tables, definitions and help": [c] for confidential.
SUPPRESSED = "[c]"
TOTAL = "all"


def _hidden(count: int, min_cell: int) -> bool:
    return 0 < count < min_cell


def suppress_group(cells: Mapping[str, int], min_cell: int = MIN_CELL) -> dict[str, int | str]:
    """One group's cells and its total (key TOTAL, the sum of the cells), suppressed: each
    count from 1 to min_cell - 1 becomes SUPPRESSED, then, if exactly one number of the group
    is hidden, the smallest other non-zero cell (or else the total) is hidden too."""
    if min_cell < 1:
        raise ValueError(f"min_cell must be at least 1, not {min_cell}")
    if TOTAL in cells:
        raise ValueError(f"{TOTAL!r} names the group's total, not a cell")
    counts = {**cells, TOTAL: sum(cells.values())}
    hidden = {k for k, n in counts.items() if _hidden(n, min_cell)}
    if len(hidden) == 1:
        others = sorted((n, k) for k, n in cells.items() if k not in hidden and n > 0)
        hidden.add(others[0][1] if others else TOTAL)
    return {k: (SUPPRESSED if k in hidden else n) for k, n in counts.items()}
