"""What a new ruleset version changes, in a policy officer's words: parameters, headlines,
indicators, conditions, the family rule, eligibility, school terms and outcome plans, each
change a typed record with its sentence ("Parameter fixed_term_exclusions_min: lowered from
3 to 2 exclusions (used by H2.fixed_term_exclusions).").

Pure: it compares two loaded `Ruleset`s (a local one already laid over the national one it
extends), never their YAML text, so reformatting or a comment changes nothing. An
indicator is matched by id; one that disappears while another with the same condition or
the same name after the dot appears was renamed or moved. A condition whose shape is
unchanged is compared comparison by comparison (thresholds, windows, what is counted),
saying whether a threshold came through a parameter or was written in the condition;
otherwise the old and new conditions are shown in words.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from ..conditions import All, Any_, Compare, Condition, Measure, Not, Operand
from ..ruleset import Indicator, Parameter, Ruleset
from .words import (
    amount,
    condition_text,
    listing,
    measure_name,
    record_nouns,
    subject_words,
    unit_of,
)

KINDS = ("added", "removed", "changed")
SECTIONS: dict[str, str] = {
    "metadata": "Metadata",
    "parameters": "Parameters",
    "family": "Family and eligibility",
    "headlines": "Headlines and indicators",
    "outcome_plan": "Outcome plan",
}
# what a change is about -> the section it is listed in (conditions and data sources are
# listed with whatever holds them: an indicator, the family rule, an outcome measure)
WHATS: dict[str, str] = {
    "metadata": "metadata",
    "extends": "metadata",
    "parameter": "parameters",
    "override": "parameters",
    "family": "family",
    "eligibility": "family",
    "school_terms": "family",
    "headline": "headlines",
    "indicator": "headlines",
    "condition": "headlines",
    "data_sources": "headlines",
    "outcome_plan": "outcome_plan",
    "outcome_measure": "outcome_plan",
}
# a measure's windows: (attribute, unit, what it is called in a sentence)
_WINDOWS = (
    ("within_months", "months", "window"),
    ("due_within_months", "months", "release window"),
    ("last_terms", "terms", "number of terms"),
    ("before_entry_months", "months", "window before entry"),
    ("after_entry_months", "months", "window after entry"),
    ("months", "months", "period compared"),
)


@dataclass(frozen=True)
class Change:
    """One difference between two versions, with the sentence that says it.

    `what` is the kind of thing changed (a key of WHATS), `subject` which one (a parameter
    name, headline or indicator id, "family", a metadata field), `field` the part of it
    that changed (None for a thing added or removed whole), `before`/`after` plain JSON
    values (None for what did not exist)."""

    kind: str
    what: str
    subject: str
    field: str | None
    before: Any
    after: Any
    text: str
    section: str = ""

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"unknown change kind {self.kind!r}")
        if not self.section:
            object.__setattr__(self, "section", WHATS[self.what])

    def to_dict(self) -> dict[str, Any]:
        return {
            "section": self.section,
            "kind": self.kind,
            "what": self.what,
            "subject": self.subject,
            "field": self.field,
            "before": _plain(self.before),
            "after": _plain(self.after),
            "text": self.text,
        }


@dataclass(frozen=True)
class RulesetDiff:
    """Every change from `old` to `new`, in section order."""

    old: dict[str, Any]
    new: dict[str, Any]
    changes: tuple[Change, ...] = field(default=())

    @property
    def changed(self) -> bool:
        return bool(self.changes)

    def counts(self) -> dict[str, int]:
        return {k: sum(1 for c in self.changes if c.kind == k) for k in KINDS}

    def to_dict(self) -> dict[str, Any]:
        """The JSON of `tfp diff --format json` and `GET /v1/rulesets/{id}/diff`."""
        return {
            "from": self.old,
            "to": self.new,
            "changed": self.changed,
            "counts": self.counts(),
            "changes": [c.to_dict() for c in self.changes],
        }

    def text(self) -> str:
        """The changes grouped by section, one sentence a line; "No changes." if none."""
        lines = [f"{_ref(self.old)} -> {_ref(self.new)}"]
        if not self.changes:
            return "\n".join([*lines, "No changes."]) + "\n"
        counts = self.counts()
        n = len(self.changes)
        lines.append(
            f"{n} change{'s' if n != 1 else ''}: "
            + ", ".join(f"{counts[k]} {k}" for k in KINDS if counts[k])
        )
        for section, title in SECTIONS.items():
            listed = [c for c in self.changes if c.section == section]
            if listed:
                lines += ["", title, *(f"  {c.text}" for c in listed)]
        return "\n".join(lines) + "\n"


def identity(rs: Ruleset) -> dict[str, Any]:
    """What names a version in a diff."""
    return {
        "id": rs.id,
        "version": rs.version,
        "sha256": rs.sha256,
        "effective_from": rs.effective_from.isoformat(),
        "extends": rs.extends.ref if rs.extends is not None else None,
    }


def diff_rulesets(old: Ruleset, new: Ruleset) -> RulesetDiff:
    """The changes from `old` to `new` (pure)."""
    d = _Differ(old, new)
    changes = [
        *d.metadata(),
        *d.parameters(),
        *d.overrides(),
        *d.family(),
        *d.eligibility(),
        *d.school_terms(),
        *d.headlines(),
        *d.outcome_plan(),
    ]
    order = list(SECTIONS)
    changes.sort(key=lambda c: order.index(c.section))  # stable: order within a section kept
    return RulesetDiff(identity(old), identity(new), tuple(changes))


# --------------------------------------------------------------------------- uses


def parameter_uses(rs: Ruleset) -> dict[str, list[str]]:
    """Which rules read each parameter: indicator ids, outcome measure ids, "the family
    rule", "eligibility", "the outcome plan" (in ruleset order)."""
    uses: dict[str, list[str]] = defaultdict(list)

    def add(name: str | None, who: str) -> None:
        if name and who not in uses[name]:
            uses[name].append(who)

    def walk(c: Condition | None, who: str) -> None:
        for leaf in _leaves(c):
            for o in leaf.operands:
                add(o.param, who)
            for attr, _, _ in _WINDOWS:
                window = getattr(leaf.measure, attr)
                add(window.param if window is not None else None, who)
            for _, name in leaf.measure.list_params:
                add(name, who)

    if rs.family is not None:
        walk(rs.family.when, "the family rule")
    add(rs.headlines_required_param, "eligibility")
    for indicator in rs.indicators:
        walk(indicator.when, indicator.id)
    if rs.outcome_plan is not None:
        add(rs.outcome_plan.sustain_param, "the outcome plan")
        for m in rs.outcome_plan.measures:
            walk(m.when, m.id)
    return dict(uses)


