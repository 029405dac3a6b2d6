"""A decision in a caseworker's words: the outcome in force, the facts behind each headline
met, and for a family not eligible or undetermined what is missing and what came nearest.

Pure, and read only from the decision data (the trace `trace.explain` records), like
`trace.render_text`, which stays the audit view. A comparison node names its measure as
`trace.describe_measure` words it, so the words here are read back from those phrases;
a phrase this module does not know is shown as the trace has it, its dates rewritten.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from .conditions import Operand, compare
from .policy.words import (
    BENEFIT_NAMES,
    ENUM_PHRASES,
    EVENT_NOUNS,
    ROLE_WORDS,
    TERM_NOUNS,
    TRUE_PHRASES,
    listing,
    number,
    words,
)

_OUTCOMES = {"eligible": "Eligible", "not_eligible": "Not eligible", "undetermined": "Undetermined"}
_SOURCES = {"dwp": "DWP"}
_ISO = re.compile(r"\b(\d{4})-(\d{2})-(\d{2})\b")
_TERM = re.compile(r"\b(\d{4})-(spring|summer|autumn)\b")
_SPAN = re.compile(r"^(\d{4}-\d{2}-\d{2})\.\.(\d{4}-\d{2}-\d{2})$")
_OPEN = re.compile(r"^open (on|during) ([^,]+)(?:, release due by (.+))?$")
_TERMS = re.compile(
    r"^(?:terms? (?P<terms>\S+)|(?P<family>the family's last \d+ terms))(?:: (?P<rest>.*))?$"
)
_SESSIONS = re.compile(r"^(\d+) of (\d+) sessions missed$")


# --------------------------------------------------------------------------- small words


def human_date(iso: str) -> str:
    """'2019-03-31' as people write it: '31 March 2019'."""
    d = dt.date.fromisoformat(iso[:10])
    return f"{d.day} {d:%B %Y}"


def human_when(stamp: str) -> str:
    """A stored timestamp to the minute: '2 May 2024 at 10:15'."""
    try:
        t = dt.datetime.fromisoformat(stamp.replace("Z", "+00:00"))
    except ValueError:
        return dates(stamp)
    return f"{t.day} {t:%B %Y} at {t:%H:%M}"


def dates(text: str) -> str:
    """Every ISO date and term label in `text` as people write them."""
    text = _ISO.sub(lambda m: human_date(m.group(0)), text)
    return _TERM.sub(lambda m: f"{m.group(2)} {m.group(1)}", text)


def source_names(sources: list[str], last: str = "and") -> str:
    """'police and youth justice'."""
    return listing([_SOURCES.get(s, words(s)) for s in sources], last)


def _terms(span: str) -> str:
    """'2018-spring..2018-autumn' as 'spring to autumn 2018'."""
    first, _, last = span.partition("..")
    if not last:
        return dates(first)
    (y1, s1), (y2, s2) = first.split("-", 1), last.split("-", 1)
    return f"{s1} to {s2} {y2}" if y1 == y2 else f"{s1} {y1} to {s2} {y2}"


def _when(detail: str) -> str:
    """A record window from the trace as a phrase: 'between 1 April 2018 and 31 March 2019'."""
    main, _, counted = detail.partition("; ")
    extra = f" ({dates(counted)})" if counted else ""
    if not main:
        return extra.strip()
    span = _SPAN.match(main)
    if span:
        return f"between {human_date(span[1])} and {human_date(span[2])}{extra}"
    opened = _OPEN.match(main)
    if opened:
        how, when, due = opened.groups()
        if how == "on":
            text = f"open on {human_date(when)}"
        else:
            a, _, b = when.partition("..")
            text = f"open at any time between {human_date(a)} and {human_date(b)}"
        return text + (f", with release due by {human_date(due)}" if due else "") + extra
    return dates(main) + extra


def _shown(value: Any, unit: str | None, node: Mapping[str, Any] | None = None) -> str:
    """A value as people write it; a rate to one decimal place unless rounding would make
    the sentence contradict the result (9.96% shown as 10%)."""
    if isinstance(value, float) and not value.is_integer():
        shown = f"{value:.1f}"
        if node is not None and _contradicts(float(shown), node):
            shown = f"{value:.6g}"
    else:
        shown = number(value)
    return f"{shown}%" if unit == "percent" else shown


def _contradicts(shown: float, node: Mapping[str, Any]) -> bool:
    thresholds = node["threshold"] if isinstance(node["threshold"], list) else [node["threshold"]]
    operands = tuple(Operand(v, p) for v, p in zip(thresholds, node["parameters"], strict=True))
    return compare(shown, node["comparator"], operands) != node["met"]


# --------------------------------------------------------------------------- one comparison


def threshold_words(node: Mapping[str, Any]) -> str | None:
    """What counts, e.g. '10% or more', 'under 16', '5 to 15'; None when the fact says it
    all (a yes/no, a kind, at least one record)."""
    op, t, unit = node["comparator"], node["threshold"], node.get("unit")
    if op in ("is", "is_not", "one_of") or isinstance(t, bool | str):
        return None
    if op == "between":
        return f"{_shown(t[0], unit)} to {_shown(t[1], unit)}"
    if op == "at_least" and t == 1 and node["measure"] != "age":
        return None
    shown = _shown(t, unit)
    age = node["measure"] == "age"
    return {
        "at_least": f"{shown} or over" if age else f"{shown} or more",
        "more_than": f"over {shown}" if age else f"more than {shown}",
        "at_most": f"{shown} or under" if age else f"{shown} or fewer",
        "below": f"under {shown}" if age or unit else f"fewer than {shown}",
    }[op]


def _field(measure: str) -> str:
    """The facts field a field measure's words name: 'school registered' -> 'school.registered'."""
    if measure.startswith("flag '"):
        return "flags." + measure[6:-1]
    if measure.startswith("school "):
        return "school." + measure[7:].replace(" ", "_")
    return measure.replace(" ", "_")


