"""Who a new ruleset version moves: each family's outcome under two versions, and the report
of what changed across them, in a policy officer's words.

`CompareVersions` is the per-family work (for `tfp_rules.pool`): the family's facts taken in
and evaluated under both versions, each on the family's own assessment date whatever the
versions' effective dates, drafts included (that is the point: impact before publishing);
what comes back is a compact `Outcome` per version (status, headline and indicator statuses
per subject), not the trace. `impact_report` is pure aggregation of those pairs into an
`ImpactReport`. A document that no longer parses under a version is counted, not a crash.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..compile import compile_ruleset
from ..errors import FactProblem, FactsError, TfpError
from ..evaluate import evaluate
from ..facts import load_document, validate_document
from ..intake import ruleset_problems
from ..library import RulesetLibrary
from ..pool import Pool
from ..ruleset import Ruleset

ABSENT = "absent"  # an indicator, headline or subject one version does not assess
STATUS_WORDS = {
    "eligible": "eligible",
    "not_eligible": "not eligible",
    "undetermined": "undetermined",
}
RESULT_WORDS = {"met": "met", "not_met": "not met", "unknown": "unknown", ABSENT: "not assessed"}
SHOWN_PROBLEMS = 3


@dataclass(frozen=True, slots=True)
class Family:
    """One facts document to compare: where it came from (a file, `file:line`, a stored
    decision) and, for a stored one, the family ref and decision id the store holds."""

    facts: str | bytes | Mapping[str, Any]
    origin: str
    family_ref: str | None = None
    decision_id: str | None = None


@dataclass(frozen=True, slots=True)
class Outcome:
    """A family's decision under one version, reduced to what impact compares."""

    status: str
    headlines: dict[str, str]  # headline id -> met | not_met | unknown
    indicators: dict[str, dict[str, str]]  # indicator id -> subject -> status


@dataclass(frozen=True, slots=True)
class Invalid:
    """The document does not parse under a version: its problems (the first few)."""

    problems: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class FamilyImpact:
    """One family under both versions."""

    origin: str
    family_ref: str | None
    decision_id: str | None
    before: Outcome | Invalid
    after: Outcome | Invalid


def outcome_of(decision: Mapping[str, Any]) -> Outcome:
    """The compact outcome of a decision as `evaluate` returns it."""
    headlines = {}
    indicators = {}
    for headline in decision["trace"]["headlines"]:
        headlines[headline["id"]] = headline["status"]
        for indicator in headline["indicators"]:
            indicators[indicator["id"]] = {s["subject"]: s["status"] for s in indicator["subjects"]}
    return Outcome(decision["status"], headlines, indicators)


def _problems(problems: Iterable[FactProblem]) -> Invalid:
    return Invalid(tuple(str(p) for p in sorted(set(problems))[:SHOWN_PROBLEMS]))


@dataclass(frozen=True)
class CompareVersions:
    """Pool work: each `Family` evaluated under `before` and `after` (exact `ID@VERSION`
    refs, drafts allowed). With `sha256`, a worker whose files no longer hold exactly those
    versions refuses to start, so a report always names what it compared."""

    before: str
    after: str
    sha256: tuple[str, str] | None = None

    def prepare(self, library: RulesetLibrary) -> Callable[[Family], FamilyImpact]:
        versions = [library.resolve(ref, drafts=True) for ref in (self.before, self.after)]
        if self.sha256 is not None:
            for rs, expected in zip(versions, self.sha256, strict=True):
                if rs.sha256 != expected:
                    raise RulesetChangedError(
                        f"{rs.ref} changed on disk since the comparison began "
                        f"(sha256 {expected[:12]}, now {rs.sha256[:12]})"
                    )
        compiled = [compile_ruleset(rs) for rs in versions]

        def compare(family: Family) -> FamilyImpact:
            try:
                doc = load_document(family.facts)
            except FactsError as exc:
                both: Invalid = _problems(exc.problems)
                return FamilyImpact(
                    family.origin, family.family_ref, family.decision_id, both, both
                )
            ref = family.family_ref
            if ref is None and isinstance(doc.get("family_ref"), str):
                ref = doc["family_ref"]
            facts, problems = validate_document(doc)
            outcomes: list[Outcome | Invalid] = []
            for c in compiled:
                found = problems + ruleset_problems(c.ruleset, doc)
                if found:
                    outcomes.append(_problems(found))
                else:
                    assert facts is not None
                    outcomes.append(outcome_of(evaluate(c, facts)))
            return FamilyImpact(family.origin, ref, family.decision_id, *outcomes)

        return compare


