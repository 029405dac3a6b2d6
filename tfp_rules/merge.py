"""Merge newly arrived facts into a family's previous facts document.

Partner data arrives piecemeal: a police return today, the school's next
week. `merge_facts` folds an update into the document a previous decision was
made on, so the family can be evaluated again; it never edits the previous
document (a new decision is stored, linked to the old one).

Adding facts never takes information away. In particular a document without
`sources_checked` was decided in the closed world, as if every source had been
checked on its assessment date; an update that names some sources keeps that:
the merged document lists every source as checked on the previous assessment
date, with the update's own checks laid over it. Of two dates for one source,
the later is kept.
"""

from __future__ import annotations

import copy
from typing import Any

from .errors import FactProblem, FactsError
from .facts import SOURCES

UPDATE_KEYS = {
    "family_ref",
    "assessment_date",
    "members",
    "household",
    "judgements",
    "sources_checked",
}
_LISTS = ("events", "benefits")


def _append_new(target: list[Any], items: list[Any]) -> None:
    """Append items not already present (a record sent twice is one record)."""
    for item in items:
        if item not in target:
            target.append(item)


def _merge_school(school: dict[str, Any], update: dict[str, Any]) -> None:
    terms = {t.get("term"): t for t in school.get("terms", [])}
    for term in update.get("terms", []):
        terms[term.get("term")] = term  # a later return for a term replaces the earlier one
    school.update({k: v for k, v in update.items() if k != "terms"})
    school["terms"] = sorted(terms.values(), key=lambda t: str(t.get("term")))


def _merge_member(member: dict[str, Any], update: dict[str, Any]) -> None:
    for key, value in update.items():
        if key in _LISTS:
            _append_new(member.setdefault(key, []), value)
        elif key == "flags":
            member["flags"] = {**member.get("flags", {}), **value}
        elif key == "school" and isinstance(member.get("school"), dict):
            _merge_school(member["school"], value)
        else:
            member[key] = copy.deepcopy(value)


def _check_shape(update: Any) -> None:
    """Enough shape to merge safely; the merged document is then validated in full."""
    problems = []
    if not isinstance(update, dict):
        raise FactsError([FactProblem("", "an update is a JSON object")])
    problems += [
        FactProblem(f"/{k}", f"unknown field {k!r}") for k in update if k not in UPDATE_KEYS
    ]
    members = update.get("members", [])
    if not isinstance(members, list):
        problems.append(FactProblem("/members", "expected a list of members"))
        members = []
    for i, m in enumerate(members):
        if not isinstance(m, dict) or not isinstance(m.get("ref"), str):
            problems.append(FactProblem(f"/members/{i}/ref", "each member needs its ref"))
            continue
        for key in (*_LISTS, "flags", "school"):
            expected = dict if key in ("flags", "school") else list
            if key in m and not isinstance(m[key], expected):
                problems.append(
                    FactProblem(f"/members/{i}/{key}", f"expected a {expected.__name__}")
                )
        school = m.get("school")
        if isinstance(school, dict) and not isinstance(school.get("terms", []), list):
            problems.append(FactProblem(f"/members/{i}/school/terms", "expected a list"))
    for key, expected in (("household", dict), ("judgements", list), ("sources_checked", dict)):
        if key in update and not isinstance(update[key], expected):
            problems.append(FactProblem(f"/{key}", f"expected a {expected.__name__}"))
    household = update.get("household")
    if isinstance(household, dict) and not isinstance(household.get("events", []), list):
        problems.append(FactProblem("/household/events", "expected a list"))
    if problems:
        raise FactsError(problems)


def _checks(previous: dict[str, Any], update: dict[str, Any]) -> dict[str, Any]:
    """The sources checked after an update (see the module docstring)."""
    before = previous.get("sources_checked")
    if before is None:  # the closed world: everything was checked on the assessment date
        before = dict.fromkeys(SOURCES, previous.get("assessment_date"))
    checks = dict(before)
    for source, when in update.items():
        earlier = checks.get(source)
        # ISO dates compare as text; a malformed one is left for validation to name
        if not (isinstance(earlier, str) and isinstance(when, str) and earlier > when):
            checks[source] = when
    return checks


def merge_facts(previous: dict[str, Any], update: dict[str, Any]) -> dict[str, Any]:
    """The previous document with the update folded in; raises FactsError on a bad update.

    Members are matched by `ref`: their events and benefits are appended (exact
    duplicates dropped), flags and school fields overwritten by the update's, term
    records replaced by a later return for the same term; unknown refs are new
    members. Household events and judgements are appended; `sources_checked`
    entries are added, or moved to a later date (a closed-world document counts as
    every source checked on its assessment date); `assessment_date` may move
    forward. The family must stay the same: a different `family_ref` is refused.
    """
    _check_shape(update)
    if "family_ref" in update and update["family_ref"] != previous.get("family_ref"):
        raise FactsError(
            [FactProblem("/family_ref", "facts for another family: family_ref must stay the same")]
        )
    merged = copy.deepcopy(previous)
    by_ref = {m.get("ref"): m for m in merged.get("members", [])}
    for member in update.get("members", []):
        if member["ref"] in by_ref:
            _merge_member(by_ref[member["ref"]], member)
        else:
            merged.setdefault("members", []).append(copy.deepcopy(member))
    if "household" in update:
        _append_new(
            merged.setdefault("household", {}).setdefault("events", []),
            update["household"].get("events", []),
        )
    _append_new(merged.setdefault("judgements", []), update.get("judgements", []))
    if "sources_checked" in update:
        merged["sources_checked"] = _checks(previous, update["sources_checked"])
    if "assessment_date" in update:
        merged["assessment_date"] = update["assessment_date"]
    return merged
