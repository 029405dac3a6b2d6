"""What has become of the rules since a stored decision was made: a decision is always
explained with the version that made it, and this says when that version's file has
changed since, or when another published version now in force for the same assessment
date would decide the family differently.

A decision is never changed by this: it stands as made until a new one is asked for.
`trace.render_text` says it in words (a decision view's `rules_since`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from ..compile import compile_ruleset
from ..errors import FactsError, UnknownRulesetError
from ..evaluate import evaluate
from ..facts import as_date
from ..intake import take_in
from ..library import RulesetLibrary


def rules_since(
    decision: Mapping[str, Any],
    facts: Callable[[], Mapping[str, Any]],
    library: RulesetLibrary,
) -> dict[str, Any] | None:
    """None if the version that made `decision` is still the one in force for its assessment
    date, unchanged; otherwise what changed, and what the version in force now would decide
    on the same facts (`facts()`, the document as stored: read only if needed)."""
    made = decision["ruleset"]
    ref = f"{made['id']}@{made['version']}"
    out: dict[str, Any] = {"made_with": ref}
    loaded = library.get(ref)
    if loaded is None:
        out["made_with_loaded"] = False
    elif loaded.sha256 != made["sha256"]:
        out["file_changed"] = {"then": made["sha256"], "now": loaded.sha256}
    try:
        now = library.resolve(made["id"], on=as_date(decision["assessment_date"]))
    except UnknownRulesetError:
        now = None
    if now is not None and now.ref != ref:
        out["in_force"] = {"ref": now.ref, "effective_from": now.effective_from.isoformat()}
        try:
            again = evaluate(compile_ruleset(now), take_in(library, facts(), now.ref).facts)
        except FactsError as exc:
            out["in_force"]["problems"] = [str(p) for p in exc.problems]
        else:
            out["in_force"] |= {
                "status": again["status"],
                "headlines_met": again["headlines_met"],
                "decides_differently": again["status"] != decision["status"]
                or again["headlines_met"] != decision["headlines_met"],
            }
    return out if len(out) > 1 else None
