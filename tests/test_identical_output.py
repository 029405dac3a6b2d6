"""Guard: every decision (its JSON and its text renderings) is byte for byte what it was
when `tests/data/identical_output.json` was written (see `tests/identical_output.py`).

Speed work on the engine path must not change a single output; a deliberate change of
the decision format regenerates the file with `python -m tests.identical_output`.
"""

from __future__ import annotations

import json

from tests.identical_output import PINNED, digests
from tfp_rules.library import RulesetLibrary


def test_every_decision_is_unchanged() -> None:
    pinned = json.loads(PINNED.read_text(encoding="utf-8"))
    now = digests(RulesetLibrary.from_directory())
    assert now.keys() == pinned.keys()
    changed = [
        f"{name} {ruleset_id}"
        for name, per in pinned.items()
        for ruleset_id, want in per.items()
        if now[name].get(ruleset_id) != want
    ]
    assert not changed, f"{len(changed)} decisions changed, e.g. {changed[:5]}"
    evaluated = sum("json" in want for per in pinned.values() for want in per.values())
    assert evaluated > 500  # the guard covers real decisions, not only refusals