def _records(what: str, n: int) -> str:
    """'number of ...' words as counted records: '1 proven offence', 'no Universal Credit
    claims in the intensive work search regime'."""
    what, _, where = what.partition(" with ")
    kinds, _, records = what.rpartition(" ")
    types = kinds.split("/")
    plural = n != 1
    if records == "benefits":
        noun = (
            f"{listing([BENEFIT_NAMES.get(t, t) for t in types])} {'claims' if plural else 'claim'}"
        )
    else:
        noun = listing([EVENT_NOUNS.get(t, (words(t), words(t) + "s"))[plural] for t in types])
    filters = []
    for part in where.split(", ") if where else []:
        key, _, values = part.partition(" ")
        vals = values.split("/")
        if key == "role":
            filters.append(listing([ROLE_WORDS.get(v, words(v)) for v in vals]))
        elif key == "work_search":
            filters.append(
                "with work-search requirements"
                if vals == ["True"]
                else "without work-search requirements"
            )
        elif key == "conditionality":
            filters.append(f"in the {listing([words(v) for v in vals])} regime")
        else:
            filters.append(f"of {words(key)} {listing([words(v) for v in vals])}")
    count = "no" if n == 0 else number(n)
    return " ".join([f"{count} {noun}", *filters])


def fact_words(node: Mapping[str, Any]) -> str:
    """What one comparison found, as a predicate in the past tense: 'missed 42 of 370 school
    sessions (11.4%) over spring to autumn 2018', 'had 1 proven offence between ...'."""
    measure, value, detail, unit = node["measure"], node["value"], node["detail"], node.get("unit")
    if measure == "age":
        return f"was aged {number(value)}"
    terms = _TERMS.match(detail) if detail else None
    if measure in ("absence rate", "attendance rate") and terms:
        over = (
            _terms(terms["terms"])
            if terms["terms"]
            else terms["family"].removeprefix("the family's ")
        )
        over = f"over the {over}" if over.startswith("last") else f"over {over}"
        sessions = _SESSIONS.match(terms["rest"] or "")
        if value is None or not sessions:
            return f"had no school sessions recorded {over}"
        missed, possible = int(sessions[1]), int(sessions[2])
        rate = _shown(value, unit, node)
        if measure == "attendance rate":
            return f"attended {possible - missed} of {possible} school sessions ({rate}) {over}"
        return f"missed {missed} of {possible} school sessions ({rate}) {over}"
    if measure.endswith(" (total)") and terms:
        field = measure.removesuffix(" (total)").replace(" ", "_")
        one, many = TERM_NOUNS.get(field, (words(field),) * 2)
        over = (
            _terms(terms["terms"])
            if terms["terms"]
            else terms["family"].removeprefix("the family's ")
        )
        over = f"over the {over}" if over.startswith("last") else f"over {over}"
        count = "no" if value == 0 else number(value)
        return f"had {count} {one if value == 1 else many} {over}"
    if measure.startswith("number of ") and isinstance(value, int):
        when = _when(detail)
        return f"had {_records(measure.removeprefix('number of '), value)}" + (
            f" {when}" if when else ""
        )
    field = _field(measure)
    if isinstance(value, bool) or (value is None and isinstance(node["threshold"], bool)):
        if value is None:
            return f"had no record of being {TRUE_PHRASES.get(field, words(field))}"
        phrase = TRUE_PHRASES.get(field, f"flagged {words(field.split('.')[-1])}")
        if not value:
            phrase = "without " + phrase[5:] if phrase.startswith("with ") else "not " + phrase
        return (
            f"was recorded {phrase}" if phrase.startswith("with") else f"was recorded as {phrase}"
        )
    if isinstance(value, str):
        return f"was recorded as {ENUM_PHRASES.get((field, value), f'{words(measure)} {words(value)}')}"
    if value is None:
        return f"had no record of {words(measure)}"
    shown = _shown(value, unit, node)
    when = _when(detail) if detail else ""
    return dates(f"had {measure} of {shown}") + (f" {when}" if when else "")