def _leaves(c: Condition | None) -> Iterator[Compare]:
    if c is None:
        return
    if isinstance(c, Compare):
        yield c
    elif isinstance(c, Not):
        yield from _leaves(c.item)
    else:
        for item in c.items:
            yield from _leaves(item)


# --------------------------------------------------------------------------- the differ


class _Differ:
    def __init__(self, old: Ruleset, new: Ruleset) -> None:
        self.old, self.new = old, new
        self.old_uses, self.new_uses = parameter_uses(old), parameter_uses(new)

    # ------------------------------------------------------------------ metadata

    def metadata(self) -> Iterator[Change]:
        old, new = self.old, self.new
        if old.id != new.id:
            yield Change(
                "changed",
                "metadata",
                "ruleset",
                "id",
                old.id,
                new.id,
                f"Ruleset id changed from {old.id} to {new.id}.",
            )
        if old.effective_from != new.effective_from:
            yield Change(
                "changed",
                "metadata",
                "effective_from",
                "effective_from",
                old.effective_from,
                new.effective_from,
                f"Takes effect from {new.effective_from.isoformat()} instead of "
                f"{old.effective_from.isoformat()}.",
            )
        if old.description != new.description:
            yield Change(
                "changed",
                "metadata",
                "description",
                "description",
                old.description,
                new.description,
                f"Description {_text_change(old.description, new.description)}.",
            )
        for source in new.sources:
            if source not in old.sources:
                yield Change(
                    "added",
                    "metadata",
                    "sources",
                    "sources",
                    None,
                    source,
                    f'Now cites "{source}".',
                )
        for source in old.sources:
            if source not in new.sources:
                yield Change(
                    "removed",
                    "metadata",
                    "sources",
                    "sources",
                    source,
                    None,
                    f'No longer cites "{source}".',
                )
        yield from self._extends()

    def _extends(self) -> Iterator[Change]:
        old, new = self.old, self.new
        before = old.extends.ref if old.extends is not None else None
        after = new.extends.ref if new.extends is not None else None
        if before != after:
            if before is None:
                text = f"Now a local ruleset, extending {after}."
                kind = "added"
            elif after is None:
                text = f"No longer a local ruleset (it extended {before})."
                kind = "removed"
            else:
                text = f"Now extends {after} instead of {before}."
                kind = "changed"
            yield Change(kind, "extends", "extends", "extends", before, after, text)
        if old.council != new.council and old.council and new.council:
            yield Change(
                "changed",
                "metadata",
                "council",
                "council",
                old.council,
                new.council,
                f"Council changed from {old.council} to {new.council}.",
            )

    # ------------------------------------------------------------------ parameters

    def _used(self, name: str, uses: dict[str, list[str]]) -> str:
        who = uses.get(name)
        return f" (used by {listing(who, 'and')})" if who else ""

    def parameters(self) -> Iterator[Change]:
        old, new = self.old.parameters, self.new.parameters
        for name, p in new.items():
            if name not in old:
                shown = amount(p.value, p.unit)
                yield Change(
                    "added",
                    "parameter",
                    name,
                    None,
                    None,
                    _parameter(p),
                    f"New parameter {name}: {shown}{self._used(name, self.new_uses)}: "
                    f"{p.description}",
                )
            else:
                yield from self._parameter(old[name], p)
        for name, p in old.items():
            if name not in new:
                yield Change(
                    "removed",
                    "parameter",
                    name,
                    None,
                    _parameter(p),
                    None,
                    f"Parameter {name} removed (it was {amount(p.value, p.unit)}"
                    f"{self._used(name, self.old_uses).replace(' (', ', ').rstrip(')')}).",
                )

    def _parameter(self, a: Parameter, b: Parameter) -> Iterator[Change]:
        name = b.name
        if a.value != b.value:
            used = self._used(name, self.new_uses)
            if isinstance(a.value, tuple) and isinstance(b.value, tuple):
                text = f"Parameter {name}: {_list_change(a.value, b.value, 'includes')}{used}."
            elif isinstance(a.value, tuple) or isinstance(b.value, tuple):
                text = (
                    f"Parameter {name}: changed from {amount(a.value, a.unit)} to "
                    f"{amount(b.value, b.unit)}{used}."
                )
            else:
                text = (
                    f"Parameter {name}: {_direction(a.value, b.value)} "
                    f"{_from_to(a.value, b.value, b.unit)}{used}."
                )
            yield Change("changed", "parameter", name, "value", a.value, b.value, text)
        if a.unit != b.unit:
            yield Change(
                "changed",
                "parameter",
                name,
                "unit",
                a.unit,
                b.unit,
                f"Parameter {name}: unit changed from {a.unit or 'none'} to {b.unit or 'none'}.",
            )
        for attr in ("description", "source"):
            before, after = getattr(a, attr), getattr(b, attr)
            if before != after:
                yield Change(
                    "changed",
                    "parameter",
                    name,
                    attr,
                    before,
                    after,
                    f"Parameter {name}: {attr} {_text_change(before, after)}.",
                )
        if a.review_by != b.review_by:
            if a.review_by is None:
                text = f"Parameter {name}: now to be reviewed by {_iso(b.review_by)}."
            elif b.review_by is None:
                text = f"Parameter {name}: no longer has a review date (was {_iso(a.review_by)})."
            else:
                text = (
                    f"Parameter {name}: to be reviewed by {_iso(b.review_by)} instead of "
                    f"{_iso(a.review_by)}."
                )
            yield Change("changed", "parameter", name, "review_by", a.review_by, b.review_by, text)

    def overrides(self) -> Iterator[Change]:
        """A local ruleset's overrides that came or went (a value changed is a parameter
        change above)."""
        before, after = set(self.old.overrides), set(self.new.overrides)
        for name in self.new.overrides:
            if name in before:
                continue
            p = self.new.parameters[name]
            base = self.new.extends
            national = base.parameters.get(name) if base is not None else None
            of = (
                f" instead of {amount(national.value, national.unit)} in {base.ref}"
                if national is not None and base is not None
                else ""
            )
            yield Change(
                "added",
                "override",
                name,
                None,
                None,
                p.value,
                f"Now overrides {name} locally: {amount(p.value, p.unit)}{of}.",
            )
        for name in self.old.overrides:
            if name in after:
                continue
            p = self.new.parameters.get(name)
            now = (
                f": {amount(p.value, p.unit)}, as in {self.new.extends.ref}"
                if p is not None and self.new.extends is not None
                else ""
            )
            yield Change(
                "removed",
                "override",
                name,
                None,
                self.old.parameters[name].value,
                None,
                f"No longer overrides {name} locally{now}.",
            )

    # ------------------------------------------------------------------ family, eligibility

    def family(self) -> Iterator[Change]:
        a, b = self.old.family, self.new.family
        if a is None or b is None:
            return  # only while a file is being checked
        if a.name != b.name:
            yield Change(
                "changed",
                "family",
                "family",
                "name",
                a.name,
                b.name,
                f'Family rule renamed from "{a.name}" to "{b.name}".',
            )
        if a.source != b.source:
            yield Change(
                "changed",
                "family",
                "family",
                "source",
                a.source,
                b.source,
                f"Family rule: source {_text_change(a.source, b.source)}.",
            )
        yield from _sources_change(
            "family", "The family rule", a.data_sources, b.data_sources, section="family"
        )
        yield from self._conditions("Family rule", "family", a.when, b.when, section="family")

    def eligibility(self) -> Iterator[Change]:
        old, new = self.old, self.new
        a, b = old.headlines_required, new.headlines_required
        pa, pb = old.headlines_required_param, new.headlines_required_param
        if a == b and pa == pb:
            return
        via = _via(Operand(a, pa), Operand(b, pb), "eligibility rule")
        if a != b:
            text = f"Eligibility: {b} headlines required instead of {a}{via}."
        else:
            text = f"Eligibility: still {b} headlines required{via}."
        yield Change(
            "changed", "eligibility", "headlines_required", "headlines_required", a, b, text
        )

    def school_terms(self) -> Iterator[Change]:
        a, b = self.old.terms, self.new.terms
        if a.rule != b.rule:
            yield Change(
                "changed",
                "school_terms",
                "school_terms",
                "rule",
                a.rule,
                b.rule,
                f"School terms: now follow the {b.rule} rule instead of the {a.rule} rule.",
            )
        if a.source != b.source:
            yield Change(
                "changed",
                "school_terms",
                "school_terms",
                "source",
                a.source,
                b.source,
                f"School terms: source {_text_change(a.source, b.source)}.",
            )
        before = {t: (f, to) for t, f, to in a.dates}
        after = {t: (f, to) for t, f, to in b.dates}
        for term, (first, last) in after.items():
            span = f"{first.isoformat()} to {last.isoformat()}"
            if term not in before:
                yield Change(
                    "added",
                    "school_terms",
                    term,
                    "dates",
                    None,
                    [first, last],
                    f"School terms: term {term} now has its own dates, {span}.",
                )
            elif before[term] != (first, last):
                was = f"{before[term][0].isoformat()} to {before[term][1].isoformat()}"
                yield Change(
                    "changed",
                    "school_terms",
                    term,
                    "dates",
                    list(before[term]),
                    [first, last],
                    f"School terms: term {term} now runs {span} instead of {was}.",
                )
        for term, (first, last) in before.items():
            if term not in after:
                yield Change(
                    "removed",
                    "school_terms",
                    term,
                    "dates",
                    [first, last],
                    None,
                    f"School terms: term {term} no longer has its own dates "
                    f"(was {first.isoformat()} to {last.isoformat()}; now the {b.rule} rule's).",
                )

    # ------------------------------------------------------------------ headlines

    def headlines(self) -> Iterator[Change]:
        old = {h.id: h for h in self.old.headlines}
        new = {h.id: h for h in self.new.headlines}
        for hid, h in new.items():
            if hid not in old:
                ids = listing([i.id for i in h.indicators], "and")
                yield Change(
                    "added",
                    "headline",
                    hid,
                    None,
                    None,
                    {"id": hid, "name": h.name},
                    f"New headline {hid} ({h.name}), with indicators {ids}.",
                )
            elif old[hid].name != h.name:
                yield Change(
                    "changed",
                    "headline",
                    hid,
                    "name",
                    old[hid].name,
                    h.name,
                    f'Headline {hid} renamed from "{old[hid].name}" to "{h.name}".',
                )
        for hid, h in old.items():
            if hid not in new:
                yield Change(
                    "removed",
                    "headline",
                    hid,
                    None,
                    {"id": hid, "name": h.name},
                    None,
                    f"Headline {hid} ({h.name}) removed, with its indicators "
                    f"{listing([i.id for i in h.indicators], 'and')}.",
                )
        yield from self.indicators()

    def indicators(self) -> Iterator[Change]:
        old = {i.id: i for i in self.old.indicators}
        new = {i.id: i for i in self.new.indicators}
        gone = [i for iid, i in old.items() if iid not in new]
        came = [i for iid, i in new.items() if iid not in old]
        pairs = _pair_moved(gone, came)
        paired_old = {a.id for a, _ in pairs}
        paired_new = {b.id for _, b in pairs}
        renamed = {b.id: a for a, b in pairs}
        for iid, b in new.items():
            if iid in old:
                yield from self._indicator(old[iid], b)
            elif iid in paired_new:
                a = renamed[iid]
                if a.headline != b.headline:
                    text = f"Indicator {a.id} moved from {a.headline} to {b.headline}, as {b.id}."
                    changed = "headline"
                else:
                    text = f"Indicator {a.id} is now {b.id}."
                    changed = "id"
                yield Change("changed", "indicator", b.id, changed, a.id, b.id, text)
                yield from self._indicator(a, b)
            else:
                yield self._new_indicator(b)
        for a in gone:
            if a.id not in paired_old:
                yield Change(
                    "removed",
                    "indicator",
                    a.id,
                    None,
                    self._indicator_summary(a, self.old),
                    None,
                    f"Indicator {a.id} removed from {a.headline}.",
                )

    def _indicator_summary(self, i: Indicator, rs: Ruleset) -> dict[str, Any]:
        return {
            "id": i.id,
            "headline": i.headline,
            "name": i.name,
            "applies_to": i.applies_to,
            "origin": i.origin,
            "source": i.source,
            "data_sources": list(i.data_sources),
            "when": condition_text(i.when, rs),
        }

    def _new_indicator(self, i: Indicator) -> Change:
        headline = next(h for h in self.new.headlines if h.id == i.headline)
        local = "local " if i.origin == "local" else ""
        name = _lower_first(i.name)
        return Change(
            "added",
            "indicator",
            i.id,
            None,
            None,
            self._indicator_summary(i, self.new),
            f"New {local}indicator {i.id} under {headline.id} ({headline.name}), for "
            f"{subject_words(i.applies_to)}: {name}; it counts when: "
            f"{condition_text(i.when, self.new)} (reads {listing(i.data_sources, 'and')}).",
        )

    def _indicator(self, a: Indicator, b: Indicator) -> Iterator[Change]:
        iid = b.id
        if a.name != b.name:
            yield Change(
                "changed",
                "indicator",
                iid,
                "name",
                a.name,
                b.name,
                f'{iid}: renamed from "{a.name}" to "{b.name}".',
            )
        if a.applies_to != b.applies_to:
            yield Change(
                "changed",
                "indicator",
                iid,
                "applies_to",
                a.applies_to,
                b.applies_to,
                f"{iid} now applies to {subject_words(b.applies_to)} instead of "
                f"{subject_words(a.applies_to)}.",
            )
        if a.origin != b.origin:
            yield Change(
                "changed",
                "indicator",
                iid,
                "origin",
                a.origin,
                b.origin,
                f"{iid}: origin changed from {a.origin} to {b.origin}.",
            )
        yield from _sources_change(iid, iid, a.data_sources, b.data_sources)
        yield from self._conditions(iid, iid, a.when, b.when)
        if a.source != b.source:
            yield Change(
                "changed",
                "indicator",
                iid,
                "source",
                a.source,
                b.source,
                f"{iid}: source {_text_change(a.source, b.source)}.",
            )

    # ------------------------------------------------------------------ conditions

    def _conditions(
        self,
        label: str,
        subject: str,
        a: Condition | None,
        b: Condition | None,
        section: str = "",
    ) -> Iterator[Change]:
        """How a condition changed: comparison by comparison if its shape is the same,
        else the old and new conditions in words."""
        if a == b:
            return
        if a is None or b is None:
            before = condition_text(a, self.old) if a is not None else None
            after = condition_text(b, self.new) if b is not None else None
            text = (
                f"{label}: now shown by a worker's documented judgement instead of when: {before}."
                if b is None
                else f"{label}: now shown when: {after}, instead of by a worker's judgement."
            )
            yield Change("changed", "condition", subject, "when", before, after, text, section)
            return
        pairs = _pairs(a, b)
        if pairs is None:
            before, after = condition_text(a, self.old), condition_text(b, self.new)
            yield Change(
                "changed",
                "condition",
                subject,
                "when",
                before,
                after,
                f'{label}: condition changed from "{before}" to "{after}".',
                section,
            )
            return
        several = len(pairs) > 1
        for x, y in pairs:
            if x != y:
                on = f" on {measure_name(y.measure)}" if several else ""
                yield from self._comparison(label, subject, x, y, on, section)

    def _comparison(
        self, label: str, subject: str, x: Compare, y: Compare, on: str, section: str
    ) -> Iterator[Change]:
        """The changes between two comparisons of the same shape."""
        old_values = [o.value for o in x.operands]
        new_values = [o.value for o in y.operands]
        unit = unit_of(y.measure, y.operands[0], self.new)
        if old_values != new_values or [o.param for o in x.operands] != [
            o.param for o in y.operands
        ]:
            via = _via(x.operands[0], y.operands[0]) if len(x.operands) == 1 else ""
            if len(x.operands) == 1 and old_values != new_values:
                text = (
                    f"{label}: threshold{on} {_direction(old_values[0], new_values[0])} "
                    f"{_from_to(old_values[0], new_values[0], unit)}{via}."
                )
            elif old_values != new_values:
                text = (
                    f"{label}: threshold{on} changed from {_range(x, unit)} to "
                    f"{_range(y, unit)}{_via_all(x.operands, y.operands)}."
                )
            else:
                text = f"{label}: threshold{on} still {_range(y, unit)}{_via_all(x.operands, y.operands)}."
            before = old_values[0] if len(old_values) == 1 else old_values
            after = new_values[0] if len(new_values) == 1 else new_values
            yield Change("changed", "condition", subject, "threshold", before, after, text, section)
        for attr, window_unit, called in _WINDOWS:
            p, q = getattr(x.measure, attr), getattr(y.measure, attr)
            if p is None or q is None or p == q:
                continue
            if p.value != q.value:
                text = (
                    f"{label}: {called}{on} {_direction(p.value, q.value, window=True)} "
                    f"{_from_to(p.value, q.value, window_unit)}{_via(p, q)}."
                )
            else:
                text = f"{label}: {called}{on} still {amount(q.value, window_unit)}{_via(p, q)}."
            yield Change("changed", "condition", subject, attr, p.value, q.value, text, section)
        if x.measure.types != y.measure.types and set(x.measure.types) != set(y.measure.types):
            via = _list_via(x.measure, y.measure, x.measure.records or "event")
            what = _counted(x.measure, y.measure)
            yield Change(
                "changed",
                "condition",
                subject,
                x.measure.records or "event",
                list(x.measure.types),
                list(y.measure.types),
                f"{label} {what}{via}.",
                section,
            )
        old_where, new_where = dict(x.measure.where), dict(y.measure.where)
        for key, values in new_where.items():
            before = old_where.get(key, ())
            if set(before) != set(values):
                via = _list_via(x.measure, y.measure, f"where.{key}")
                change = _list_change(before, values, "includes")
                yield Change(
                    "changed",
                    "condition",
                    subject,
                    f"where.{key}",
                    list(before),
                    list(values),
                    f"{label}: {key.replace('_', ' ')} of {record_nouns(y.measure, plural=True)} "
                    f"{change}{via}.",
                    section,
                )

    # ------------------------------------------------------------------ outcome plan

    def outcome_plan(self) -> Iterator[Change]:
        a, b = self.old.outcome_plan, self.new.outcome_plan
        if a is None and b is None:
            return
        if a is None or b is None:
            plan = b or a
            assert plan is not None
            kind = "added" if a is None else "removed"
            summary = {"name": plan.name, "headlines": list(plan.headlines)}
            text = (
                f'New outcome plan "{plan.name}", with measures for {", ".join(plan.headlines)}.'
                if a is None
                else f'Outcome plan "{plan.name}" removed.'
            )
            yield Change(
                kind,
                "outcome_plan",
                "outcome_plan",
                None,
                summary if a else None,
                summary if b else None,
                text,
            )
            if b is not None:
                for m in b.measures:
                    yield self._new_measure(m)
            return
        for attr in ("name", "source"):
            before, after = getattr(a, attr), getattr(b, attr)
            if before != after:
                yield Change(
                    "changed",
                    "outcome_plan",
                    "outcome_plan",
                    attr,
                    before,
                    after,
                    f"Outcome plan: {attr} {_text_change(before, after)}.",
                )
        if (a.sustain_months, a.sustain_param) != (b.sustain_months, b.sustain_param):
            via = _via(
                Operand(a.sustain_months, a.sustain_param),
                Operand(b.sustain_months, b.sustain_param),
                "outcome plan",
            )
            text = (
                f"Outcome plan: progress must last {amount(b.sustain_months, 'months')} instead "
                f"of {amount(a.sustain_months, 'months')}{via}."
                if a.sustain_months != b.sustain_months
                else f"Outcome plan: progress must still last {amount(b.sustain_months, 'months')}{via}."
            )
            yield Change(
                "changed",
                "outcome_plan",
                "outcome_plan",
                "sustain_months",
                a.sustain_months,
                b.sustain_months,
                text,
            )
        old = {m.id: m for m in a.measures}
        new = {m.id: m for m in b.measures}
        for mid, m in new.items():
            if mid not in old:
                yield self._new_measure(m)
            else:
                yield from self._measure(old[mid], m)
        for mid, m in old.items():
            if mid not in new:
                yield Change(
                    "removed",
                    "outcome_measure",
                    mid,
                    None,
                    {"id": mid, "name": m.name},
                    None,
                    f"Outcome measure {mid} removed from {m.headline}.",
                )

    def _new_measure(self, m: Any) -> Change:
        how = (
            f"progress when: {condition_text(m.when, self.new)}"
            if m.when is not None
            else "progress shown by a worker's documented judgement"
        )
        return Change(
            "added",
            "outcome_measure",
            m.id,
            None,
            None,
            {
                "id": m.id,
                "headline": m.headline,
                "name": m.name,
                "when": condition_text(m.when, self.new) if m.when is not None else None,
            },
            f"New outcome measure {m.id} for {m.headline}: {_lower_first(m.name)}; {how}.",
        )

    def _measure(self, a: Any, b: Any) -> Iterator[Change]:
        mid = b.id
        label = f"Outcome measure {mid}"
        for attr in ("name", "source"):
            before, after = getattr(a, attr), getattr(b, attr)
            if before != after:
                yield Change(
                    "changed",
                    "outcome_measure",
                    mid,
                    attr,
                    before,
                    after,
                    f"{label}: {attr} {_text_change(before, after)}.",
                )
        if a.applies_to != b.applies_to:
            yield Change(
                "changed",
                "outcome_measure",
                mid,
                "applies_to",
                a.applies_to,
                b.applies_to,
                f"{label} now applies to {subject_words(b.applies_to)} instead of "
                f"{subject_words(a.applies_to)}.",
            )
        yield from _sources_change(
            mid, label, a.data_sources, b.data_sources, section="outcome_plan"
        )
        yield from self._conditions(label, mid, a.when, b.when, section="outcome_plan")


