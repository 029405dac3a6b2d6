"""A decision in a caseworker's words: the outcome in force, the facts behind each headline
met, and for a family not eligible or undetermined what is missing and what came nearest.

Pure, and read only from the decision data (the trace `trace.explain` records), like
`trace.render_text`, which stays the audit view. `summarise` gives the summary as data for
the decision pages; `render_summary` is its text face. Each comparison is worded from its
`measured` part (kind of measure, records, filters, window dates, terms, sessions), never
by reading back the audit view's phrases; a decision stored before comparisons carried it
is worded more plainly from its measure's name.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

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

ENGLAND = ZoneInfo("Europe/London")  # the council's clock, for times people read
_OUTCOMES = {"eligible": "Eligible", "not_eligible": "Not eligible", "undetermined": "Undetermined"}
_SOURCES = {"dwp": "DWP"}
_ISO = re.compile(r"\b(\d{4})-(\d{2})-(\d{2})\b")
_TERM = re.compile(r"\b(\d{4})-(spring|summer|autumn)\b")
# Kinds of record (an event's `kind`) whose words are not their names read aloud.
KIND_WORDS = {"housing_asb_action": "housing action for anti-social behaviour"}
# A true/false field, as said of a member when it is false.
FALSE_PHRASES = {
    "parenting_responsibility": "without parenting responsibility",
    "school.registered": "not registered at a school",
    "school.education_otherwise": "not educated otherwise than at school",
}


# --------------------------------------------------------------------------- small words


def human_date(iso: str) -> str:
    """'2019-03-31' as people write it: '31 March 2019'."""
    d = dt.date.fromisoformat(iso[:10])
    return f"{d.day} {d:%B %Y}"


def human_when(stamp: str) -> str:
    """A stored (UTC) timestamp to the minute in England's time, as the council's staff read
    their clocks: '2 May 2024 at 11:15' for 10:15 UTC in summer time."""
    try:
        t = dt.datetime.fromisoformat(stamp.replace("Z", "+00:00"))
    except ValueError:
        return dates(stamp)
    if t.tzinfo is not None:
        t = t.astimezone(ENGLAND)
    return f"{t.day} {t:%B %Y} at {t:%H:%M}"


def dates(text: str) -> str:
    """Every ISO date and term label in free `text` as people write them (for text the
    trace holds only as words: a decision stored before comparisons carried their parts)."""
    text = _ISO.sub(lambda m: human_date(m.group(0)), text)
    return _TERM.sub(lambda m: f"{m.group(2)} {m.group(1)}", text)


def source_names(sources: list[str], last: str = "and") -> str:
    """'police and youth justice'."""
    return listing([_SOURCES.get(s, words(s)) for s in sources], last)


def term_span(labels: list[str]) -> str:
    """School terms, oldest first, as people say them: 'spring to autumn 2018', 'autumn
    2017 to summer 2018', 'autumn 2018'."""
    (y1, _, s1), (y2, _, s2) = labels[0].partition("-"), labels[-1].partition("-")
    if len(labels) == 1:
        return f"{s1} {y1}"
    return f"{s1} to {s2} {y2}" if y1 == y2 else f"{s1} {y1} to {s2} {y2}"


def window_words(window: Mapping[str, Any], *, open_: bool) -> str:
    """A record window as a phrase: 'between 1 April 2018 and 31 March 2019', 'open on 31
    March 2019', 'open at any time between ...', with a release due-by date if any."""
    start, end = window.get("from"), human_date(window["to"])
    if open_:
        text = (
            f"open at any time between {human_date(start)} and {end}" if start else f"open on {end}"
        )
    else:
        text = f"between {human_date(start)} and {end}" if start else f"on or before {end}"
    if window.get("release_due_by"):
        text += f", with release due by {human_date(window['release_due_by'])}"
    return text


