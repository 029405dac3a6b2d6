"""Conditions in a caseworker's words: "at least 1 proven offence in the last 12 months",
"aged 16 to 24", "absence of at least 10% of sessions over the last 3 terms".

Pure and general (the semantic diff uses it, and so will the reviewer pages): a parsed
Condition becomes one sentence with no comparator symbols, no parameter names (unless
asked for) and true/false said as words. Closed world: a measure with no value meets no
comparison, so `not` over a true/false field reads "not ..." (false, or not known).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from ..conditions import All, Compare, Condition, Measure, Not, Operand
from ..ruleset import Ruleset

# (one, several) of each kind of record a count reads
EVENT_NOUNS: dict[str, tuple[str, str]] = {
    "proven_offence": ("proven offence", "proven offences"),
    "asb_intervention": (
        "anti-social behaviour intervention",
        "anti-social behaviour interventions",
    ),
    "custody": ("custodial sentence", "custodial sentences"),
    "licence_supervision": (
        "period on licence or under supervision",
        "periods on licence or under supervision",
    ),
    "crime_prevention_priority": (
        "naming as a crime prevention priority",
        "namings as a crime prevention priority",
    ),
    "child_in_need": ("Child in Need episode", "Child in Need episodes"),
    "child_protection_plan": ("Child Protection Plan", "Child Protection Plans"),
    "early_help": ("early help assessment", "early help assessments"),
    "neet": (
        "spell not in education, employment or training",
        "spells not in education, employment or training",
    ),
    "domestic_abuse": ("domestic abuse incident", "domestic abuse incidents"),
    "domestic_abuse_callout": ("domestic abuse call-out", "domestic abuse call-outs"),
    "rent_arrears": ("rent arrears record", "rent arrears records"),
    "problem_debt": ("problem debt record", "problem debt records"),
    "eviction_risk": ("risk of eviction", "risks of eviction"),
}
BENEFIT_NAMES: dict[str, str] = {
    "JSA": "Jobseeker's Allowance",
    "ESA": "Employment and Support Allowance",
    "IS": "Income Support",
    "UC": "Universal Credit",
    "other": "other benefit",
}
TERM_NOUNS: dict[str, tuple[str, str]] = {
    "fixed_term_exclusions": ("fixed-term exclusion", "fixed-term exclusions"),
    "permanently_excluded": ("permanent exclusion", "permanent exclusions"),
    "unauthorised_sessions": (
        "session of unauthorised absence",
        "sessions of unauthorised absence",
    ),
    "absent_sessions": ("session missed", "sessions missed"),
    "possible_sessions": ("possible session", "possible sessions"),
}
# A true/false field, as said of a member when it is true.
TRUE_PHRASES: dict[str, str] = {
    "parenting_responsibility": "with parenting responsibility",
    "school.registered": "registered at a school",
    "school.education_otherwise": "educated otherwise than at school",
    "flags.mental_health_support": "needing support for a mental health problem",
    "flags.substance_misuse": "with a drug or alcohol problem",
    "flags.new_mother": "a new mother",
    "flags.poor_parenting_factors": "with other factors of poor parenting",
    "flags.missed_immunisations": "with missed immunisations",
    "flags.poor_dental_health": "with poor dental health",
    "flags.missed_development_checks": "with missed development checks",
    "flags.leaving_school_no_plan": (
        "about to leave school with no planned education, training or employment"
    ),
    "flags.expectant": "an expectant parent",
    "flags.full_time_education": "in full-time education or training",
}
ENUM_PHRASES: dict[tuple[str, str], str] = {
    ("role", "adult"): "an adult",
    ("role", "child"): "a child",
    ("school.alternative_provision", "behaviour"): "in alternative provision because of behaviour",
    ("school.alternative_provision", "other"): "in alternative provision for another reason",
}
ROLE_WORDS = {
    "victim": "as a victim",
    "perpetrator": "as the perpetrator",
    "at_risk": "at risk",
    "witness": "as a witness",
}
# Whom an indicator applies to, as a plural noun phrase ("for children").
SUBJECT_WORDS = {
    "child": "children",
    "adult": "adults",
    "any_member": "any member",
    "household": "the household",
    "family": "the family as a whole",
    "every_child": "every child",
    "every_adult": "every adult",
}
_RATE_KINDS = ("absence_rate", "attendance_rate", "reduction_pct")


# --------------------------------------------------------------------------- small words


def number(value: Any) -> str:
    """A number as people write it: 12, 2.5; true/false as yes/no words."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def listing(items: Iterable[str], last: str = "or") -> str:
    """'a', 'a or b', 'a, b or c'."""
    items = list(items)
    if len(items) <= 1:
        return "".join(items)
    return f"{', '.join(items[:-1])} {last} {items[-1]}"


