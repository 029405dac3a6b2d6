"""Test coverage of a ruleset: which outcomes of each indicator, and which way each part of
each condition, the cases exercised (`opa test --coverage` for policy officers).

For every indicator and the family rule: whether some case saw it met, not met and
unknown. For every node of every `when` (each comparison, and each all/any/not), located
by its field path and line in the file that writes it: whether some subject of some case
found it true, and some found it false. Nodes are matched by walking the parsed condition
(`Indicator.when`) alongside each subject's condition tree in the trace, which has the
same shape. `locate` reads the ruleset files for the lines; the rest is pure.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..conditions import COMPARATOR_PHRASES, All, Any_, Compare, Condition, Not
from ..errors import RulesetError
from ..ruleset import FieldPath, Ruleset, dotted, read_yaml
from ..trace import describe_measure

FAMILY = "family"  # the family rule, reported beside the indicators
OUTCOMES = ("met", "not_met", "unknown")
_OUTCOME_WORDS = {"met": "met", "not_met": "not met", "unknown": "unknown"}


@dataclass(frozen=True)
class Location:
    """Where a condition node is written: file, field path in that file, and line."""

    file: str
    path: FieldPath
    line: int = 0

    def __str__(self) -> str:
        return f"{self.file}:{self.line}" if self.line else self.file


Locations = Mapping[tuple[str, FieldPath], Location]  # (rule, path in the ruleset) -> where


@dataclass
class Branch:
    """One node of a rule's condition, and which ways cases have taken it."""

    rule: str  # indicator id, or "family"
    path: FieldPath  # in the (merged) ruleset
    where: Location
    text: str
    seen: set[bool] = field(default_factory=set)

    @property
    def field(self) -> str:
        return dotted(self.where.path)

    def gaps(self) -> list[str]:
        if not self.seen:
            return [f"{self.rule}: {self.text} ({self.where}) was never evaluated"]
        return [
            f"{self.rule}: {self.text} ({self.where}) was never {'true' if way else 'false'}"
            for way in (True, False)
            if way not in self.seen
        ]


def _roots(ruleset: Ruleset) -> Iterator[tuple[str, FieldPath, Condition]]:
    """(rule, path of its `when` in the ruleset, condition) for each indicator and the family."""
    for h, headline in enumerate(ruleset.headlines):
        for i, indicator in enumerate(headline.indicators):
            yield indicator.id, ("headlines", h, "indicators", i, "when"), indicator.when
    if ruleset.family is not None:
        yield FAMILY, ("family", "when"), ruleset.family.when


def _nodes(condition: Condition, path: FieldPath) -> Iterator[tuple[FieldPath, Condition]]:
    yield path, condition
    if isinstance(condition, Not):
        yield from _nodes(condition.item, (*path, "not"))
    elif isinstance(condition, All | Any_):
        key = "all" if isinstance(condition, All) else "any"
        for k, item in enumerate(condition.items):
            yield from _nodes(item, (*path, key, k))


def describe(condition: Condition) -> str:
    """A condition node in a few words: 'number of custody records at least 1'."""
    if isinstance(condition, Compare):
        operands = [o.describe() for o in condition.operands]
        joined = " and ".join(operands) if condition.op == "between" else ", ".join(operands)
        return f"{describe_measure(condition.measure)} {COMPARATOR_PHRASES[condition.op]} {joined}"
    if isinstance(condition, Not):
        return f"not ({describe(condition.item)})"
    key = "all" if isinstance(condition, All) else "any"
    return f"{key} of its {len(condition.items)} conditions"


def locate(ruleset: Ruleset) -> dict[tuple[str, FieldPath], Location]:
    """Where each condition node of a ruleset is written: a national rule (in a local
    ruleset too) in the national file, a local indicator in the local file. Reads them."""
    lines: dict[str, Any] = {}
    local_index: dict[str, int] = {}

    def line_map(file: str) -> Any:
        if file not in lines:
            try:
                data, lines[file], _ = read_yaml(Path(file).read_bytes(), file)
            except (OSError, RulesetError):
                lines[file], data = None, {}
            for j, ind in enumerate((data.get("indicators") or []) if data.get("extends") else []):
                if isinstance(ind, dict):
                    local_index[str(ind.get("id"))] = j
        return lines[file]

    out = {}
    base = ruleset.extends
    for rule, root, condition in _roots(ruleset):
        file, prefix = ruleset.path, root
        if base is not None:
            line_map(ruleset.path)
            if rule in local_index:
                prefix = ("indicators", local_index[rule], "when")
            else:
                file = base.path
        found = line_map(file)
        for path, _ in _nodes(condition, root):
            in_file = (*prefix, *path[len(root) :])
            line = found.line(in_file) if found is not None else 0
            out[(rule, path)] = Location(file, in_file, line)
    return out