# --------------------------------------------------------------------------- helpers


def _pairs(a: Condition, b: Condition) -> list[tuple[Compare, Compare]] | None:
    """The comparisons of two conditions of the same shape, side by side (None if their
    shapes differ: other connectives, other measures or comparators)."""
    if type(a) is not type(b):
        return None
    if isinstance(a, Compare):
        assert isinstance(b, Compare)
        return [(a, b)] if _same_shape(a, b) else None
    if isinstance(a, Not):
        assert isinstance(b, Not)
        return _pairs(a.item, b.item)
    assert isinstance(a, All | Any_) and isinstance(b, All | Any_)
    if len(a.items) != len(b.items):
        return None
    out: list[tuple[Compare, Compare]] = []
    for x, y in zip(a.items, b.items, strict=True):
        found = _pairs(x, y)
        if found is None:
            return None
        out += found
    return out


def _same_shape(x: Compare, y: Compare) -> bool:
    m, n = x.measure, y.measure
    return (
        x.op == y.op
        and len(x.operands) == len(y.operands)
        and (m.kind, m.field, m.records, m.open) == (n.kind, n.field, n.records, n.open)
        and [k for k, _ in m.where] == [k for k, _ in n.where]
        and all((getattr(m, a) is None) == (getattr(n, a) is None) for a, _, _ in _WINDOWS)
    )