def amount(value: Any, unit: str | None) -> str:
    """A value with its unit: '10%', '£1000', '3 exclusions', '1 month', 'a, b'."""
    if isinstance(value, list | tuple):
        return ", ".join(map(str, value))
    shown = number(value)
    if unit in ("percent", "%"):
        return f"{shown}%"
    if unit == "GBP":
        return f"£{shown}"
    if not unit:
        return shown
    if value == 1 and unit.endswith("s"):
        unit = unit[:-1]
    return f"{shown} {unit}"


def words(name: str) -> str:
    """An identifier read aloud: 'work_preparation' -> 'work preparation'."""
    return name.replace("_", " ")


def unit_of(measure: Measure, operand: Operand, ruleset: Ruleset | None = None) -> str | None:
    """The unit a threshold on `measure` is in: percent for rates, years for age, £ for
    amounts, else the unit of the parameter it names."""
    if measure.kind in _RATE_KINDS:
        return "percent"
    if measure.kind == "field" and measure.field == "age":
        return "years"
    if measure.kind in ("sum", "mean"):
        return "GBP"
    if ruleset is not None and operand.param and operand.param in ruleset.parameters:
        return ruleset.parameters[operand.param].unit
    return None


def measure_name(measure: Measure) -> str:
    """A short noun for what a comparison looks at: 'age', 'absence rate', 'number of
    proven offences'."""
    if measure.kind == "field":
        field = measure.field or ""
        if field in TRUE_PHRASES:
            return TRUE_PHRASES[field].removeprefix("with ")
        return words(field.removeprefix("school.")) if field != "age" else "age"
    if measure.kind in ("absence_rate", "attendance_rate"):
        return words(measure.kind)
    if measure.kind == "term_total":
        return TERM_NOUNS.get(measure.field or "", ("", words(measure.field or "")))[1]
    if measure.kind == "reduction_pct":
        return f"fall in {record_nouns(measure, plural=True)}"
    if measure.kind == "sum":
        return f"total amount of {record_nouns(measure, plural=True)}"
    if measure.kind == "mean":
        return f"average amount of {record_nouns(measure, plural=True)}"
    return f"number of {record_nouns(measure, plural=True)}"


# --------------------------------------------------------------------------- conditions


def condition_text(
    condition: Condition, ruleset: Ruleset | None = None, *, parameters: bool = False
) -> str:
    """A condition as one sentence a caseworker reads. With `parameters`, each threshold or
    window taken from a named parameter names it in brackets (for policy officers)."""
    return _Renderer(ruleset, parameters).condition(condition, nested=False)


def subject_words(applies_to: str) -> str:
    """'children', 'adults', 'any member', 'the household'."""
    return SUBJECT_WORDS.get(applies_to, words(applies_to))