class Coverage:
    """What the cases run over one ruleset exercised; `observe` each decision."""

    def __init__(self, ruleset: Ruleset, locations: Locations | None = None):
        self.ruleset = ruleset
        self.rules = [rule for rule, _, _ in _roots(ruleset)]
        self.outcomes: dict[str, set[str]] = {rule: set() for rule in self.rules}
        self.fired: set[str] = set()  # rules whose condition some subject met
        self.branches: dict[tuple[str, FieldPath], Branch] = {}
        self._conditions: dict[str, tuple[FieldPath, Condition]] = {}
        for rule, root, condition in _roots(ruleset):
            self._conditions[rule] = (root, condition)
            for path, node in _nodes(condition, root):
                where = (locations or {}).get((rule, path), Location(ruleset.path, path))
                self.branches[(rule, path)] = Branch(rule, path, where, describe(node))
        self.cases = 0

    def observe(self, decision: Mapping[str, Any]) -> None:
        """Count one decision's trace: each indicator's status, each subject's condition."""
        self.cases += 1
        trace = decision["trace"]
        traced = [i for h in trace["headlines"] for i in h["indicators"]]
        if "family" in trace:
            traced.append({**trace["family"], "id": FAMILY})
        for indicator in traced:
            rule = indicator["id"]
            if rule not in self.outcomes:
                continue  # a decision of another ruleset: nothing of this one
            self.outcomes[rule].add(indicator["status"])
            root, condition = self._conditions[rule]
            for subject in indicator["subjects"]:
                node = subject.get("condition")
                if node is None:
                    continue  # named by a judgement only: the condition was not tested
                if node["met"]:
                    self.fired.add(rule)
                self._walk(rule, condition, root, node)

    def _walk(
        self, rule: str, condition: Condition, path: FieldPath, node: Mapping[str, Any]
    ) -> None:
        self.branches[(rule, path)].seen.add(bool(node["met"]))
        if isinstance(condition, Not):
            self._walk(rule, condition.item, (*path, "not"), node["not"])
        elif isinstance(condition, All | Any_):
            key = "all" if isinstance(condition, All) else "any"
            for k, (item, child) in enumerate(zip(condition.items, node[key], strict=True)):
                self._walk(rule, item, (*path, key, k), child)

    # ---------------------------------------------------------------- what it found

    def untested_indicators(self) -> list[str]:
        """Indicators no case exercised: no subject of any case met the condition. (Every
        family unrelated to an indicator leaves it not met, so that alone tests nothing.)"""
        return [rule for rule in self.rules if rule != FAMILY and rule not in self.fired]

    def outcome_gaps(self) -> list[str]:
        """'H5.child_witness: never met, never unknown' for each rule short of an outcome."""
        out = []
        for rule in self.rules:
            missing = [_OUTCOME_WORDS[o] for o in OUTCOMES if o not in self.outcomes[rule]]
            if missing:
                out.append(f"{rule}: never {', never '.join(missing)}")
        return out

    def branch_gaps(self) -> list[str]:
        """Each condition node not taken both ways, in words with its file and line."""
        return [gap for branch in self.branches.values() for gap in branch.gaps()]

    @property
    def outcomes_seen(self) -> int:
        return sum(len(seen) for seen in self.outcomes.values())

    @property
    def outcomes_total(self) -> int:
        return len(OUTCOMES) * len(self.rules)

    @property
    def branches_seen(self) -> int:
        return sum(len(b.seen) for b in self.branches.values())

    @property
    def branches_total(self) -> int:
        return 2 * len(self.branches)

    @property
    def percent(self) -> float:
        """Condition branches taken, as a percentage (what --fail-under compares)."""
        return 100.0 * self.branches_seen / self.branches_total if self.branches_total else 100.0

    def summary(self) -> str:
        outcomes = _pct(self.outcomes_seen, self.outcomes_total)
        return (
            f"{self.outcomes_seen} of {self.outcomes_total} indicator outcomes ({outcomes}), "
            f"{self.branches_seen} of {self.branches_total} condition branches "
            f"({_pct(self.branches_seen, self.branches_total)}); "
            f"{len(self.rules) - 1 - len(self.untested_indicators())} of {len(self.rules) - 1} "
            "indicators met by some case"
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "outcomes": {"seen": self.outcomes_seen, "total": self.outcomes_total},
            "branches": {"seen": self.branches_seen, "total": self.branches_total},
            "percent": round(self.percent, 1),
            "untested_indicators": self.untested_indicators(),
            "outcome_gaps": self.outcome_gaps(),
            "branch_gaps": [
                {
                    "rule": b.rule,
                    "file": b.where.file,
                    "line": b.where.line,
                    "field": b.field,
                    "text": b.text,
                    "never": [w for w in ("true", "false") if (w == "true") not in b.seen],
                }
                for b in self.branches.values()
                if len(b.seen) < 2
            ],
        }


def _pct(part: int, whole: int) -> str:
    return f"{100.0 * part / whole:.1f}%" if whole else "100%"