def _pair_moved(gone: list[Indicator], came: list[Indicator]) -> list[tuple[Indicator, Indicator]]:
    """Indicators that left under one id and came back under another: the same name after
    the dot (moved to another headline), else the same condition for the same subjects."""
    pairs = []
    left = list(came)
    for a in gone:
        suffix = a.id.partition(".")[2]
        match = next((b for b in left if b.id.partition(".")[2] == suffix), None)
        if match is None:
            match = next(
                (b for b in left if b.when == a.when and b.applies_to == a.applies_to), None
            )
        if match is not None:
            left.remove(match)
            pairs.append((a, match))
    return pairs


def _sources_change(
    subject: str, label: str, a: Iterable[str], b: Iterable[str], section: str = ""
) -> Iterator[Change]:
    a, b = tuple(a), tuple(b)
    more = [s for s in b if s not in a]
    fewer = [s for s in a if s not in b]
    if not more and not fewer:
        return
    parts = []
    if more:
        parts.append(f"now also reads {listing(more, 'and')}")
    if fewer:
        parts.append(f"no longer reads {listing(fewer, 'and')}")
    yield Change(
        "changed",
        "data_sources",
        subject,
        "data_sources",
        list(a),
        list(b),
        f"{label} {' and '.join(parts)}.",
        section,
    )


