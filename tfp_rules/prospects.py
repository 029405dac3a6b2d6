"""What could change an outcome: the fewest missing sources that would settle an undetermined
decision, and the indicators that came nearest to their thresholds.

Both read only the trace data, after the rules have run; neither decides anything.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterable, Mapping
from typing import Any

from .trace import comparison_text

NEAREST = 5  # nearest misses listed per decision


def settle_with(
    met: int, required: int, unknown: Mapping[str, Iterable[frozenset[str]]]
) -> list[str]:
    """The smallest set of unchecked sources whose checking is sure to settle the outcome.

    `unknown` maps each headline that is neither met nor ruled out to the
    unchecked sources behind each of its unknown indicators. Once the sources in
    a set are checked, an indicator is resolved when all its unchecked sources
    are in the set; the outcome is settled when, whichever resolved headlines
    turn out met, the family either reaches `required` or can no longer reach it.
    Ties go to the alphabetically first set.
    """
    needs = {h: [frozenset(s) for s in sets] for h, sets in unknown.items()}
    candidates = sorted(
        set().union(*(s for sets in needs.values() for s in sets)) if needs else set()
    )
    for size in range(len(candidates) + 1):
        for chosen in itertools.combinations(candidates, size):
            checked = set(chosen)
            resolved = [h for h, sets in needs.items() if all(s <= checked for s in sets)]
            still_unknown = len(needs) - len(resolved)
            if all(
                met + x >= required or met + x + still_unknown < required
                for x in range(len(resolved) + 1)
            ):
                return list(chosen)
    return candidates  # unreachable: checking every source leaves nothing unknown


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
                if leaf is None or not math.isfinite(gap):
                    continue
                found.append(
                    {
                        "headline": headline["id"],
                        "indicator": ind["id"],
                        "subject": s["subject"],
                        "gap": round(gap, 4),
                        "value": leaf["value"],
                        "threshold": leaf["threshold"],
                        "text": f"{ind['id']} ({ind['name']}) for {s['subject']}: {comparison_text(leaf)}",
                    }
                )
    found.sort(key=lambda m: (m["gap"], m["indicator"], m["subject"]))
    return found[:limit]
