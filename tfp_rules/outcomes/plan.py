"""A council's outcome plan: for each headline, the measures of significant and sustained
progress (any one shows it), read from a local ruleset and checked like its indicators."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from ..conditions import Condition, ConditionParser
from ..errors import suggest

# Whom a progress measure is tested on. `family` (the default): the family as a whole, the
# household subject, which sees every member's records and its own (and, in an outcome
# plan, every member's school terms). `every_child`, `every_adult`: each such member on the
# check date, and the measure holds when it holds for every one of them.
APPLIES_TO = {"family": "household", "every_child": "child", "every_adult": "adult"}


@dataclass(frozen=True)
class ProgressMeasure:
    """One form of progress on a headline."""

    id: str
    headline: str
    name: str
    source: str
    data_sources: tuple[str, ...]
    when: Condition | None  # None: met only by a worker's documented judgement
    line: int = 0
    field: str = ""
    applies_to: str = "family"  # a key of APPLIES_TO


@dataclass(frozen=True)
class OutcomePlan:
    name: str
    source: str
    sustain_months: int
    sustain_param: str | None
    headlines: dict[str, tuple[ProgressMeasure, ...]]

    @property
    def measures(self) -> Iterator[ProgressMeasure]:
        for measures in self.headlines.values():
            yield from measures


def parse_plan(
    raw: dict[str, Any],
    parser: ConditionParser,
    report: Any,
    locate: Any,
    headlines: Iterable[str],
    indicator_ids: Iterable[str],
) -> OutcomePlan | None:
    """The outcome plan in `raw` (already shaped by the schema), or None after reporting
    every problem: a headline without a measure, one listed twice, ids that clash or sit
    under another headline, conditions that do not check. `parser` must allow progress
    measures; `locate(path)` is a field's (line, dotted name) in the file."""
    at: tuple = ("outcome_plan",)
    required = list(headlines)
    sustain = parser._count(raw.get("sustain_months"), (*at, "sustain_months"))
    taken = {i: "an indicator" for i in indicator_ids}
    plan: dict[str, tuple[ProgressMeasure, ...]] = {}
    ok = sustain is not None
    for h_index, entry in enumerate(raw.get("headlines") or []):
        hid = entry["headline"]
        h_at = (*at, "headlines", h_index)
        if hid in plan:
            report((*h_at, "headline"), f"headline {hid} is in the outcome plan twice")
            ok = False
            continue
        measures = []
        for m_index, spec in enumerate(entry["measures"]):
            m_at = (*h_at, "measures", m_index)
            mid = spec["id"]
            if mid in taken:
                report(
                    (*m_at, "id"), f"'{mid}' is already {taken[mid]}: a measure needs its own id"
                )
                ok = False
                continue
            taken[mid] = "a progress measure"
            if not mid.startswith(hid + "."):
                report(
                    (*m_at, "id"),
                    f"measure '{mid}' is of headline {hid}; its id must start with '{hid}.'",
                )
                ok = False
            when = None
            if ("when" in spec) == ("evidence" in spec):
                report(m_at, "a measure has either a condition (when) or evidence: judgement")
                ok = False
                continue
            if "when" in spec:
                if not spec.get("data_sources"):
                    report(m_at, "a measure with a condition names its data_sources")
                    ok = False
                    continue
                subject = APPLIES_TO[spec.get("applies_to", "family")]
                when = parser.parse(spec["when"], (*m_at, "when"), subject)
                if when is None:
                    ok = False
                    continue
            measures.append(
                ProgressMeasure(
                    mid,
                    hid,
                    spec["name"],
                    spec["source"],
                    tuple(spec.get("data_sources") or ()),
                    when,
                    *locate((*m_at, "when" if when is not None else "evidence")),
                    spec.get("applies_to", "family"),
                )
            )
        plan[hid] = tuple(measures)
    missing = [h for h in required if h not in plan]
    if missing:
        report(
            (*at, "headlines"),
            f"the outcome plan has no measure for {', '.join(missing)}: a family can enter "
            "with any headline, so each needs at least one",
        )
        ok = False
    unknown = [h for h in plan if h not in required]
    for h in unknown:
        report((*at, "headlines"), f"no headline {h} to measure{suggest(h, required)}")
        ok = False
    if not ok or sustain is None:
        return None
    return OutcomePlan(raw["name"], raw["source"], int(sustain.value), sustain.param, plan)