def _text_change(before: str, after: str) -> str:
    """'changed from "A" to "B"', or 'now adds "X"' when the new text is the old one with
    more after it (the common case: a source that cites one more thing)."""
    if before and after.startswith(before) and after != before:
        return f'now adds "{after[len(before) :].strip()}"'
    return f'changed from "{before}" to "{after}"'


def _list_change(a: Iterable[Any], b: Iterable[Any], verb: str) -> str:
    a, b = list(a), list(b)
    more = [str(v) for v in b if v not in a]
    fewer = [str(v) for v in a if v not in b]
    parts = []
    if more:
        parts.append(f"now also {verb} {listing(more, 'and')}")
    if fewer:
        parts.append(f"no longer {verb} {listing(fewer, 'and')}")
    return "; ".join(parts) or "reordered"


def _counted(a: Measure, b: Measure) -> str:
    def nouns(types: Iterable[str]) -> str:
        return listing(
            [
                record_nouns(Measure(a.kind, records=a.records, types=(t,)), plural=True)
                for t in types
            ],
            "and",
        )

    more = [t for t in b.types if t not in a.types]
    fewer = [t for t in a.types if t not in b.types]
    parts = []
    if more:
        parts.append(f"now also counts {nouns(more)}")
    if fewer:
        parts.append(f"no longer counts {nouns(fewer)}")
    return " and ".join(parts)


