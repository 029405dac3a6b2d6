"""The pool work of a batch: one JSON line parsed, checked and decided with its full trace.

A worker compiles each ruleset version once, the first time a line needs it (the version
in force differs with the assessment date), and sends back the decision already encoded
as one compact JSON line, so the parent only writes bytes.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import orjson

from ..compile import compile_ruleset
from ..errors import FactsError, TfpError, UnknownRulesetError
from ..evaluate import evaluate
from ..intake import take_in
from ..library import RulesetLibrary
from .jsonl import Line


@dataclass(frozen=True)
class Decided:
    """A line decided: its number and the decision as one JSON line (no newline)."""

    line: int
    decision: bytes
    facts: bytes | None = None  # the line as read, when the run stores decisions


@dataclass(frozen=True)
class Invalid:
    """A line not decided: its number, the family_ref if it could be read, and why."""

    line: int
    family_ref: str | None
    problems: tuple[str, ...]

    def encode(self) -> bytes:
        """The errors-file line: `{"line": N, "family_ref": ..., "problems": [...]}`."""
        record: dict[str, Any] = {"line": self.line}
        if self.family_ref is not None:
            record["family_ref"] = self.family_ref
        record["problems"] = list(self.problems)
        return orjson.dumps(record)


Result = Decided | Invalid


def _family_ref(raw: bytes) -> str | None:
    try:
        doc = orjson.loads(raw)
    except orjson.JSONDecodeError:
        return None
    ref = doc.get("family_ref") if isinstance(doc, dict) else None
    return ref if isinstance(ref, str) else None


@dataclass(frozen=True)
class EvaluateLine:
    """Pool work: decide each (line number, bytes) under `ruleset` (`ID[@VERSION]`, or
    None for the default), the version in force on its assessment date, as `tfp eval`."""

    ruleset: str | None = None
    drafts: bool = False
    keep_facts: bool = False  # send the line back too (a store saves the facts as given)

    def prepare(self, library: RulesetLibrary) -> Callable[[Line], Result]:
        compiled: dict[str, Any] = {}  # ruleset ref -> compiled, once per worker

        def decide(item: Line) -> Result:
            number, raw = item
            try:
                intake = take_in(library, raw, self.ruleset, drafts=self.drafts)
            except FactsError as exc:
                return Invalid(number, _family_ref(raw), tuple(str(p) for p in exc.problems))
            except UnknownRulesetError as exc:
                problem = f"{exc}; available: {', '.join(exc.available) or 'none'}"
                return Invalid(number, _family_ref(raw), (problem,))
            except TfpError as exc:
                return Invalid(number, _family_ref(raw), (str(exc),))
            ref = intake.ruleset.ref
            if ref not in compiled:
                compiled[ref] = compile_ruleset(intake.ruleset)
            decision = evaluate(compiled[ref], intake.facts)
            return Decided(number, orjson.dumps(decision), raw if self.keep_facts else None)

        return decide
