"""A progress check from documents: an entry decision with the facts it was made on, and the
facts sent later. The later facts are laid over the entry's (the records from before entry
stay known), checked in full, and judged by the outcome plan of the ruleset the entry
decision was made with."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from ..intake import take_in
from ..library import RulesetLibrary
from ..merge import merge_facts
from .progress import NotEligibleAtEntryError, check_progress, compile_plan


def progress_after(
    library: RulesetLibrary,
    entry: Mapping[str, Any],
    entry_facts: dict[str, Any],
    later: str | bytes | Mapping[str, Any],
    *,
    eligible_at_entry: bool | None = None,
) -> dict[str, Any]:
    """The progress decision for the family of `entry` (a decision), given its facts then and
    the facts sent now. `eligible_at_entry` is the outcome in force at entry (a review may
    have changed it); by default the automated one. Raises FactsError (with pointers into the
    merged document), ProgressError or UnknownRulesetError."""
    eligible = entry["status"] == "eligible" if eligible_at_entry is None else eligible_at_entry
    if not eligible:
        raise NotEligibleAtEntryError(
            "the family was not eligible at entry: there is no results claim to check progress for"
        )
    rs = entry["ruleset"]
    ruleset = library.resolve(f"{rs['id']}@{rs['version']}")
    merged = merge_facts(entry_facts, later)
    intake = take_in(library, merged, ruleset.ref)
    decision = check_progress(
        compile_plan(ruleset),
        dt.date.fromisoformat(entry["assessment_date"]),
        entry["headlines_met"],
        intake.facts,
    )
    return decision
