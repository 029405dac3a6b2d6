"""What a decision did differently from what a test case expected, in a policy officer's
words: one sentence per difference, each with the values the trace found.

"H2.persistent_absence for c2: expected met, got not met (absence rate 9.97% (terms
2018-spring..2018-autumn: 36 of 361 sessions missed); needs at least 10%
(persistent_absence_rate))". Pure: a function of the expectation and the decision JSON.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from ..trace import value_and_threshold
from .cases import HOUSEHOLD, Expectation

_WORDS = {"not_eligible": "not eligible", "not_met": "not met"}
_OPS = {
    "is": "",
    "is_not": "not ",
    "at_least": "at least ",
    "more_than": "more than ",
    "at_most": "at most ",
    "below": "below ",
    "between": "between ",
    "one_of": "one of ",
}
MOST_REASONS = 3  # a condition's reasons shown, before "and N more"


def words(status: str | None) -> str:
    """A status as people say it: 'not_eligible' -> 'not eligible'."""
    return _WORDS.get(status or "", status or "nothing")


def differences(expect: Expectation, decision: Mapping[str, Any]) -> list[str]:
    """Every way `decision` differs from `expect`, one sentence each (empty: it passed)."""
    trace = decision["trace"]
    headlines = {h["id"]: h for h in trace["headlines"]}
    indicators = {i["id"]: i for h in trace["headlines"] for i in h["indicators"]}
    out: list[str] = []
    if decision["status"] != expect.status:
        out.append(
            f"status: expected {words(expect.status)}, got {words(decision['status'])} "
            f"({_counts(decision)})"
        )
    for name, want, got in (
        ("headlines met", expect.headlines_met, decision["headlines_met"]),
        ("headlines unknown", expect.headlines_unknown, decision["headlines_unknown"]),
    ):
        if want is not None and sorted(want) != sorted(got):
            out.append(f"{name}: expected {_ids(want)}, got {_ids(got)}{_moved(want, got)}")
    for hid, want in expect.headlines:
        got = headlines[hid]["status"]
        if got != want:
            met = ", ".join(headlines[hid]["indicators_met"]) or "no indicator"
            out.append(f"{hid}: expected {words(want)}, got {words(got)} ({met} met)")
    if expect.family is not None and trace["family"]["status"] != expect.family:
        family = trace["family"]
        who = ", ".join(family["met_by"]) or "no member"
        out.append(
            f"family rule: expected {words(expect.family)}, got {words(family['status'])} "
            f"({who} meets '{family['name']}')"
        )
    if expect.indicators_met is not None:
        out += _indicators_met(dict(expect.indicators_met), indicators)
    for subject, iid, want in expect.indicators:
        line = _subject_difference(indicators[iid], subject, want)
        if line:
            out.append(line)
    return out


def _counts(decision: Mapping[str, Any]) -> str:
    """Why a status came out as it did: the headlines met and unknown against those needed."""
    met = _ids(decision["headlines_met"])
    text = f"headlines met: {met}; {decision['headlines_required']} needed"
    if decision["headlines_unknown"]:
        text += f"; unknown: {_ids(decision['headlines_unknown'])}"
    family = decision["trace"]["family"]["status"]
    if family != "met":
        text += f"; the household is {'not' if family == 'not_met' else 'perhaps'} a family"
    return text


def _ids(ids: Sequence[str]) -> str:
    return ", ".join(sorted(ids)) if ids else "none"


def _moved(want: Sequence[str], got: Sequence[str]) -> str:
    missing, extra = sorted(set(want) - set(got)), sorted(set(got) - set(want))
    parts = [f"{', '.join(missing)} missing"] if missing else []
    parts += [f"{', '.join(extra)} not expected"] if extra else []
    return f" ({'; '.join(parts)})"


def _indicators_met(
    want: dict[str, tuple[str, ...]], indicators: Mapping[str, Mapping[str, Any]]
) -> list[str]:
    """Exactly the indicators expected met, by exactly the subjects expected: a sentence
    per subject that differs."""
    out = []
    for iid, indicator in indicators.items():
        expected = set(want.get(iid, ()))
        got = set(indicator["met_by"])
        for subject in sorted(expected ^ got):
            line = _subject_difference(
                indicator, subject, "met" if subject in expected else "not_met"
            )
            if line:
                out.append(line)
    return out


def _subject_difference(indicator: Mapping[str, Any], subject: str, want: str) -> str | None:
    """'ID for c1: expected met, got not met (why)', or None if it came out as expected."""
    who = "the household" if subject == HOUSEHOLD else subject
    result = next((r for r in indicator["subjects"] if r["subject"] == subject), None)
    if result is None:
        if want == "not_met" and subject not in indicator["met_by"]:
            return None  # not met by a subject it does not apply to: as expected
        return (
            f"{indicator['id']} for {who}: expected {words(want)}, but it does not apply to "
            f"{who} (it applies to {_applies(indicator['applies_to'])})"
        )
    if result["status"] == want:
        return None
    return (
        f"{indicator['id']} for {who}: expected {words(want)}, got {words(result['status'])} "
        f"({why(result)})"
    )


def _applies(applies_to: str) -> str:
    return {"child": "children", "adult": "adults", "any_member": "any member"}.get(
        applies_to, applies_to
    )


def why(result: Mapping[str, Any]) -> str:
    """Why a subject's result is what it is, from its trace: the comparisons that decided
    it, with the values found, and what an unchecked source could still change."""
    parts = []
    for j in result.get("judgements", []):
        parts.append(f"professional judgement by {j['by']}: {j['reason']}")
    if result.get("condition") is not None:
        reasons = _reasons(result["condition"])
        shown = reasons[:MOST_REASONS]
        if len(reasons) > MOST_REASONS:
            shown.append(f"and {len(reasons) - MOST_REASONS} more")
        parts.append("; ".join(shown))
    if result["status"] == "unknown":
        parts.append(
            f"records from {', '.join(result['missing_sources'])} (not checked) could make it met"
        )
    return "; ".join(parts)


def _reasons(node: Mapping[str, Any]) -> list[str]:
    """The comparisons that make a condition node come out as it did."""
    if "comparator" in node:
        return [comparison(node)]
    if "not" in node:
        return [f"not ({reason})" for reason in _reasons(node["not"])]
    # all: met by every part, failed by each failing one; any: met by each met one, failed
    # by all; either way, the parts that came out as the whole did
    children = node["all"] if "all" in node else node["any"]
    return [reason for c in children if c["met"] == node["met"] for reason in _reasons(c)]


def comparison(node: Mapping[str, Any]) -> str:
    """One comparison and its value: 'absence rate 9.97% (...); needs at least 10%'."""
    shown, against = value_and_threshold(node)
    detail = f" ({node['detail']})" if node.get("detail") else ""
    op = _OPS[node["comparator"]]
    if node["met"]:
        return f"{node['measure']} {shown}{detail}, which is {op}{against}"
    return f"{node['measure']} {shown}{detail}; needs {op}{against}"