def sentence(subject: str, facts: list[tuple[str, str | None]], *, would: bool = False) -> str:
    """One subject's facts as one sentence, without its full stop: 'c1 missed ...; 10% or
    more counts'."""
    who = "the household" if subject == "household" else subject
    counts = "would count" if would else "counts"
    if len(facts) == 1:
        fact, threshold = facts[0]
        return f"{who} {fact}" + (f"; {threshold} {counts}" if threshold else "")
    parts = [f"{fact} ({threshold} {counts})" if threshold else fact for fact, threshold in facts]
    return f"{who} {' and '.join(parts)}"


def met_facts(
    node: Mapping[str, Any], *, negated: bool = False
) -> Iterator[tuple[str, str | None]]:
    """The comparisons that made a condition hold, each with what counts (None under `not`,
    where the fact found is the point)."""
    if "comparator" in node:
        if node["met"] != negated:
            yield fact_words(node), None if negated else threshold_words(node)
        return
    if "not" in node:
        yield from met_facts(node["not"], negated=not negated)
        return
    key = "all" if "all" in node else "any"
    for child in node[key]:
        if key == "all" or child["met"] != negated:
            yield from met_facts(child, negated=negated)


def _leaves(node: Mapping[str, Any]) -> Iterator[Mapping[str, Any]]:
    if "comparator" in node:
        yield node
    for key in ("all", "any"):
        for child in node.get(key, []):
            yield from _leaves(child)
    if "not" in node:
        yield from _leaves(node["not"])


# --------------------------------------------------------------------------- the parts


@dataclass(frozen=True)
class SummaryFact:
    """One sentence about one indicator met (or nearly met) by one subject."""

    text: str  # the sentence, without its closing full stop
    indicator: str  # "H2.persistent_absence"
    subject: str  # a member's ref ("c1") or "household"
    origin: str  # "national" | "local" | "professional judgement"


@dataclass(frozen=True)
class SummaryHeadline:
    """A headline met, with one fact for each indicator and subject that met it."""

    id: str
    name: str
    facts: list[SummaryFact]


@dataclass(frozen=True)
class Summary:
    """A decision for caseworkers, as data a page or `render_summary` words."""

    outcome: list[str]  # the outcome in force first, then the reviews, one line each
    met: list[SummaryHeadline]  # each headline met
    missing: list[str]  # not eligible or undetermined: what is missing
    nearest: list[SummaryFact]  # the nearest misses


def _origin(indicator: Mapping[str, Any], result: Mapping[str, Any]) -> str:
    """How a fact is marked: professional judgement when only a judgement met it, else the
    indicator's origin."""
    if result.get("basis") == "judgement":
        return "professional judgement"
    return str(indicator.get("origin", "national"))