def _list_via(a: Measure, b: Measure, what: str) -> str:
    old = dict(a.list_params).get(what)
    new = dict(b.list_params).get(what)
    if new and new == old:
        return f" (through parameter {new})"
    if new and old:
        return f" (now through parameter {new}, was {old})"
    if new:
        return f" (now through parameter {new})"
    if old:
        return f" (now written in the condition, was parameter {old})"
    return " (written in the condition)"


def _via(a: Operand, b: Operand, rule: str = "condition") -> str:
    """Where a threshold comes from: the parameter it names, or the `rule` itself."""
    if b.param and b.param == a.param:
        return f" (through parameter {b.param})"
    if b.param and a.param:
        return f" (now through parameter {b.param}, was {a.param})"
    if b.param:
        return f" (now through parameter {b.param}, was written in the {rule})"
    if a.param:
        return f" (now written in the {rule}, was parameter {a.param})"
    return f" (written in the {rule})"


def _via_all(a: tuple[Operand, ...], b: tuple[Operand, ...]) -> str:
    named = [q.param for q in b if q.param]
    was = [p.param for p in a if p.param]
    if not named and not was:
        return " (written in the condition)"
    if named == was:
        return f" (through parameters {listing(named, 'and')})"
    now = (
        f"now through parameters {listing(named, 'and')}"
        if named
        else "now written in the condition"
    )
    return f" ({now}{', was ' + listing(was, 'and') if was else ''})"