def _shown(value: Any, unit: str | None, node: Mapping[str, Any] | None = None) -> str:
    """A value as people write it; a rate to one decimal place unless rounding would make
    the sentence contradict the result (9.96% shown as 10%)."""
    if isinstance(value, float) and not value.is_integer():
        shown = f"{value:.1f}"
        if node is not None and _contradicts(float(shown), node):
            shown = f"{value:.6g}"
    else:
        shown = number(value)
    if unit == "GBP":
        pounds = f"{float(value):,.2f}".removesuffix(".00")
        return f"£{pounds}"
    return f"{shown}%" if unit == "percent" else shown


def _contradicts(shown: float, node: Mapping[str, Any]) -> bool:
    thresholds = node["threshold"] if isinstance(node["threshold"], list) else [node["threshold"]]
    operands = tuple(Operand(v, p) for v, p in zip(thresholds, node["parameters"], strict=True))
    return compare(shown, node["comparator"], operands) != node["met"]


def _unit(node: Mapping[str, Any]) -> str | None:
    kind = (node.get("measured") or {}).get("kind")
    return "GBP" if kind in ("sum", "mean") else node.get("unit")


def _is_age(node: Mapping[str, Any]) -> bool:
    measured = node.get("measured")
    return measured.get("field") == "age" if measured else node["measure"] == "age"


# --------------------------------------------------------------------------- one comparison


def threshold_words(node: Mapping[str, Any]) -> str | None:
    """What counts, e.g. '10% or more', 'under 16', '5 to 15'; None when the fact says it
    all (a yes/no, a kind, at least one record)."""
    op, t, unit = node["comparator"], node["threshold"], _unit(node)
    if op in ("is", "is_not", "one_of") or isinstance(t, bool | str):
        return None
    if op == "between":
        return f"{_shown(t[0], unit)} to {_shown(t[1], unit)}"
    age = _is_age(node)
    if op == "at_least" and t == 1 and not age:
        return None
    if (op, t) in (("at_most", 0), ("below", 1)) and not age:
        return "none"
    shown = _shown(t, unit)
    return {
        "at_least": f"{shown} or over" if age else f"{shown} or more",
        "more_than": f"over {shown}" if age else f"more than {shown}",
        "at_most": f"{shown} or under" if age else f"{shown} or fewer",
        "below": f"under {shown}" if age or unit else f"fewer than {shown}",
    }[op]


def fact_words(node: Mapping[str, Any]) -> str:
    """What one comparison found, as a predicate in the past tense: 'missed 42 of 370 school
    sessions (11.4%) over spring to autumn 2018', 'had 1 proven offence between ...'."""
    measured = node.get("measured")
    if measured is None:
        return _plain_words(node)
    kind = measured["kind"]
    if kind == "field":
        return _field_words(node, measured)
    if kind in ("absence_rate", "attendance_rate"):
        return _rate_words(node, measured)
    if kind == "term_total":
        return _term_total_words(node["value"], measured)
    if kind == "reduction_pct":
        return _reduction_words(node, measured)
    return _record_words(node, measured)


def _field_words(node: Mapping[str, Any], measured: Mapping[str, Any]) -> str:
    """A member's field: 'was aged 16', 'was recorded as a new mother', 'was not
    registered at a school', 'had no school record'."""
    field, value = measured["field"], node["value"]
    if field == "age":
        return "was under a year old" if value == 0 else f"was aged {number(value)}"
    if value is None:
        if measured.get("school_record") is False:
            return "had no school record"
        return f"had no record of {words(field.rpartition('.')[2])}"
    if isinstance(value, bool):
        if not value:
            phrase = FALSE_PHRASES.get(field)
            if phrase is None:
                positive = TRUE_PHRASES.get(field, f"flagged {words(field.rpartition('.')[2])}")
                # a flag not sent and a flag sent as false read the same (closed world), so
                # the words claim no record either way: 'was not recorded with ...'
                phrase = (
                    f"not recorded {positive}"
                    if positive.startswith("with ")
                    else f"not recorded as {positive}"
                )
            return f"was recorded {phrase}" if phrase.startswith("without ") else f"was {phrase}"
        phrase = TRUE_PHRASES.get(field, f"flagged {words(field.rpartition('.')[2])}")
        return (
            f"was recorded {phrase}" if phrase.startswith("with") else f"was recorded as {phrase}"
        )
    said = ENUM_PHRASES.get((field, value))
    if said is None:
        return f"had {words(field.rpartition('.')[2])} recorded as {words(str(value))}"
    return f"was {said}"