def _subject_sentence(result: Mapping[str, Any]) -> str:
    judged = "; ".join(f"{j['by']}: {j['reason']}" for j in result.get("judgements", []))
    subject = "the household" if result["subject"] == "household" else result["subject"]
    if result.get("basis") == "judgement":
        return f"Worker's judgement for {subject} ({judged})"
    facts = list(met_facts(result["condition"])) if result.get("condition") else []
    text = sentence(result["subject"], facts) if facts else f"Met for {subject}"
    return text + f"; also the worker's judgement ({judged})" if judged else text


def outcome_lines(decision: Mapping[str, Any]) -> list[str]:
    """The outcome in force (a review's before the automated one), then the reviews."""
    automated = _OUTCOMES[decision["status"]]
    outcome = decision.get("outcome") or {}
    reviews = decision.get("reviews") or []
    head = automated
    if outcome.get("source") == "review":
        status = outcome.get("status") or {True: "eligible", False: "not_eligible"}.get(
            outcome.get("eligible"), "undetermined"
        )
        if status == decision["status"]:
            head = f"{automated} (by review, as the automated decision)"
        else:
            head = (
                f"{_OUTCOMES[status]} (by review; the automated decision was {automated.lower()})"
            )
    elif reviews:
        head = f"{automated} (confirmed by review)"
    lines = [
        f"{head}: family {decision['family_ref']}, assessed on "
        f"{human_date(decision['assessment_date'])}."
    ]
    for r in reviews:
        when = human_when(r["created_at"])
        by = f" by {r['reviewer']}" if r.get("reviewer") else ""
        reason = f": {r['reason']}" if r.get("reason") else ""
        if r["verdict"] == "override":
            to = {True: "eligible", False: "not eligible"}.get(r.get("eligible"), "undetermined")
            lines.append(f"Overridden to {to}{by} on {when}{reason}")
        else:
            lines.append(f"Confirmed{by} on {when}{reason}")
    return lines


def _count_line(trace: Mapping[str, Any]) -> str:
    d = trace["decision"]
    total, met, unknown = len(trace["headlines"]), d["headlines_met"], d["headlines_unknown"]
    text = f"{len(met)} of {total} headlines met"
    if unknown:
        text += f" and {len(unknown)} more unknown ({', '.join(unknown)})"
    return f"{text}; at least {d['headlines_required']} needed."


def met_headlines(trace: Mapping[str, Any]) -> list[SummaryHeadline]:
    """Each headline met, with a fact for each indicator and subject that met it."""
    out = []
    for h in trace["headlines"]:
        if h["status"] != "met":
            continue
        facts = [
            SummaryFact(_subject_sentence(s), ind["id"], s["subject"], _origin(ind, s))
            for ind in h["indicators"]
            if ind["met"]
            for s in ind["subjects"]
            if s["met"]
        ]
        out.append(SummaryHeadline(h["id"], h["name"], facts))
    return out


def missing_lines(trace: Mapping[str, Any]) -> list[str]:
    """What is missing: unchecked sources and what checking them could do, and each
    headline still unknown."""
    p = trace.get("prospects") or {}
    lines = []
    if p.get("family") == "not_met":
        lines.append("No member makes the household a family, so no headline can make it eligible.")
    elif p.get("family") == "unknown":
        lines.append("Whether the household counts as a family depends on sources not checked.")
    if p.get("headlines_needed"):
        n = p["headlines_needed"]
        lines.append(f"{n} more headline{'s' if n != 1 else ''} needed.")
    if p.get("could_settle_with") and p["could_settle_with"] == p["sure_to_settle_with"]:
        lines.append(
            f"Not checked: {source_names(p['missing_sources'])}. Checking "
            f"{source_names(p['could_settle_with'])} would settle the outcome."
        )
    elif p.get("could_settle_with"):
        lines.append(
            f"Not checked: {source_names(p['missing_sources'])}. Checking "
            f"{source_names(p['could_settle_with'])} could settle the outcome; checking "
            f"{source_names(p['sure_to_settle_with'])} would settle it for certain."
        )
    elif p.get("missing_sources"):
        lines.append(
            f"Not checked: {source_names(p['missing_sources'])}, but no record from "
            "there could change the outcome."
        )
    for h in trace["headlines"]:
        if h["status"] == "unknown":
            sources = sorted(
                {
                    src
                    for ind in h["indicators"]
                    for s in ind["subjects"]
                    if s["status"] == "unknown"
                    for src in s.get("missing_sources", [])
                }
            )
            lines.append(
                f"{h['id']} {h['name']}: not met on what was sent; records from "
                f"{source_names(sources, 'or')} could still meet it."
            )
    return lines