class _Renderer:
    def __init__(self, ruleset: Ruleset | None, parameters: bool) -> None:
        self.ruleset = ruleset
        self.parameters = parameters

    def condition(self, c: Condition, *, nested: bool) -> str:
        if isinstance(c, Compare):
            return self.compare(c)
        if isinstance(c, Not):
            return self.negation(c.item)
        parts = [self.condition(item, nested=True) for item in c.items]
        word = "and" if isinstance(c, All) else "or"
        if any("," in part for part in parts) and len(parts) > 1:
            # parts that hold commas of their own are kept apart by semicolons
            text = "; ".join(parts[:-1]) + f"; {word} {parts[-1]}"
        else:
            text = listing(parts, word)
        return f"({text})" if nested and len(parts) > 1 else text

    def negation(self, c: Condition) -> str:
        if isinstance(c, Compare):
            wanted = _truth_wanted(c)
            if wanted is not None:  # not (x is true): false, or not known
                positive = _true_phrase(c.measure.field or "")
                return _negative(positive) if wanted else f"{positive} (or not known)"
            flipped = _flip(c)
            if flipped is not None:
                return self.compare(flipped)
            return "not " + self.compare(c)
        return f"not {self.condition(c, nested=True)}"

    # ------------------------------------------------------------------ comparisons

    def operand(self, o: Operand, unit: str | None = None) -> str:
        shown = amount(o.value, unit) if unit in ("percent", "GBP") else number(o.value)
        return f"{shown} ({o.param})" if self.parameters and o.param else shown

    def window(self, o: Operand | None, unit: str) -> str:
        """'12 months' (with its parameter, if asked)."""
        assert o is not None
        shown = amount(o.value, unit)
        return f"{shown} ({o.param})" if self.parameters and o.param else shown

    def quantity(self, c: Compare, unit: str | None = None) -> str:
        """'at least 3', 'fewer than 2', 'between 16 and 24', 'no'."""
        ops = c.operands
        first = self.operand(ops[0], unit)
        if c.op == "between":
            return f"between {first} and {self.operand(ops[1], unit)}"
        if c.op == "one_of":
            return listing(self.operand(o, unit) for o in ops)
        zero = ops[0].value == 0 and unit not in ("percent", "GBP") and not self.parameters
        return {
            "at_least": f"at least {first}",
            "more_than": f"more than {first}",
            "at_most": "no" if zero else f"at most {first}",
            "below": (
                f"less than {first}"
                if unit in ("percent", "GBP")
                else ("no" if ops[0].value == 1 and not self.parameters else f"fewer than {first}")
            ),
            "is": "no" if zero else f"exactly {first}",
            "is_not": f"other than {first}",
        }[c.op]

    def compare(self, c: Compare) -> str:
        m = c.measure
        if m.kind == "field":
            return self.field(c)
        if m.kind in ("absence_rate", "attendance_rate"):
            what = "absence" if m.kind == "absence_rate" else "attendance"
            return f"{what} of {self.quantity(c, 'percent')} of sessions {self.terms(m)}"
        if m.kind == "term_total":
            one, many = TERM_NOUNS.get(m.field or "", (words(m.field or ""),) * 2)
            noun = one if _singular(c) else many
            return f"{self.quantity(c)} {noun} {self.terms(m)}"
        if m.kind == "reduction_pct":
            assert m.months is not None
            n = self.window(m.months, "months")
            return (
                f"a fall of {self.quantity(c, 'percent')} in {record_nouns(m, plural=True)}"
                f"{self.where(m)}, the {n} after entry against the {n} before"
            )
        if m.kind in ("sum", "mean"):
            per = (
                "in total" if m.kind == "sum" else f"on average per {record_nouns(m, plural=False)}"
            )
            return (
                f"{words(m.field or 'amount')} of {self.quantity(c, 'GBP')} {per} over "
                f"{record_nouns(m, plural=True)}{self.where(m)}{self.span(m)}"
            )
        noun = record_nouns(m, plural=not _singular(c))
        return f"{self.quantity(c)} {noun}{self.where(m)}{self.span(m)}"

    def terms(self, m: Measure) -> str:
        assert m.last_terms is not None
        if m.last_terms.value == 1 and not (self.parameters and m.last_terms.param):
            return "over the last term"
        return f"over the last {self.window(m.last_terms, 'terms')}"

    def span(self, m: Measure) -> str:
        """When the records counted happened: ' in the last 12 months', ' open now', ..."""
        parts = []
        within = m.within_months
        if m.open:
            if within is not None and within.value:
                parts.append(
                    f" open now or at any time in the last {self.window(within, 'months')}"
                )
            else:
                parts.append(" open now")
        elif within is not None:
            parts.append(f" in the last {self.window(within, 'months')}")
        if m.due_within_months is not None:
            parts.append(f", with release due within {self.window(m.due_within_months, 'months')}")
        if m.before_entry_months is not None:
            parts.append(f" in the {self.window(m.before_entry_months, 'months')} before entry")
        if m.after_entry_months is not None:
            parts.append(f" in the {self.window(m.after_entry_months, 'months')} after entry")
        return "".join(parts)

    def where(self, m: Measure) -> str:
        """The filters on records: ' as a victim or at risk', ' with work-search
        requirements', ' of kind tenancy warning or possession order'."""
        out = []
        for key, values in m.where:
            if key == "role":
                out.append(listing(ROLE_WORDS.get(v, words(str(v))) for v in values))
            elif key == "work_search":
                wants = set(values)
                if wants == {True}:
                    out.append("with work-search requirements")
                elif wants == {False}:
                    out.append("without work-search requirements")
                else:
                    out.append("with or without work-search requirements")
            elif key == "conditionality":
                out.append(f"in the {listing(words(str(v)) for v in values)} regime")
            else:
                out.append(f"of {words(key)} {listing(words(str(v)) for v in values)}")
        return "".join(f" {part}" for part in out)

    def field(self, c: Compare) -> str:
        name = c.measure.field or ""
        if name == "age":
            return self.age(c)
        values = [o.value for o in c.operands]
        if c.measure.value_type == "bool":
            positive = _true_phrase(name)
            wanted = _truth_wanted(c)
            if wanted is None:
                return f"{positive} (or known not to be)"
            return positive if wanted else _negative(positive)
        phrases = [
            ENUM_PHRASES.get((name, str(v)), f"{words(name)} {words(str(v))}") for v in values
        ]
        if c.op == "is_not":
            return _negative(phrases[0])
        return listing(phrases)

    def age(self, c: Compare) -> str:
        ops = c.operands
        first = self.operand(ops[0])
        return {
            "at_least": f"aged {first} or over",
            "more_than": f"aged over {first}",
            "at_most": f"aged {first} or under",
            "below": f"aged under {first}",
            "is": f"aged {first}",
            "is_not": f"not aged {first}",
            "between": f"aged {first} to {self.operand(ops[-1])}",
            "one_of": f"aged {listing(self.operand(o) for o in ops)}",
        }[c.op]