class RulesetChangedError(TfpError):
    """A version's file changed between resolving it and a worker loading it."""


# --------------------------------------------------------------------------- the report


@dataclass(frozen=True)
class Version:
    """A version as the report names it."""

    ref: str
    sha256: str
    status: str  # published | draft

    @classmethod
    def of(cls, ruleset: Ruleset, library: RulesetLibrary) -> Version:
        return cls(ruleset.ref, ruleset.sha256, library.status(ruleset.ref))

    def to_dict(self) -> dict[str, str]:
        return {"ref": self.ref, "sha256": self.sha256, "status": self.status}


@dataclass(frozen=True)
class ChangedFamily:
    """A family whose status changes (or, in `invalid`, whose facts do not parse)."""

    origin: str
    family_ref: str | None
    decision_id: str | None
    before: str  # a status, or "invalid"
    after: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "family_ref": self.family_ref,
            "decision_id": self.decision_id,
            "origin": self.origin,
            "from": self.before,
            "to": self.after,
        }


def _move(before: str, after: str) -> str:
    return f"{before} -> {after}"


@dataclass
class ImpactReport:
    """What a new version changes for a set of families.

    `statuses[from][to]`: families evaluated under both versions by their two statuses
    (the diagonal keeps its status). `headlines[id][move]`: families whose headline moved
    ("not_met -> met"; "absent" where a version lacks it). `indicators[id][move]`:
    {"families": n, "subjects": m} (members, or the household). `invalid`: families whose
    facts do not parse under `before` only, `after` only, or `both`; they are not in
    `statuses`. `changed` and `invalid_families` name families (personal data).
    """

    before: Version
    after: Version
    families: int = 0
    evaluated: int = 0
    statuses: dict[str, dict[str, int]] = field(default_factory=dict)
    headlines: dict[str, dict[str, int]] = field(default_factory=dict)
    indicators: dict[str, dict[str, dict[str, int]]] = field(default_factory=dict)
    invalid: dict[str, int] = field(default_factory=lambda: {"before": 0, "after": 0, "both": 0})
    # same status, but a headline or indicator result moved (not merely a new indicator
    # the family does not meet)
    other_moves: int = 0
    changed: list[ChangedFamily] = field(default_factory=list)
    invalid_families: list[ChangedFamily] = field(default_factory=list)

    @property
    def status_changes(self) -> int:
        return sum(n for a, row in self.statuses.items() for b, n in row.items() if a != b)

    def to_dict(self, *, families: bool = True) -> dict[str, Any]:
        """As JSON; `families=False` leaves out every family ref and decision id."""
        out: dict[str, Any] = {
            "from": self.before.to_dict(),
            "to": self.after.to_dict(),
            "families": self.families,
            "evaluated": self.evaluated,
            "status_changes": self.status_changes,
            "other_moves": self.other_moves,
            "invalid": dict(self.invalid),
            "statuses": [
                {"from": a, "to": b, "families": n}
                for a, row in sorted(self.statuses.items())
                for b, n in sorted(row.items())
            ],
            "headlines": [
                {"id": h, "from": m.split(" -> ")[0], "to": m.split(" -> ")[1], "families": n}
                for h, moves in sorted(self.headlines.items())
                for m, n in sorted(moves.items())
            ],
            "indicators": [
                {
                    "id": i,
                    "from": m.split(" -> ")[0],
                    "to": m.split(" -> ")[1],
                    "families": c["families"],
                    "subjects": c["subjects"],
                }
                for i, moves in sorted(self.indicators.items())
                for m, c in sorted(moves.items())
            ],
        }
        if families:
            out |= self.families_dict()
        return out

    def families_dict(self) -> dict[str, Any]:
        """The personal part: which families change status, and which facts are invalid."""
        return {
            "changed_families": [c.to_dict() for c in self.changed],
            "invalid_families": [c.to_dict() for c in self.invalid_families],
        }

    def text(self, *, families: bool = False) -> str:
        """The report in a policy officer's words; `families` lists the changed families."""
        a, b = self.before, self.after
        lines = [
            f"Impact of {b.ref} ({b.status}) against {a.ref} ({a.status})",
            f"{_n(self.families, 'family', 'families')}: {self.evaluated} evaluated under "
            f"both versions, {self._invalid_total()} invalid under one or both",
        ]
        if self.invalid["before"] or self.invalid["after"] or self.invalid["both"]:
            for key, where in (
                ("before", f"{a.ref} only"),
                ("after", f"{b.ref} only"),
                ("both", "both"),
            ):
                if self.invalid[key]:
                    lines.append(f"  {self.invalid[key]} invalid under {where}")
        lines.append("")
        lines.append(f"Status: {self.status_changes} of {self.evaluated} families change status")
        for st_from, row in sorted(self.statuses.items()):
            for st_to, n in sorted(row.items()):
                if st_from != st_to:
                    lines.append(
                        f"  {n} {STATUS_WORDS.get(st_from, st_from)} -> "
                        f"{STATUS_WORDS.get(st_to, st_to)}"
                    )
        kept = {s: row.get(s, 0) for s, row in sorted(self.statuses.items()) if row.get(s)}
        kept_total = sum(kept.values())
        if kept_total:
            detail = ", ".join(f"{n} {STATUS_WORDS.get(s, s)}" for s, n in kept.items())
            lines.append(f"  {kept_total} keep their status ({detail})")
        if self.other_moves:
            lines.append(f"  of which {self.other_moves} see a headline or indicator result move")
        lines.append("")
        lines.append("Headlines that move:" if self.headlines else "No headline moves.")
        for h, moves in sorted(self.headlines.items()):
            for m, n in sorted(moves.items()):
                lines.append(f"  {h}: {_n(n, 'family', 'families')} {_words(m)}")
        lines.append("Indicators that move:" if self.indicators else "No indicator moves.")
        for i, moves in sorted(self.indicators.items()):
            sides = {tuple(m.split(" -> ")) for m in moves}
            only = (
                f" (new in {b.ref})"
                if all(x == ABSENT for x, _ in sides)
                else f" (not in {b.ref})"
                if all(y == ABSENT for _, y in sides)
                else ""
            )
            for m, c in sorted(moves.items()):
                lines.append(
                    f"  {i}{only}: {_n(c['families'], 'family', 'families')} "
                    f"({_n(c['subjects'], 'subject', 'subjects')}) {_words(m)}"
                )
        if families:
            lines.append("")
            lines.append(
                "Families that change status:" if self.changed else "No family changes status."
            )
            lines += [f"  {_named(c)}: {_status_words(c)}" for c in self.changed]
            if self.invalid_families:
                lines.append("Families whose facts are invalid under a version:")
                lines += [f"  {_named(c)}: {_status_words(c)}" for c in self.invalid_families]
        return "\n".join(lines) + "\n"

    def _invalid_total(self) -> int:
        return sum(self.invalid.values())