def _over(measured: Mapping[str, Any]) -> str:
    """The terms measured over, and any with no record: 'over spring to autumn 2018 (no
    record for summer 2018)'."""
    text = f"over {term_span(measured['terms'])}"
    missing = measured.get("terms_missing")
    if missing:
        text += f" (no record for {listing([term_span([t]) for t in missing], 'or')})"
    return text


def _rate_words(node: Mapping[str, Any], measured: Mapping[str, Any]) -> str:
    """'missed 42 of 370 school sessions (11.4%) over spring to autumn 2018'."""
    over = _over(measured)
    if measured.get("school_record") is False:
        return f"had no school record for {term_span(measured['terms'])}"
    sessions = measured.get("sessions") or {}
    if node["value"] is None or not sessions.get("possible"):
        return f"had no school sessions recorded {over}"
    missed, possible = sessions["missed"], sessions["possible"]
    rate = _shown(node["value"], "percent", node)
    together = " across its members" if measured.get("members") == "all" else ""
    if measured["kind"] == "attendance_rate":
        return (
            f"attended {possible - missed} of {possible} school sessions{together} ({rate}) {over}"
        )
    return f"missed {missed} of {possible} school sessions{together} ({rate}) {over}"


def _term_total_words(value: Any, measured: Mapping[str, Any]) -> str:
    """'had 3 fixed-term exclusions over spring to autumn 2018'."""
    if measured.get("school_record") is False:
        return f"had no school record for {term_span(measured['terms'])}"
    field = measured["field"]
    one, many = TERM_NOUNS.get(field, (words(field),) * 2)
    count = "no" if value == 0 else number(value)
    together = " across its members" if measured.get("members") == "all" else ""
    return f"had {count} {one if value == 1 else many}{together} {_over(measured)}"


def _record_nouns(measured: Mapping[str, Any], plural: bool) -> str:
    """'proven offence', 'Jobseeker's Allowance or Income Support claims'."""
    types = measured["types"]
    if measured["records"] == "benefit":
        names = listing([BENEFIT_NAMES.get(t, words(t)) for t in types])
        return f"{names} {'claims' if plural else 'claim'}"
    return listing([EVENT_NOUNS.get(t, (words(t), words(t) + "s"))[plural] for t in types])


def _filters(measured: Mapping[str, Any]) -> list[str]:
    """The filters on the records counted, in words: 'as a victim or at risk', 'with
    work-search requirements', 'in the intensive work search regime'."""
    out = []
    for key, values in (measured.get("where") or {}).items():
        if key == "role":
            out.append(listing([ROLE_WORDS.get(v, words(str(v))) for v in values]))
        elif key == "work_search":
            wants = set(values)
            out.append(
                "with work-search requirements"
                if wants == {True}
                else "without work-search requirements"
                if wants == {False}
                else "with or without work-search requirements"
            )
        elif key == "conditionality":
            out.append(f"in the {listing([words(str(v)) for v in values])} regime")
        elif key == "kind":
            out.append(f"({listing([KIND_WORDS.get(v, words(str(v))) for v in values])})")
        else:
            out.append(f"with {words(key)} {listing([words(str(v)) for v in values])}")
    return out


