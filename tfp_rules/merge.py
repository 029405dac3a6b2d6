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
import json
from collections.abc import Mapping
from typing import Any

from .errors import OtherFamilyError
from .facts import SOURCES, parse_update

_LISTS = ("events", "benefits", "employment")  # records: appended, or an open one closed


def _key(item: Any) -> str:
    """A record's identity for "sent twice": its canonical JSON."""
    return json.dumps(item, sort_keys=True, separators=(",", ":"))


# The field that ends an episode: a record sent again with it set closes the open one.
_ENDS = {"events": "ended", "benefits": "to", "employment": "to"}


def _episode(item: Any, end: str | None) -> tuple[str, bool] | None:
    """An episode's identity apart from its end, and whether it is open (None for a list
    whose records do not end, or an item that is not a record)."""
    if not end or not isinstance(item, dict):
        return None
    return _key({k: v for k, v in item.items() if k != end}), item.get(end) is None


def _append_new(target: list[Any], items: list[Any], end: str | None = None) -> None:
    """Append items not already present (a record sent twice is one record), in linear time.

    An item that is an open record of `target` sent again with its end set (a claim that
    has stopped, a job left) replaces that record: it is the same episode, now ended. The
    open form of an episode already known to have ended (an older extract sent again) adds
    nothing."""
    seen = {_key(item) for item in target}
    open_at: dict[str, int] = {}
    ended: set[str] = set()
    for i, item in enumerate(target):
        if (episode := _episode(item, end)) is not None:
            identity, is_open = episode
            if is_open:
                open_at[identity] = i
            else:
                ended.add(identity)
    for item in items:
        key = _key(item)
        episode = _episode(item, end)
        if key in seen or (episode is not None and episode[1] and episode[0] in ended):
            continue  # sent before, or an older, open account of an episode known to be over
        seen.add(key)
        if episode is not None and not episode[1] and episode[0] in open_at:
            target[open_at.pop(episode[0])] = copy.deepcopy(item)
        else:
            target.append(copy.deepcopy(item))


def _merge_school(school: dict[str, Any], update: dict[str, Any]) -> None:
    terms = {t.get("term"): t for t in school.get("terms", [])}
    for term in update.get("terms", []):
        terms[term.get("term")] = term  # a later return for a term replaces the earlier one
    school.update({k: copy.deepcopy(v) for k, v in update.items() if k != "terms"})
    school["terms"] = sorted(terms.values(), key=lambda t: str(t.get("term")))


def _merge_member(member: dict[str, Any], update: dict[str, Any]) -> None:
    for key, value in update.items():
        if key in _LISTS:
            _append_new(member.setdefault(key, []), value, _ENDS[key])
        elif key == "flags":
            member["flags"] = {**member.get("flags", {}), **value}
        elif key == "school" and isinstance(member.get("school"), dict) and value is not None:
            _merge_school(member["school"], value)
        else:
            member[key] = copy.deepcopy(value)


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


def merge_facts(
    previous: dict[str, Any], update: str | bytes | bytearray | Mapping[str, Any]
) -> dict[str, Any]:
    """The previous document with the update folded in; raises FactsError on a bad update and
    OtherFamilyError on facts for another family.

    Members are matched by `ref`: their events, benefits and employment spells are
    appended (exact duplicates dropped; an open one sent again with its end closes it),
    flags and school fields overwritten by the update's, term
    records replaced by a later return for the same term; unknown refs are new
    members. Household events and judgements are appended; `sources_checked`
    entries are added, or moved to a later date (a closed-world document counts as
    every source checked on its assessment date); `assessment_date` may move
    forward. The family must stay the same: a different `family_ref` is refused.
    """
    update = parse_update(update)  # every problem of shape, with pointers into the update
    if "family_ref" in update and update["family_ref"] != previous.get("family_ref"):
        raise OtherFamilyError(
            "these facts are for another family: an update's family_ref, if given, is the"
            " family_ref of the decision it adds to"
        )
    merged = copy.deepcopy(previous)
    by_ref = {m.get("ref"): m for m in merged.get("members", [])}
    for member in update.get("members", []):
        if member["ref"] in by_ref:
            _merge_member(by_ref[member["ref"]], member)
        else:
            added = copy.deepcopy(member)
            merged.setdefault("members", []).append(added)
            by_ref[member["ref"]] = added  # a ref given twice in one update is one member
    if "household" in update:
        _append_new(
            merged.setdefault("household", {}).setdefault("events", []),
            update["household"].get("events", []),
            "ended",
        )
    _append_new(merged.setdefault("judgements", []), update.get("judgements", []))
    if "sources_checked" in update:
        merged["sources_checked"] = _checks(previous, update["sources_checked"])
    if "assessment_date" in update:
        merged["assessment_date"] = update["assessment_date"]
    return merged