def _range(c: Compare, unit: str | None) -> str:
    """'between 16 and 24 years', 'between 10% and 20%', '1, 2 or 3'."""
    signs = unit in ("percent", "GBP")
    last = len(c.operands) - 1
    shown = [
        amount(o.value, unit if signs or i == last else None) for i, o in enumerate(c.operands)
    ]
    if c.op == "between":
        return f"between {shown[0]} and {shown[1]}"
    return listing(shown)


def _from_to(a: Any, b: Any, unit: str | None) -> str:
    """'from 3 to 2 exclusions', 'from 10% to 15%': a unit written once, after the second,
    unless it is a sign that goes with each number."""
    if unit in ("percent", "GBP"):
        return f"from {amount(a, unit)} to {amount(b, unit)}"
    return f"from {amount(a, None)} to {amount(b, unit)}"


def _direction(a: Any, b: Any, *, window: bool = False) -> str:
    """'raised'/'lowered' ('lengthened'/'shortened' for a window)."""
    try:
        up = b > a
    except TypeError:
        return "changed"
    if window:
        return "lengthened" if up else "shortened"
    return "raised" if up else "lowered"


def _lower_first(text: str) -> str:
    """'A child who ...' -> 'a child who ...', but 'NEET ...' stays."""
    if len(text) > 1 and text[0].isupper() and not text[1].isupper():
        return text[0].lower() + text[1:]
    return text


def _parameter(p: Parameter) -> dict[str, Any]:
    return {
        "value": p.value,
        "unit": p.unit,
        "description": p.description,
        "source": p.source,
        "review_by": p.review_by,
    }


def _iso(day: dt.date | None) -> str:
    return day.isoformat() if day is not None else "none"


def _ref(identity: dict[str, Any]) -> str:
    return f"{identity['id']}@{identity['version']}"


def _plain(value: Any) -> Any:
    """JSON data: tuples as lists, dates as ISO text."""
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, tuple | list):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    return value