def record_nouns(m: Measure, *, plural: bool) -> str:
    """The records a selection reads: 'proven offences', 'Universal Credit claim'."""
    if m.records == "benefit":
        names = listing(BENEFIT_NAMES.get(t, t) for t in m.types)
        return f"{names} {'claims' if plural else 'claim'}"
    index = 1 if plural else 0
    return listing(EVENT_NOUNS.get(t, (words(t), words(t) + "s"))[index] for t in m.types)


def _singular(c: Compare) -> bool:
    return c.op in ("at_least", "is", "at_most") and c.operands[0].value == 1


def _negative(phrase: str) -> str:
    if phrase.startswith("with "):
        return "without " + phrase.removeprefix("with ")
    return "not " + phrase


# The comparison that holds exactly when `c` does not, for measures that always have a value
# (counts and term totals: 0 when nothing was recorded), so "not at least 1" reads "no".
_OPPOSITE = {
    "at_least": "below",
    "below": "at_least",
    "more_than": "at_most",
    "at_most": "more_than",
    "is": "is_not",
    "is_not": "is",
}


def _flip(c: Compare) -> Compare | None:
    if c.measure.kind in ("count", "term_total") and c.op in _OPPOSITE:
        return Compare(c.measure, _OPPOSITE[c.op], c.operands, c.path)
    return None


def _true_phrase(field: str) -> str:
    return TRUE_PHRASES.get(field, f"flagged {words(field.removeprefix('flags.'))}")


def _truth_wanted(c: Compare) -> bool | None:
    """For a comparison on a true/false field: the one value it holds for (None: either,
    or not a true/false field)."""
    if c.measure.kind != "field" or c.measure.value_type != "bool":
        return None
    wanted = {bool(o.value) for o in c.operands}
    if c.op == "is_not":
        wanted = {not v for v in wanted}
    return wanted.pop() if len(wanted) == 1 else None


def sentence_list(items: Sequence[str]) -> str:
    """Names in a sentence: 'police and social_care'."""
    return listing(items, "and")
