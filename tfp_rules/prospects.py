"""What could change an outcome: the fewest missing sources that would settle an undetermined
decision, and the indicators that came nearest to their thresholds.

Both read only the trace data, after the rules have run; neither decides anything.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from .trace import miss_text

NEAREST = 5  # nearest misses listed per decision


def _resolution(checked: set[str], needs: Mapping[str, list[frozenset[str]]]) -> tuple[int, int]:
    """(headlines that checking `checked` could make met, headlines it fully resolves)."""
    could_meet = sum(1 for sets in needs.values() if any(s <= checked for s in sets))
    resolved = sum(1 for sets in needs.values() if all(s <= checked for s in sets))
    return could_meet, resolved


def _smallest(candidates: list[str], settles: Callable[[set[str]], bool]) -> list[str]:
    for size in range(len(candidates) + 1):
        for chosen in itertools.combinations(candidates, size):
            if settles(set(chosen)):
                return list(chosen)
    return candidates


def settle_with(
    met: int, required: int, unknown: Mapping[str, Iterable[frozenset[str]]]
) -> tuple[list[str], list[str]]:
    """The smallest sets of unchecked sources that could, and that are sure to, settle the outcome.

    `unknown` maps each headline that is neither met nor ruled out to the
    unchecked sources behind each of its unknown indicators. Checking a set of
    sources resolves an indicator when all its unchecked sources are in the
    set. The outcome *could* settle if some answer from those sources decides
    it (a resolved indicator met takes the family to `required`, or every
    resolved one not met leaves too few); it is *sure* to settle if every
    answer decides it. Ties go to the alphabetically first set.
    """
    needs = {h: [frozenset(s) for s in sets] for h, sets in unknown.items()}
    candidates = sorted(
        set().union(*(s for sets in needs.values() for s in sets)) if needs else set()
    )

    def could(checked: set[str]) -> bool:
        could_meet, resolved = _resolution(checked, needs)
        return met + could_meet >= required or met + len(needs) - resolved < required

    def sure(checked: set[str]) -> bool:
        _, resolved = _resolution(checked, needs)
        still_unknown = len(needs) - resolved
        return all(
            met + x >= required or met + x + still_unknown < required for x in range(resolved + 1)
        )

    return _smallest(candidates, could), _smallest(candidates, sure)


def _gap(node: Mapping[str, Any]) -> tuple[float, Mapping[str, Any] | None]:
    """How far a failed condition is from holding (0 = on the threshold), and the comparison
    that is furthest; infinite when there is no number to be near (a flag, no record)."""
    if node["met"]:
        return 0.0, None
    if "all" in node:
        failing = [_gap(c) for c in node["all"] if not c["met"]]
        return max(failing, key=lambda g: g[0])
    if "any" in node:
        return min((_gap(c) for c in node["any"]), key=lambda g: g[0])
    if "not" in node:
        return math.inf, None
    value, threshold, op = node["value"], node["threshold"], node["comparator"]
    if (
        op not in ("at_least", "more_than", "at_most", "below")
        or isinstance(value, bool)
        or value is None
    ):
        return math.inf, None
    distance = abs(threshold - value)
    return distance / abs(threshold) if threshold else distance, node


def nearest_misses(
    headlines: Iterable[Mapping[str, Any]], limit: int = NEAREST
) -> list[dict[str, Any]]:
    """Indicators not met under headlines not met, closest to their thresholds first."""
    found = []
    for headline in headlines:
        if headline["status"] == "met":
            continue
        for ind in headline["indicators"]:
            for s in ind["subjects"]:
                if s["status"] == "met" or "condition" not in s:
                    continue
                gap, leaf = _gap(s["condition"])
                if leaf is None or not gap < 1:  # at 0 against 1, say, nothing was near
                    continue
                found.append(
                    {
                        "headline": headline["id"],
                        "indicator": ind["id"],
                        "subject": s["subject"],
                        "gap": round(gap, 4),
                        "value": leaf["value"],
                        "threshold": leaf["threshold"],
                        "text": f"{ind['id']} for {s['subject']}: {miss_text(leaf)}",
                    }
                )
    found.sort(key=lambda m: (m["gap"], m["indicator"], m["subject"]))
    return found[:limit]