def _n(n: int, one: str, many: str) -> str:
    return f"{n} {one if n == 1 else many}"


def _words(move: str) -> str:
    before, after = move.split(" -> ")
    return f"{RESULT_WORDS.get(before, before)} -> {RESULT_WORDS.get(after, after)}"


def _status_words(c: ChangedFamily) -> str:
    return f"{STATUS_WORDS.get(c.before, c.before)} -> {STATUS_WORDS.get(c.after, c.after)}"


def _named(c: ChangedFamily) -> str:
    name = c.family_ref or "(no family ref)"
    return f"{name} (decision {c.decision_id})" if c.decision_id else f"{name} ({c.origin})"


def _telling(move: str) -> bool:
    """Whether a move says something of a family: an indicator one version lacks and the
    other finds not met (a new indicator nobody meets) does not."""
    return set(move.split(" -> ")) != {ABSENT, "not_met"}


def _moves(before: Mapping[str, str], after: Mapping[str, str]) -> dict[str, str]:
    """key -> "from -> to" for every key whose value differs (absent on one side: ABSENT)."""
    out = {}
    for key in before.keys() | after.keys():
        a, b = before.get(key, ABSENT), after.get(key, ABSENT)
        if a != b:
            out[key] = _move(a, b)
    return out


def impact_report(before: Version, after: Version, results: Iterable[FamilyImpact]) -> ImpactReport:
    """Aggregate every family's pair of outcomes (a stream: each is read once and dropped)."""
    report = ImpactReport(before, after)
    statuses: defaultdict[str, Counter[str]] = defaultdict(Counter)
    headlines: defaultdict[str, Counter[str]] = defaultdict(Counter)
    ind_families: defaultdict[str, Counter[str]] = defaultdict(Counter)
    ind_subjects: defaultdict[str, Counter[str]] = defaultdict(Counter)
    for r in results:
        report.families += 1
        a, b = r.before, r.after
        if isinstance(a, Invalid) or isinstance(b, Invalid):
            if isinstance(a, Invalid) and isinstance(b, Invalid):
                key = "both"
            else:
                key = "before" if isinstance(a, Invalid) else "after"
            report.invalid[key] += 1
            report.invalid_families.append(
                ChangedFamily(
                    r.origin,
                    r.family_ref,
                    r.decision_id,
                    "invalid" if isinstance(a, Invalid) else a.status,
                    "invalid" if isinstance(b, Invalid) else b.status,
                )
            )
            continue
        report.evaluated += 1
        statuses[a.status][b.status] += 1
        if a.status != b.status:
            report.changed.append(
                ChangedFamily(r.origin, r.family_ref, r.decision_id, a.status, b.status)
            )
        moved = False
        for h, m in _moves(a.headlines, b.headlines).items():
            headlines[h][m] += 1
            moved = True
        for i in a.indicators.keys() | b.indicators.keys():
            subject_moves = _moves(a.indicators.get(i, {}), b.indicators.get(i, {}))
            if not subject_moves:
                continue
            moved = moved or any(_telling(m) for m in subject_moves.values())
            for m in set(subject_moves.values()):
                ind_families[i][m] += 1
            for m in subject_moves.values():
                ind_subjects[i][m] += 1
        if moved and a.status == b.status:
            report.other_moves += 1
    report.statuses = {s: dict(row) for s, row in statuses.items()}
    report.headlines = {h: dict(c) for h, c in headlines.items()}
    report.indicators = {
        i: {m: {"families": n, "subjects": ind_subjects[i][m]} for m, n in c.items()}
        for i, c in ind_families.items()
    }
    return report


