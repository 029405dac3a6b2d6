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


def _states(sets: list[frozenset[str]], checked: set[str]) -> tuple[str, ...]:
    """What an unknown item (a headline, or the family rule) could turn out to be once the
    sources in `checked` are: each of its unknown results is resolved when all its missing
    sources are checked; one resolved result met makes it met, all resolved and none met
    makes it not met, otherwise it stays unknown."""
    resolved = [s <= checked for s in sets]
    if not any(resolved):
        return ("unknown",)
    return ("met", "not_met" if all(resolved) else "unknown")


def _smallest(candidates: list[str], settles: Callable[[set[str]], bool]) -> list[str]:
    for size in range(len(candidates) + 1):
        for chosen in itertools.combinations(candidates, size):
            if settles(set(chosen)):
                return list(chosen)
    return candidates


def settle_with(
    met: int,
    required: int,
    unknown: Mapping[str, Iterable[frozenset[str]]],
    *,
    family: Iterable[frozenset[str]] | None = None,
) -> tuple[list[str], list[str]]:
    """The smallest sets of unchecked sources that could, and that are sure to, settle the outcome.

    `unknown` maps each headline that is neither met nor ruled out to the
    unchecked sources behind each of its unknown indicators; `family` gives the
    same for the family rule when it is unknown (None: it is met). A set of
    sources *could* settle the outcome if some answer from them decides it
    (eligible: a family with `required` headlines met; not eligible: not a
    family, or too few headlines left), and is *sure* to if every answer does.
    Every combination of answers is tried (at most six headlines and the
    family rule, two answers each). Ties go to the alphabetically first set.
    """
    needs = [[frozenset(s) for s in sets] for sets in unknown.values()]
    family_sets = None if family is None else [frozenset(s) for s in family]
    every = [s for sets in needs for s in sets] + (family_sets or [])
    candidates = sorted(set().union(*every)) if every else []

    def answers(checked: set[str]) -> list[bool]:
        """For every combination of answers, whether it decides the outcome."""
        family_states = ("met",) if family_sets is None else _states(family_sets, checked)
        out = []
        for is_family in family_states:
            for combo in itertools.product(*(_states(sets, checked) for sets in needs)):
                now_met = met + combo.count("met")
                eligible = is_family == "met" and now_met >= required
                ruled_out = is_family == "not_met" or now_met + combo.count("unknown") < required
                out.append(eligible or ruled_out)
        return out

    return _smallest(candidates, lambda c: any(answers(c))), _smallest(
        candidates, lambda c: all(answers(c))
    )


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