def _record_words(node: Mapping[str, Any], measured: Mapping[str, Any]) -> str:
    """A count, sum or mean over records: 'had 1 proven offence between 1 April 2018 and 31
    March 2019', 'owed £1200 in total on 2 rent arrears records ...'."""
    value, kind = node["value"], measured["kind"]
    when = window_words(measured["window"], open_=bool(measured.get("open")))
    filters = "".join(f" {f}" for f in _filters(measured))
    merged = measured.get("incidents")
    also = (
        f" ({merged['records']} records, counted as {merged['counted']} "
        f"incident{'s' if merged['counted'] != 1 else ''})"
        if merged
        else ""
    )
    if kind == "count":
        count = "no" if value == 0 else number(value)
        noun = _record_nouns(measured, plural=value != 1)
        return f"had {count} {noun}{filters} {when}{also}"
    noun = _record_nouns(measured, plural=True)
    if value is None:
        return f"had no amounts recorded on {noun}{filters} {when}{also}"
    amount = _shown(value, "GBP", node)
    per = "in total" if kind == "sum" else "on average"
    return f"had {amount} {per} on {noun}{filters} {when}{also}"


def _reduction_words(node: Mapping[str, Any], measured: Mapping[str, Any]) -> str:
    """'had 2 proven offences between ... against 3 between ... (a fall of 33.3%)'."""
    before, after = measured["before"], measured["after"]
    noun = _record_nouns(measured, plural=after["count"] != 1)
    filters = "".join(f" {f}" for f in _filters(measured))
    value = node["value"]
    change = (
        f"a fall of {_shown(value, 'percent', node)}"
        if value > 0
        else "no fall"
        if value == 0
        else f"a rise of {_shown(-value, 'percent', node)}"
    )
    had = "no" if after["count"] == 0 else number(after["count"])
    return (
        f"had {had} {noun}{filters} "
        f"{window_words(after['window'], open_=False)}, against {number(before['count'])} "
        f"{window_words(before['window'], open_=False)} ({change})"
    )


def _plain_words(node: Mapping[str, Any]) -> str:
    """A comparison stored before nodes carried their parts: its measure's name and value."""
    measure, value = words(node["measure"].replace("'", "")), node["value"]
    if isinstance(value, bool):
        value = "yes" if value else "no"
    shown = "nothing" if value is None else _shown(value, node.get("unit"), node)
    detail = dates(words(node.get("detail") or "")).replace("..", " to ")
    return f"had {measure} recorded as {shown}" + (f" ({detail})" if detail else "")


def sentence(subject: str, facts: list[tuple[str, str | None]], *, would: bool = False) -> str:
    """One subject's facts as one sentence, without its full stop: 'c1 missed ...; 10% or
    more counts'."""
    who = "the household" if subject == "household" else subject
    counts = "would count" if would else "counts"

    def rule(threshold: str) -> str:
        return "none allowed" if threshold == "none" else f"{threshold} {counts}"

    if len(facts) == 1:
        fact, threshold = facts[0]
        return f"{who} {fact}" + (f"; {rule(threshold)}" if threshold else "")
    parts = [f"{fact} ({rule(threshold)})" if threshold else fact for fact, threshold in facts]
    return f"{who} {listing(_recorded_together(parts), 'and')}"


def sentence_start(text: str) -> str:
    """A sentence about the household starts with a capital; a member's ref (c1) stays as
    the facts give it."""
    return "The" + text[3:] if text.startswith("the ") else text


def _recorded_together(parts: list[str]) -> list[str]:
    """Facts that follow one another saying what was recorded, said once: 'was recorded as
    a new mother, with ... and as ...'."""
    out: list[str] = []
    run: list[str] = []
    for part in [*parts, ""]:
        if part.startswith("was recorded ") and "(" not in part:
            run.append(part.removeprefix("was recorded "))
            continue
        if run:
            out.append(
                "was recorded " + listing(run, "and") if len(run) > 1 else f"was recorded {run[0]}"
            )
            run = []
        if part:
            out.append(part)
    return out


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

    # the outcome in force first, then the reviews, newer rules, local rules and the
    # headline count, one line each
    outcome: list[str]
    met: list[SummaryHeadline]  # each headline met
    missing: list[str]  # not eligible or undetermined: what is missing
    nearest: list[SummaryFact]  # the nearest misses
    # a review put another outcome in force: `missing` and `nearest` are the automated
    # assessment's, not the outcome in force's
    overridden: bool = False