def _indicators(trace: Mapping[str, Any]) -> dict[str, tuple[Mapping[str, Any], Mapping[str, Any]]]:
    """Each indicator of the trace by id, with its headline."""
    return {ind["id"]: (h, ind) for h in trace["headlines"] for ind in h["indicators"]}


def nearest_facts(trace: Mapping[str, Any]) -> list[SummaryFact]:
    """The nearest misses, each the fact that fell short and what would count."""
    p = trace.get("prospects") or {}
    found = _indicators(trace)
    return [_miss_fact(found, m) for m in p.get("nearest_misses", [])]


def _miss_fact(
    found: Mapping[str, tuple[Mapping[str, Any], Mapping[str, Any]]], miss: Mapping[str, Any]
) -> SummaryFact:
    _, ind = found.get(miss["indicator"], ({}, {}))
    origin = str(ind.get("origin", "national"))
    for s in ind.get("subjects", []):
        if s["subject"] != miss["subject"] or not s.get("condition"):
            continue
        for leaf in _leaves(s["condition"]):
            if (
                not leaf["met"]
                and leaf["value"] == miss["value"]
                and leaf["threshold"] == miss["threshold"]
            ):
                text = sentence(
                    miss["subject"], [(fact_words(leaf), threshold_words(leaf))], would=True
                )
                return SummaryFact(text, miss["indicator"], miss["subject"], origin)
    return SummaryFact(dates(miss["text"]), miss["indicator"], miss["subject"], origin)


def summarise(decision: Mapping[str, Any]) -> Summary:
    """A decision for caseworkers: the outcome in force, each headline met with the facts
    that met it, and for a family not eligible or undetermined what is missing and the
    nearest misses. The audit view (`trace.render_text`) keeps every comparison."""
    trace = decision["trace"]
    outcome = outcome_lines(decision)
    local = trace.get("local")
    if local:
        outcome.append(f"Local rules of {local['council']} apply.")
    family = trace.get("family")
    if not family or family["status"] == "met":
        outcome.append(_count_line(trace))
    eligible = decision["status"] == "eligible"
    return Summary(
        outcome=outcome,
        met=met_headlines(trace),
        missing=[] if eligible else missing_lines(trace),
        nearest=[] if eligible else nearest_facts(trace),
    )


def _marks(ind: Mapping[str, Any], facts: list[SummaryFact]) -> str:
    """'(national indicator)', '(local indicator, worker's judgement)'."""
    marks = [f"{ind.get('origin', 'national')} indicator"]
    if any(f.origin == "professional judgement" for f in facts):
        marks.append("worker's judgement")
    return f"({', '.join(marks)})"


def render_summary(decision: Mapping[str, Any]) -> str:
    """The text face of `summarise`: the facts of each headline under their indicators."""
    summary = summarise(decision)
    found = _indicators(decision["trace"])
    lines = [*summary.outcome, ""]
    if summary.met:
        lines.append("Headlines met:")
        for h in summary.met:
            lines.append(f"{h.id} {h.name}")
            for indicator in dict.fromkeys(f.indicator for f in h.facts):
                facts = [f for f in h.facts if f.indicator == indicator]
                ind = found[indicator][1]
                lines.append(f"  {ind['name']} {_marks(ind, facts)}")
                lines += [f"    - {f.text}." for f in facts]
        lines.append("")
    if summary.missing or summary.nearest:
        lines += ["Still missing:", *summary.missing]
        if summary.nearest:
            lines.append("Nearest misses:")
            for f in summary.nearest:
                if f.indicator in found:
                    h, ind = found[f.indicator]
                    where = (
                        f"{ind['name']} ({h['id']}, {ind.get('origin', 'national')} indicator): "
                    )
                else:
                    where = ""
                lines.append(f"  - {where}{f.text}.")
        lines.append("")
    return "\n".join(lines).rstrip() + "\n"
