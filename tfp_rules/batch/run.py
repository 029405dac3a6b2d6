"""A batch run: lines in, decisions out in input order, invalid lines to an errors file.

The input is read lazily and the pool keeps a bounded number of chunks in flight, so memory
stays flat however many families the file holds; the parent writes each result as it
comes back (and, with a store, saves it there, in input order).
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

import orjson

from ..compact import TraceTemplate, template_for
from ..compile import compile_ruleset
from ..library import RulesetLibrary
from ..pool import Pool
from ..store import Store
from .jsonl import Line
from .work import Decided, EvaluateLine, Invalid, Result


@dataclass(frozen=True)
class BatchSummary:
    """What a run did: how many lines it read, decided and found invalid, and how long."""

    families: int
    decided: int
    invalid: int
    seconds: float

    def text(self, errors: str | None) -> str:
        """The one summary line for stderr."""
        rate = self.families / self.seconds if self.seconds > 0 else 0.0
        where = f" (see {errors})" if self.invalid and errors else ""
        return (
            f"{self.families} families: {self.decided} decided, {self.invalid} invalid{where}"
            f" in {self.seconds:.1f} s, {rate:,.0f}/s"
        )


def local_results(
    work: EvaluateLine,
    rulesets_dir: str | Path,
    lines: Iterable[Line],
    *,
    workers: int | None,
    library: RulesetLibrary | None = None,
) -> Iterator[Result]:
    """Every line's result, in input order, from a process pool on this machine."""
    return Pool(work, rulesets_dir, workers=workers, library=library).map(lines)


def run_batch(
    results: Iterable[Result],
    out: BinaryIO | None,
    errors: Callable[[], BinaryIO],
    *,
    store: Store | None = None,
    library: RulesetLibrary | None = None,
    submitted_by: str = "cli",
    progress: Callable[[int], None] = lambda done: None,
) -> BatchSummary:
    """Write every result: decisions to `out` (one a line), invalid lines to the errors
    file (opened by `errors()` at the first one, so a clean run leaves none), and with a
    `store` each decision saved there with the facts it came back with (`keep_facts`);
    with the `library` that made them too, stored with the compact trace, as the service
    stores them (each ruleset version's template made once, here)."""
    templates: dict[str, TraceTemplate] = {}

    def template(decision: dict[str, Any]) -> TraceTemplate | None:
        if library is None:
            return None
        ref = f"{decision['ruleset']['id']}@{decision['ruleset']['version']}"
        if ref not in templates:
            templates[ref] = template_for(compile_ruleset(library.resolve(ref, drafts=True)))
        return templates[ref]

    start = time.perf_counter()
    decided = invalid = 0
    errors_file: BinaryIO | None = None
    try:
        for done, result in enumerate(results, 1):
            if isinstance(result, Decided):
                decided += 1
                if out is not None:
                    out.write(result.decision + b"\n")
                if store is not None:
                    # the standard library: orjson would read an integer beyond 64 bits
                    # as a float, and the facts are stored exactly as given
                    facts = json.loads(result.facts) if result.facts is not None else {}
                    decision = orjson.loads(result.decision)
                    store.save_decision(
                        decision, facts, submitted_by=submitted_by, template=template(decision)
                    )
            else:
                assert isinstance(result, Invalid)
                invalid += 1
                if errors_file is None:
                    errors_file = errors()
                errors_file.write(result.encode() + b"\n")
            progress(done)
    finally:
        if errors_file is not None:
            errors_file.close()
    return BatchSummary(decided + invalid, decided, invalid, time.perf_counter() - start)