def _origin(indicator: Mapping[str, Any], result: Mapping[str, Any]) -> str:
    """How a fact is marked: professional judgement when only a judgement met it, else the
    indicator's origin."""
    if result.get("basis") == "judgement":
        return "professional judgement"
    return str(indicator.get("origin", "national"))


def _subject_sentence(result: Mapping[str, Any]) -> str:
    """The facts that met an indicator for one subject, or the judgement that did."""
    judged = "; also by ".join(
        f"{j['by']}: {j['reason'].rstrip('. ')}" for j in result.get("judgements", [])
    )
    subject = "the household" if result["subject"] == "household" else result["subject"]
    if result.get("basis") == "judgement":
        return f"Professional judgement for {subject} by {judged}"
    facts = list(met_facts(result["condition"])) if result.get("condition") else []
    text = sentence(result["subject"], facts) if facts else f"Met for {subject}"
    return text + f"; also professional judgement by {judged}" if judged else text


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


def since_lines(since: Mapping[str, Any] | None) -> list[str]:
    """What `policy.since.rules_since` found (a stored decision's view may carry it), in a
    caseworker's words: newer rules in force, and whether they would decide differently."""
    if not since:
        return []
    made = since["made_with"]
    lines = []
    if since.get("made_with_loaded") is False or "file_changed" in since:
        why = (
            "have changed since it was made" if "file_changed" in since else "are no longer loaded"
        )
        lines.append(
            f"The rules that made this decision ({made}) {why}; this summary reads it as made."
        )
    now = since.get("in_force")
    if now:
        head = f"Newer rules ({now['ref']}) apply to this assessment date"
        if "problems" in now:
            lines.append(f"{head}, and these facts do not fit them; see the audit view.")
        elif now["decides_differently"]:
            met = ", ".join(now["headlines_met"]) or "none"
            lines.append(
                f"{head} and would decide differently: {_OUTCOMES[now['status']].lower()} "
                f"(headlines met: {met}). This decision stands until a new one is asked for."
            )
        else:
            lines.append(f"{head}; they would decide the same.")
    return lines


def _count_line(trace: Mapping[str, Any]) -> str:
    d = trace["decision"]
    total, met, unknown = len(trace["headlines"]), d["headlines_met"], d["headlines_unknown"]
    text = f"{len(met)} of {total} headlines met"
    if unknown:
        text += f", {len(unknown)} not yet known ({', '.join(unknown)})"
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
        family = trace.get("family") or {}
        what = f" ({family['name'][0].lower()}{family['name'][1:]})" if family.get("name") else ""
        lines.append(
            f"The household does not count as a family for the programme{what}, so its "
            "headlines cannot make it eligible."
        )
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
        their = "its" if len(p["missing_sources"]) == 1 else "their"
        lines.append(
            f"Not checked: {source_names(p['missing_sources'])}; the outcome stands "
            f"whatever {their} records say."
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
    outcome = outcome_lines(decision) + since_lines(decision.get("rules_since"))
    local = trace.get("local")
    if local:
        outcome.append(f"Local rules of {local['council']} apply.")
    family = trace.get("family")
    if not family or family["status"] == "met":
        outcome.append(_count_line(trace))
    eligible = decision["status"] == "eligible"
    in_force = decision.get("outcome") or {}
    return Summary(
        outcome=outcome,
        met=met_headlines(trace),
        missing=[] if eligible else missing_lines(trace),
        nearest=[] if eligible else nearest_facts(trace),
        overridden=in_force.get("source") == "review"
        and in_force.get("status", decision["status"]) != decision["status"],
    )


def _marks(ind: Mapping[str, Any], facts: list[SummaryFact]) -> str:
    """'(national indicator)', '(local indicator, professional judgement)'."""
    marks = [f"{ind.get('origin', 'national')} indicator"]
    if any(f.origin == "professional judgement" for f in facts):
        marks.append("professional judgement")
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
        label = "On the automated assessment, still missing:" if summary.overridden else None
        lines += [label or "Still missing:", *summary.missing]
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
