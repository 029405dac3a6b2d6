"""Today's decisions, pinned by hash: the inputs and the digest of each decision, shared by
`tests/test_identical_output.py` and its generator (`python -m tests.identical_output`).

For every fixture family and a few hundred generated ones (fixed seeds), and every ruleset
id in force on the assessment date (and the 2017 national draft) that accepts the facts: the sha256 of the
decision as canonical JSON (sorted keys) and of its plain-English rendering.
"""

from __future__ import annotations

import hashlib
import json
import sys
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from benchmarks.families import generate
from tfp_rules.compile import CompiledRuleset, compile_ruleset
from tfp_rules.errors import FactsError, UnknownRulesetError
from tfp_rules.evaluate import evaluate
from tfp_rules.intake import take_in
from tfp_rules.library import RulesetLibrary
from tfp_rules.trace import render_text

ROOT = Path(__file__).resolve().parent.parent
PINNED = ROOT / "tests" / "data" / "identical_output.json"
# the ids in force by date, and the 2017 national draft named exactly (drafts allowed)
RULESET_IDS = ("national", "stockton", "national@2017.1")
SEEDS = ((2015, 200), (19, 150))  # (seed, families)


def documents() -> Iterator[tuple[str, Any]]:
    """(name, facts document) for every fixture family, then the generated ones."""
    for path in sorted((ROOT / "fixtures" / "families").glob("*.json")):
        yield f"fixture:{path.stem}", path.read_text(encoding="utf-8")
    for seed, n in SEEDS:
        for i, doc in enumerate(generate(n, seed)):
            yield f"generated:{seed}:{i}", doc


def pinned_decisions(
    library: RulesetLibrary, extra: Iterable[tuple[str, Any]] = ()
) -> Iterator[tuple[str, CompiledRuleset, dict[str, Any]]]:
    """(where, compiled ruleset, decision) for every pinned document, then `extra` ones,
    under every ruleset id that accepts it (the ones `digests` pins)."""
    for name, doc in [*documents(), *extra]:
        for ruleset_id in RULESET_IDS:
            try:
                intake = take_in(library, doc, ruleset_id, drafts="@" in ruleset_id)
            except (FactsError, UnknownRulesetError):
                continue
            compiled = compile_ruleset(intake.ruleset)
            yield f"{name} {ruleset_id}", compiled, evaluate(compiled, intake.facts)


def digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def digests(library: RulesetLibrary) -> dict[str, dict[str, Any]]:
    """name -> ruleset id -> {json, text} digests, or the kind of refusal of the facts."""
    out: dict[str, dict[str, Any]] = {}
    for name, doc in documents():
        per: dict[str, Any] = {}
        for ruleset_id in RULESET_IDS:
            try:
                intake = take_in(library, doc, ruleset_id, drafts="@" in ruleset_id)
            except (FactsError, UnknownRulesetError) as exc:
                per[ruleset_id] = {"refused": type(exc).__name__}
                continue
            decision = evaluate(compile_ruleset(intake.ruleset), intake.facts)
            per[ruleset_id] = {
                "ruleset": intake.ruleset.ref,
                "json": digest(json.dumps(decision, sort_keys=True)),
                "text": digest(render_text(decision)),
                "failed_text": digest(render_text(decision, only_failed=True)),
            }
        out[name] = per
    return out


def main() -> int:
    PINNED.write_text(json.dumps(digests(RulesetLibrary.from_directory()), indent=1) + "\n")
    print(f"wrote {PINNED}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