def _counted(
    results: Iterable[FamilyImpact], progress: Callable[[int], None]
) -> Iterator[FamilyImpact]:
    for done, r in enumerate(results, 1):
        progress(done)
        yield r


def run_impact(
    library: RulesetLibrary,
    rulesets_dir: str | Path,
    before: str,
    after: str,
    families: Iterable[Family],
    *,
    workers: int | None = None,
    progress: Callable[[int], None] | None = None,
) -> ImpactReport:
    """Compare two versions (exact `ID@VERSION`, drafts allowed) over a stream of families
    on a process pool (`workers`, default every core), calling `progress(done)` after each
    family. UnknownRulesetError, before any work, if either version does not exist."""
    a = library.resolve(before, drafts=True)
    b = library.resolve(after, drafts=True)
    work = CompareVersions(a.ref, b.ref, (a.sha256, b.sha256))
    results = Pool(work, rulesets_dir, workers=workers, library=library).map(families)
    if progress is not None:
        results = _counted(results, progress)
    return impact_report(Version.of(a, library), Version.of(b, library), results)


__all__ = [
    "ABSENT",
    "ChangedFamily",
    "CompareVersions",
    "Family",
    "FamilyImpact",
    "ImpactReport",
    "Invalid",
    "Outcome",
    "RulesetChangedError",
    "Version",
    "impact_report",
    "outcome_of",
    "run_impact",
]
