"""The condition language of rulesets: its syntax tree, its parser, and reference evaluation.

A condition is `all`/`any`/`not` over comparisons; a comparison applies one
comparator to one *measure* of a subject (a member or the household). Measures
are computed from the facts by `measures.py`; durable_rules then matches the
comparisons (see `compile.py`), and `holds()` here is the independent
plain-Python reading of the same tree, used by the trace and the property tests.

Closed world: a measure with no value (no school record, no terms in the
window) makes every comparison on it false; `not` is then true.

Missing is not false: while a source is unchecked, records from it may still
arrive, so a measure may yet take other values, its `Reach`. `could_hold`
says whether some value in reach makes a condition true: an indicator not met
is unknown only if it could hold. Records are only ever added, so a count can
grow but not shrink, and a term already reported stays as it is.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from .errors import suggest
from .facts import BENEFIT_TYPES, EVENT_TYPES, FLAG_NAMES, UC_REGIMES

SUBJECTS = ("child", "adult", "any_member", "household")
TERM_FIELDS = (
    "possible_sessions",
    "absent_sessions",
    "unauthorised_sessions",
    "fixed_term_exclusions",
    "permanently_excluded",
)

# Member fields a `field:` comparison may name: (value type, allowed values for enums).
MEMBER_FIELDS: dict[str, tuple[str, tuple[str, ...]]] = {
    "age": ("number", ()),
    "role": ("enum", ("adult", "child")),
    "parenting_responsibility": ("bool", ()),
    "school.registered": ("bool", ()),
    "school.education_otherwise": ("bool", ()),
    "school.alternative_provision": ("enum", ("behaviour", "other")),
    **{f"flags.{name}": ("bool", ()) for name in FLAG_NAMES},
}
# `where:` filters on records, per record kind: (value type, allowed values).
WHERE_KEYS: dict[str, dict[str, tuple[str, tuple[str, ...]]]] = {
    "event": {
        "role": ("enum", ("victim", "perpetrator", "at_risk", "witness")),
        "kind": ("text", ()),
    },
    "benefit": {"work_search": ("bool", ()), "conditionality": ("enum", UC_REGIMES)},
}
# Fields that come with the family document itself, from no partner source: a record
# arriving later cannot change them.
SOURCE_FREE_FIELDS = frozenset({"age", "role", "parenting_responsibility"})
SUM_FIELDS = {"event": ("amount_gbp",), "benefit": ()}

MEASURE_KINDS = (
    "field",
    "count",
    "sum",
    "mean",
    "absence_rate",
    "attendance_rate",
    "term_total",
    "reduction_pct",
)
TERM_KINDS = ("absence_rate", "attendance_rate", "term_total")
# Windows about the entry date, for an outcome plan's progress measures only.
ENTRY_WINDOWS = ("before_entry_months", "after_entry_months")
NUMERIC_COMPARATORS = ("at_least", "more_than", "at_most", "below")
COMPARATORS = ("is", "is_not", *NUMERIC_COMPARATORS, "between", "one_of")
# Comparators as a phrase in running text ("at least 10"), where COMPARATOR_WORDS are symbols.
COMPARATOR_PHRASES = {
    "is": "is",
    "is_not": "is not",
    "at_least": "at least",
    "more_than": "more than",
    "at_most": "at most",
    "below": "below",
    "between": "between",
    "one_of": "one of",
}
COMPARATOR_WORDS = {
    "is": "is",
    "is_not": "is not",
    "at_least": ">=",
    "more_than": ">",
    "at_most": "<=",
    "below": "<",
    "between": "between",
    "one_of": "one of",
}


@dataclass(frozen=True)
class Operand:
    """A literal value, or the resolved value of a named parameter."""

    value: Any
    param: str | None = None

    def describe(self) -> str:
        shown = _fmt(self.value)
        return f"{shown} ({self.param})" if self.param else shown


@dataclass(frozen=True)
class Measure:
    """What a comparison looks at on one subject; `key` names it in derived facts."""

    kind: str
    field: str | None = None
    records: str | None = None  # "event" or "benefit" for count/sum/mean
    types: tuple[str, ...] = ()
    within_months: Operand | None = None
    open: bool = False
    due_within_months: Operand | None = None
    where: tuple[tuple[str, tuple[Any, ...]], ...] = ()
    last_terms: Operand | None = None
    before_entry_months: Operand | None = None  # the N months up to the entry date
    after_entry_months: Operand | None = None  # the N months after it
    months: Operand | None = None  # reduction_pct: N months before entry against N after
    # (what, list parameter) for selections written as a parameter: ("event", "kinds_counted")
    list_params: tuple[tuple[str, str], ...] = dataclasses.field(default=(), compare=False)

    @cached_property
    def key(self) -> str:
        """Stable identity of the measure: equal measures share one computed value."""
        parts = [self.kind]
        if self.field:
            parts.append(self.field)
        if self.records:
            parts.append(f"{self.records}={'|'.join(self.types)}")
        if self.within_months is not None:
            parts.append(f"within={self.within_months.value}m")
        if self.open:
            parts.append("open")
        if self.due_within_months is not None:
            parts.append(f"due={self.due_within_months.value}m")
        for name, values in self.where:
            parts.append(f"{name}={'|'.join(map(str, values))}")
        if self.last_terms is not None:
            parts.append(f"terms={self.last_terms.value}")
        if self.before_entry_months is not None:
            parts.append(f"before_entry={self.before_entry_months.value}m")
        if self.after_entry_months is not None:
            parts.append(f"after_entry={self.after_entry_months.value}m")
        if self.months is not None:
            parts.append(f"months={self.months.value}")
        return ";".join(parts)

    @property
    def value_type(self) -> str:
        if self.kind == "field":
            return MEMBER_FIELDS[self.field or ""][0]
        return "number"

    @property
    def source_free(self) -> bool:
        """Whether no partner source feeds this measure (so its value is final)."""
        return self.kind == "field" and self.field in SOURCE_FREE_FIELDS

    @property
    def domain(self) -> tuple[Any, ...]:
        """Every value a true/false or text measure can have, None (no value) included."""
        vtype, allowed = MEMBER_FIELDS[self.field or ""]
        return (None, True, False) if vtype == "bool" else (None, *allowed)


@dataclass(frozen=True)
class Compare:
    """`measure <comparator> operands`; `path` locates it in the ruleset file."""

    measure: Measure
    op: str
    operands: tuple[Operand, ...]
    path: tuple[str | int, ...] = field(default=(), compare=False)


@dataclass(frozen=True)
class All:
    items: tuple[Condition, ...]


@dataclass(frozen=True)
class Any_:
    items: tuple[Condition, ...]


@dataclass(frozen=True)
class Not:
    item: Condition


Condition = Compare | All | Any_ | Not


def compare(value: Any, op: str, operands: tuple[Operand, ...]) -> bool:
    """Apply one comparator; a missing value (None) never satisfies a comparison."""
    if value is None:
        return False
    first = operands[0].value
    if op == "is":
        return value == first
    if op == "is_not":
        return value != first
    if op == "at_least":
        return value >= first
    if op == "more_than":
        return value > first
    if op == "at_most":
        return value <= first
    if op == "below":
        return value < first
    if op == "between":
        return first <= value <= operands[1].value
    if op == "one_of":
        return value in {o.value for o in operands}
    raise ValueError(f"unknown comparator {op!r}")


# A reach with no lower bound (a reduction that records yet to arrive could turn into any
# rise), as a number: durable_rules compares numbers, so it cannot be minus infinity.
NO_LOWER_BOUND = -(10**15)


@dataclass(frozen=True)
class Reach:
    """The values a measure could take if records from unchecked sources were added.

    For numbers, every value from `lo` to `hi` (None: no upper bound; `lo` None:
    no number at all), and "no value" too if `none`. For true/false and text
    measures, the set `values`. Ranges are read as real intervals: a count
    between 2 and 3 "could be" 2.5; this only ever errs towards unknown.
    """

    lo: float | None = None
    hi: float | None = None
    none: bool = False
    values: frozenset[Any] | None = None

    @classmethod
    def exact(cls, value: Any, numeric: bool) -> Reach:
        """A value no record can change."""
        if not numeric:
            return cls(values=frozenset([value]))
        return cls(none=True) if value is None else cls(lo=value, hi=value)

    @property
    def unbounded(self) -> bool:
        return self.lo is not None and self.hi is None

    def to_dict(self) -> dict[str, Any]:
        """As the trace shows it."""
        if self.values is not None:
            return {"could_be": sorted(self.values, key=lambda v: (v is None, str(v)))}
        out: dict[str, Any] = {"min": self.lo, "max": self.hi}
        if self.none:
            out["or_no_value"] = True
        return out


def _interval_could(c: Compare, r: Reach, want: bool) -> bool:
    """Whether some number in [r.lo, r.hi] gives `want` for comparison `c`."""
    lo, hi = r.lo, r.hi
    assert lo is not None
    top = float("inf") if hi is None else hi
    values = [o.value for o in c.operands]
    t = values[0]
    match c.op, want:
        case "at_least", True:
            return top >= t
        case "at_least", False:
            return lo < t
        case "more_than", True:
            return top > t
        case "more_than", False:
            return lo <= t
        case "at_most", True:
            return lo <= t
        case "at_most", False:
            return top > t
        case "below", True:
            return lo < t
        case "below", False:
            return top >= t
        case "between", True:
            return lo <= values[1] and top >= t
        case "between", False:
            return lo < t or top > values[1]
        case "is", True:
            return lo <= t <= top
        case "is", False:
            return not (lo == t == top)
        case "is_not", True:
            return not (lo == t == top)
        case "is_not", False:
            return lo <= t <= top
        case "one_of", True:
            return any(lo <= v <= top for v in values)
        case "one_of", False:
            return not (lo == top and lo in values)
    raise ValueError(f"unknown comparator {c.op!r}")


def _leaf_could(c: Compare, r: Reach, want: bool) -> bool:
    """Whether some value in reach makes comparison `c` come out as `want`."""
    if r.values is not None:
        return any(compare(v, c.op, c.operands) == want for v in r.values)
    if not want and r.none:
        return True  # no value fails every comparison
    return r.lo is not None and _interval_could(c, r, want)


def could(condition: Condition, reach: Mapping[str, Reach], want: bool = True) -> bool:
    """Whether some values within reach make the condition come out as `want` (the
    reference reading; `compile.could` is the engine's).

    Each measure is taken on its own: where a condition tests one measure twice,
    or two measures that count the same records, this may answer yes where no
    single set of records would; it never answers no where one would.
    """
    if isinstance(condition, Compare):
        return _leaf_could(condition, reach[condition.measure.key], want)
    if isinstance(condition, All | Any_):
        parts = (could(c, reach, want) for c in condition.items)
        # all parts must come out as wanted for (All, true) and (Any, false); one for the others
        return all(parts) if isinstance(condition, All) == want else any(parts)
    return could(condition.item, reach, not want)


def could_hold(condition: Condition, reach: Mapping[str, Reach]) -> bool:
    """Whether some values within reach make the condition true."""
    return could(condition, reach, True)


def holds(condition: Condition, values: Mapping[str, Any]) -> bool:
    """Reference evaluation of a condition over one subject's measure values."""
    if isinstance(condition, Compare):
        return compare(values.get(condition.measure.key), condition.op, condition.operands)
    if isinstance(condition, All):
        return all(holds(c, values) for c in condition.items)
    if isinstance(condition, Any_):
        return any(holds(c, values) for c in condition.items)
    return not holds(condition.item, values)


def comparisons(condition: Condition | None) -> Iterator[Compare]:
    """Every comparison in a condition, in order (none in None: a judgement-only measure)."""
    if condition is None:
        return
    if isinstance(condition, Compare):
        yield condition
    elif isinstance(condition, Not):
        yield from comparisons(condition.item)
    else:
        for item in condition.items:
            yield from comparisons(item)


def measures_of(condition: Condition) -> list[Measure]:
    """Every measure a condition uses, in order of first appearance."""
    if isinstance(condition, Compare):
        return [condition.measure]
    items = (condition.item,) if isinstance(condition, Not) else condition.items
    seen: dict[str, Measure] = {}
    for item in items:
        for m in measures_of(item):
            seen.setdefault(m.key, m)
    return list(seen.values())


def _fmt(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


# --------------------------------------------------------------------------- parsing

Path = tuple[str | int, ...]
Report = Callable[[Path, str], None]


@dataclass
class ConditionParser:
    """Turns a `when:` mapping into a Condition, reporting every problem with its path.

    The JSON Schema has already checked shapes; this checks meaning: parameter
    names, fields, event types, comparator/measure compatibility and subjects.
    Malformed pieces the schema reported are skipped silently (return None).
    """

    parameters: Mapping[str, float | int | None]  # None: named, but its value is broken
    report: Report
    lists: Mapping[str, tuple[str, ...]] = field(default_factory=dict)  # list parameters
    # An outcome plan's measures: windows about the entry date, reduction_pct, and the
    # household's school terms (every member's together) are allowed.
    progress: bool = False

    def parse(self, node: Any, path: Path, applies_to: str) -> Condition | None:
        if not isinstance(node, dict) or not node:
            return None
        if "all" in node or "any" in node:
            key = "all" if "all" in node else "any"
            items = node.get(key)
            if not isinstance(items, list):
                return None
            parsed = [self.parse(item, (*path, key, i), applies_to) for i, item in enumerate(items)]
            if any(p is None for p in parsed) or not parsed:
                return None
            return All(tuple(parsed)) if key == "all" else Any_(tuple(parsed))  # type: ignore[arg-type]
        if "not" in node:
            inner = self.parse(node.get("not"), (*path, "not"), applies_to)
            return Not(inner) if inner is not None else None
        return self._comparison(node, path, applies_to)

    def _comparison(self, node: dict, path: Path, applies_to: str) -> Compare | None:
        if any(k not in MEASURE_KINDS and k not in COMPARATORS for k in node):
            return None  # an unknown key: the schema has reported it, with a suggestion
        kinds = [k for k in node if k in MEASURE_KINDS]
        ops = [k for k in node if k in COMPARATORS]
        if len(kinds) != 1:
            if not kinds:
                self.report(
                    path, f"a comparison needs one measure: one of {', '.join(MEASURE_KINDS)}"
                )
            else:
                self.report(path, f"a comparison has one measure, found {', '.join(kinds)}")
            return None
        if len(ops) > 1:
            self.report(path, f"a comparison has one comparator, found {', '.join(ops)}")
            return None
        kind = kinds[0]
        measure = self._measure(kind, node[kind], (*path, kind), applies_to)
        if measure is None:
            return None
        if not ops:
            if measure.value_type != "bool":
                self.report(
                    path,
                    f"'{kind}' gives a number, so say how to compare it: "
                    f"one of {', '.join(NUMERIC_COMPARATORS)}, between, is",
                )
                return None
            return Compare(measure, "is", (Operand(True),), path)
        op = ops[0]
        operands = self._operands(measure, op, node[op], (*path, op))
        if operands is None:
            return None
        return Compare(measure, op, operands, path)

    def _operands(
        self, measure: Measure, op: str, raw: Any, path: Path
    ) -> tuple[Operand, ...] | None:
        vtype = measure.value_type
        if vtype in ("bool", "enum") and op not in ("is", "is_not", "one_of"):
            self.report(
                path, f"'{op}' compares numbers, but '{measure.field}' is a {_type_word(vtype)}"
            )
            return None
        if op == "between":
            if not isinstance(raw, list) or len(raw) != 2:
                return None
            ends = [self._number(v, (*path, i)) for i, v in enumerate(raw)]
            if any(e is None for e in ends):
                return None
            if ends[0].value > ends[1].value:  # type: ignore[union-attr]
                self.report(
                    path,
                    f"between needs the lower bound first, got {_fmt(raw[0])} > {_fmt(raw[1])}",
                )
                return None
            return tuple(ends)  # type: ignore[arg-type]
        items = raw if op == "one_of" else [raw]
        if not isinstance(items, list):
            return None
        out = []
        for i, item in enumerate(items):
            at = (*path, i) if op == "one_of" else path
            operand = (
                self._literal(measure, item, at) if vtype != "number" else self._number(item, at)
            )
            if operand is None:
                return None
            out.append(operand)
        return tuple(out)

    def _literal(self, measure: Measure, value: Any, path: Path) -> Operand | None:
        vtype, allowed = MEMBER_FIELDS[measure.field or ""]
        if vtype == "bool":
            if not isinstance(value, bool):
                self.report(path, f"'{measure.field}' is true or false, got {value!r}")
                return None
        elif value not in allowed:
            self.report(
                path,
                f"'{measure.field}' is one of {', '.join(allowed)}, got {value!r}{suggest(value, allowed)}",
            )
            return None
        return Operand(value)

    def _number(self, value: Any, path: Path) -> Operand | None:
        """A number literal, or a parameter name resolved to its value."""
        if isinstance(value, bool):
            self.report(path, f"expected a number or a parameter name, got {_fmt(value)}")
            return None
        if isinstance(value, int | float):
            return Operand(value)
        if isinstance(value, str):
            if value in self.parameters:
                resolved = self.parameters[value]
                return Operand(resolved, param=value) if resolved is not None else None
            self.report(path, f"unknown parameter '{value}'{suggest(value, self.parameters)}")
            return None
        return None

    def _count(self, value: Any, path: Path, *, least: int = 1) -> Operand | None:
        """A window or term count: a whole number of at least `least`."""
        if isinstance(value, str) and value in self.lists:
            self.report(path, f"'{value}' is a list of names; a number is needed here")
            return None
        operand = self._number(value, path)
        if operand is None:
            return None
        if not float(operand.value).is_integer() or operand.value < least:
            self.report(
                path, f"expected a whole number of at least {least}, got {operand.describe()}"
            )
            return None
        return Operand(int(operand.value), operand.param)

    def _names(self, raw: Any) -> tuple[list[Any], str | None]:
        """A list of names as written, or the values of the list parameter it names."""
        if isinstance(raw, str) and raw in self.lists:
            return list(self.lists[raw]), raw
        if isinstance(raw, list):
            return list(raw), None
        # a single name (or a value the schema has already reported as the wrong type)
        return ([raw] if raw is not None and not isinstance(raw, dict) else []), None

    def _measure(self, kind: str, raw: Any, path: Path, applies_to: str) -> Measure | None:
        if kind == "field":
            if not isinstance(raw, str):
                return None
            if applies_to == "household":
                self.report(
                    path,
                    f"'field: {raw}' describes a member, but this indicator applies to the household",
                )
                return None
            if raw not in MEMBER_FIELDS:
                self.report(path, f"unknown field '{raw}'{suggest(raw, MEMBER_FIELDS)}")
                return None
            return Measure("field", field=raw)
        if not isinstance(raw, dict):
            return None
        if kind in TERM_KINDS:
            if applies_to == "household" and not self.progress:
                self.report(
                    path,
                    f"'{kind}' reads a child's school terms; this indicator applies to the household",
                )
                return None
            terms = self._count(raw.get("last_terms"), (*path, "last_terms"))
            if terms is None:
                return None
            return Measure(
                kind, field=raw.get("field") if kind == "term_total" else None, last_terms=terms
            )
        if kind == "reduction_pct" and not self.progress:
            self.report(
                path,
                "'reduction_pct' compares the months before and after entry: it is for an "
                "outcome plan's measures",
            )
            return None
        return self._records(kind, raw, path)

    def _entry_windows(self, kind: str, raw: dict, path: Path) -> dict[str, Operand] | None:
        """An outcome plan's windows about the entry date (None if any is wrong)."""
        out: dict[str, Operand] = {}
        keys = [k for k in (*ENTRY_WINDOWS, "months") if k in raw]
        if keys and not self.progress:
            self.report(
                (*path, keys[0]),
                f"'{keys[0]}' counts from the entry date: it is for an outcome plan's measures",
            )
            return None
        if kind == "reduction_pct":
            if "months" not in raw or len(keys) > 1:
                self.report(path, "'reduction_pct' takes 'months' (and no other window)")
                return None
        elif "months" in raw:
            self.report((*path, "months"), "'months' is for reduction_pct")
            return None
        elif len(keys) > 1 or (keys and ("within_months" in raw or raw.get("open"))):
            self.report(path, "a selection has one window: within_months, open, or one about entry")
            return None
        for key in keys:
            operand = self._count(raw[key], (*path, key))
            if operand is None:
                return None
            out[key] = operand
        return out

    def _records(self, kind: str, raw: dict, path: Path) -> Measure | None:
        """count/sum/mean over events or benefits, with window, open and where filters."""
        sources = [k for k in ("event", "benefit") if k in raw]
        if len(sources) != 1:
            self.report(path, f"'{kind}' needs exactly one of 'event' or 'benefit'")
            return None
        records = sources[0]
        names, names_param = self._names(raw[records])
        known = EVENT_TYPES if records == "event" else BENEFIT_TYPES
        ok = True
        for i, name in enumerate(names):
            if name not in known:
                at = (*path, records) if isinstance(raw[records], str) else (*path, records, i)
                where_from = f" (in parameter '{names_param}')" if names_param else ""
                choices = [*known, *self.lists]
                self.report(
                    at,
                    f"unknown {records} type '{name}'{where_from}{suggest(name, choices)}",
                )
                ok = False
        windows = self._entry_windows(kind, raw, path)
        ok = ok and windows is not None
        if kind == "reduction_pct" and records != "event":
            self.report((*path, records), "'reduction_pct' counts events")
            ok = False
        field_name = raw.get("field")
        if kind in ("sum", "mean"):
            if field_name not in SUM_FIELDS[records]:
                allowed = ", ".join(SUM_FIELDS[records]) or "none"
                self.report(
                    (*path, "field"), f"'{kind}' needs a numeric field of the {records}s: {allowed}"
                )
                ok = False
        elif field_name is not None:
            self.report((*path, "field"), f"'field' is only for sum and mean, not {kind}")
            ok = False
        within = due = None
        is_open = bool(raw.get("open", False))
        if "within_months" in raw:
            # 0 months with open: true means "open on the assessment date" (no look-back)
            within = self._count(
                raw["within_months"], (*path, "within_months"), least=0 if is_open else 1
            )
            ok = ok and within is not None
        if "due_within_months" in raw:
            if records != "event" or names != ["custody"]:
                self.report(
                    (*path, "due_within_months"),
                    "'due_within_months' applies to custody events only",
                )
                ok = False
            due = self._count(raw["due_within_months"], (*path, "due_within_months"))
            ok = ok and due is not None
        where = []
        params: list[tuple[str, str]] = [(records, names_param)] if names_param else []
        for key, value in (raw.get("where") or {}).items():
            spec = WHERE_KEYS[records].get(key)
            if spec is None:
                choices = WHERE_KEYS[records]
                self.report(
                    (*path, "where", key),
                    f"cannot filter {records}s on '{key}'{suggest(key, choices)}",
                )
                ok = False
                continue
            listed, values_param = self._names(value)
            values = tuple(listed)
            if values_param:
                params.append((f"where.{key}", values_param))
            vtype, allowed = spec
            for v in values:
                bad = (vtype == "bool" and not isinstance(v, bool)) or (
                    vtype == "enum" and v not in allowed
                )
                if bad:
                    expected = "true or false" if vtype == "bool" else ", ".join(allowed)
                    self.report(
                        (*path, "where", key),
                        f"'{key}' is {expected}, got {v!r}{suggest(v, allowed)}",
                    )
                    ok = False
            where.append((key, values))
        if not ok:
            return None
        return Measure(
            kind,
            field=field_name,
            records=records,
            types=tuple(names),
            within_months=within,
            open=is_open,
            due_within_months=due,
            where=tuple(sorted(where)),
            list_params=tuple(params),
            **(windows or {}),
        )


def _type_word(vtype: str) -> str:
    return {"bool": "true/false field", "enum": "text field with fixed values"}.get(vtype, vtype)
