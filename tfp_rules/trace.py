"""The explanation of a decision: data for every headline, indicator and comparison, and its
plain-English rendering.

`explain` re-reads a condition in plain Python over the measured values (the
reference evaluation) and records, for every comparison, the value found, the
threshold and its parameter, and the records behind the value. `render_text`
is a pure function of the decision data, usable from the CLI or a template.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from .conditions import (
    COMPARATOR_WORDS,
    NO_LOWER_BOUND,
    All,
    Any_,
    Compare,
    Condition,
    Measure,
    Operand,
    Reach,
    compare,
)
from .measures import Measured

CLOSED_WORLD = (
    "Closed world: a record that was not supplied is taken as not having happened "
    "(no school record means no absence, no events means no offences)."
)


def describe_measure(m: Measure) -> str:
    """A short noun phrase for what a measure looks at."""
    if m.kind == "field":
        name = m.field or ""
        if name.startswith("flags."):
            return f"flag '{name.removeprefix('flags.')}'"
        return name.replace("school.", "school ").replace("_", " ")
    if m.kind == "absence_rate":
        return "absence rate"
    if m.kind == "attendance_rate":
        return "attendance rate"
    if m.kind == "term_total":
        return f"{(m.field or '').replace('_', ' ')} (total)"
    kinds = "/".join(m.types)
    what = f"{kinds} {'benefit' if m.records == 'benefit' else 'record'}s"
    if m.where:
        what += " with " + ", ".join(f"{k} {'/'.join(map(str, v))}" for k, v in m.where)
    if m.kind == "reduction_pct" and m.months is not None:
        n = m.months.value
        return f"fall in {what}, {n} months after entry against {n} months before (percent)"
    return {
        "count": f"number of {what}",
        "sum": f"total {m.field} of {what}",
        "mean": f"mean {m.field} of {what}",
    }[m.kind]


def measure_data(m: Measure) -> dict[str, Any]:
    """What a measure looks at, as data: its kind, the field it reads, the kinds of record it
    selects and the filters on them, whether only records open count."""
    out: dict[str, Any] = {"kind": m.kind}
    if m.field:
        out["field"] = m.field
    if m.records:
        out["records"] = m.records
        out["types"] = list(m.types)
    if m.where:
        out["where"] = {key: list(values) for key, values in m.where}
    if m.open:
        out["open"] = True
    return out


_Static = tuple[str, Any, list[str | None], str | None, dict[str, Any]]


def _static(condition: Compare) -> _Static:
    """The parts of a comparison's explanation that do not depend on the family, computed once."""
    cached = _STATIC.get(id(condition))
    if cached is None or cached[0] is not condition:
        m = condition.measure
        values = [o.value for o in condition.operands]
        threshold = values if condition.op in ("between", "one_of") else values[0]
        params = [o.param for o in condition.operands]
        unit = "percent" if m.kind in ("absence_rate", "attendance_rate", "reduction_pct") else None
        cached = (condition, (describe_measure(m), threshold, params, unit, measure_data(m)))
        _STATIC[id(condition)] = cached
    return cached[1]


_STATIC: dict[int, tuple[Compare, _Static]] = {}


def _comparison_node(
    met: bool, got: Measured, op: str, static: _Static, could_be: dict[str, Any] | None
) -> dict[str, Any]:
    """A comparison's trace node (`explain` and the lowered `explainer` both build it)."""
    what, threshold, params, unit, data = static
    node = {
        "met": met,
        "measure": what,
        "detail": got.note,
        "value": got.value,
        "comparator": op,
        "threshold": threshold,
        "parameters": params,
        "evidence": list(got.evidence),
        # what `measure` and `detail` say in words, as data (additive, for the summary)
        "measured": {**data, **got.parts},
    }
    if unit:
        node["unit"] = unit
    if could_be is not None:
        node["could_be"] = could_be
    return node


def explain(
    condition: Condition,
    measured: Mapping[str, Measured],
    reach: Mapping[str, Reach] | None = None,
) -> dict[str, Any]:
    """The reference evaluation of `condition`, as a tree: every node says whether it held.

    A comparison node holds data only; `comparison_text` turns it into a sentence for the
    audit view, and its `measured` part (`measure_data` and the window, terms and sessions
    `Measured.parts` found) lets the summary word it without parsing that sentence.
    With `reach` (while sources are unchecked), a comparison on a measure that
    records could still change also says what it could be (`could_be`).
    """
    if isinstance(condition, Compare):
        key = condition.measure.key
        got = measured[key]
        reachable = not condition.measure.source_free
        could_be = reach[key].to_dict() if reach is not None and reachable else None
        met = compare(got.value, condition.op, condition.operands)
        return _comparison_node(met, got, condition.op, _static(condition), could_be)
    if isinstance(condition, All | Any_):
        key = "all" if isinstance(condition, All) else "any"
        items = [explain(c, measured, reach) for c in condition.items]
        met = all(i["met"] for i in items) if key == "all" else any(i["met"] for i in items)
        return {"met": met, key: items}
    inner = explain(condition.item, measured, reach)
    return {"met": not inner["met"], "not": inner}


Explainer = Callable[[Mapping[str, Measured], "Mapping[str, Reach] | None"], dict[str, Any]]


def explainer(condition: Condition) -> Explainer:
    """`explain` for one condition, lowered once (per compiled ruleset) into nested closures:
    the tree walk, the static parts of every comparison and its comparator are resolved
    here, so explaining a family only builds the nodes. Gives exactly what `explain` gives."""
    if isinstance(condition, Compare):
        return _compare_explainer(condition)
    if isinstance(condition, All | Any_):
        parts = tuple(explainer(c) for c in condition.items)
        if isinstance(condition, All):

            def all_of(measured: Mapping[str, Measured], reach: Any) -> dict[str, Any]:
                items = [p(measured, reach) for p in parts]
                return {"met": all(i["met"] for i in items), "all": items}

            return all_of

        def any_of(measured: Mapping[str, Measured], reach: Any) -> dict[str, Any]:
            items = [p(measured, reach) for p in parts]
            return {"met": any(i["met"] for i in items), "any": items}

        return any_of
    inner = explainer(condition.item)

    def not_(measured: Mapping[str, Measured], reach: Any) -> dict[str, Any]:
        node = inner(measured, reach)
        return {"met": not node["met"], "not": node}

    return not_


def skeleton(condition: Condition) -> dict[str, Any]:
    """The parts of `condition`'s trace node that are the same for every family, as data:
    the tree's shape and each comparison's measure, comparator, threshold, parameters, unit
    and `measured` data (what a compact trace leaves out; `compact.expand` puts it back)."""
    if isinstance(condition, Compare):
        what, threshold, params, unit, data = _static(condition)
        node: dict[str, Any] = {
            "measure": what,
            "comparator": condition.op,
            "threshold": threshold,
            "parameters": params,
            "measured": data,
        }
        if unit:
            node["unit"] = unit
        return node
    if isinstance(condition, All | Any_):
        key = "all" if isinstance(condition, All) else "any"
        return {key: [skeleton(c) for c in condition.items]}
    return {"not": skeleton(condition.item)}


def _holds(op: str, operands: tuple[Operand, ...]) -> Callable[[Any], bool]:
    """`compare` with its comparator and operands fixed (None never satisfies)."""
    first = operands[0].value
    if op == "is":
        return lambda v: v is not None and v == first
    if op == "is_not":
        return lambda v: v is not None and v != first
    if op == "at_least":
        return lambda v: v is not None and v >= first
    if op == "more_than":
        return lambda v: v is not None and v > first
    if op == "at_most":
        return lambda v: v is not None and v <= first
    if op == "below":
        return lambda v: v is not None and v < first
    if op == "between":
        second = operands[1].value
        return lambda v: v is not None and first <= v <= second
    return lambda v: compare(v, op, operands)


def _compare_explainer(condition: Compare) -> Explainer:
    key = condition.measure.key
    op = condition.op
    holds = _holds(op, condition.operands)
    static = _static(condition)
    reachable = not condition.measure.source_free

    def leaf(measured: Mapping[str, Measured], reach: Any) -> dict[str, Any]:
        got = measured[key]
        could_be = reach[key].to_dict() if reach is not None and reachable else None
        return _comparison_node(holds(got.value), got, op, static, could_be)

    return leaf


def _show(value: Any, unit: str | None) -> str:
    if value is None:
        return "no value"
    if isinstance(value, bool):
        return "yes" if value else "no"
    text = f"{value:.2f}".rstrip("0").rstrip(".") if isinstance(value, float) else str(value)
    return f"{text}%" if unit == "percent" else text


def value_and_threshold(node: Mapping[str, Any]) -> tuple[str, str]:
    """The value found and the threshold, as shown to people."""
    unit = node.get("unit")
    thresholds = node["threshold"] if isinstance(node["threshold"], list) else [node["threshold"]]
    operands = tuple(Operand(v, p) for v, p in zip(thresholds, node["parameters"], strict=True))
    shown = _show(node["value"], unit)
    value = node["value"]
    if (
        isinstance(value, float)
        and compare(float(shown.rstrip("%")), node["comparator"], operands) != node["met"]
    ):
        # rounding would make the sentence contradict the result (9.997% shown as 10%)
        shown = f"{value:.6g}" + ("%" if unit == "percent" else "")
    parts = [_show(o.value, unit) if not isinstance(o.value, str) else o.value for o in operands]
    parts = [
        f"{text} ({o.param})" if o.param else text for text, o in zip(parts, operands, strict=True)
    ]
    return shown, " and ".join(parts) if node["comparator"] == "between" else ", ".join(parts)


def comparison_text(node: Mapping[str, Any]) -> str:
    """One comparison node in plain English, e.g. 'absence rate (terms ...): 11.35% >= 10% (rate)'."""
    shown, against = value_and_threshold(node)
    detail = f" ({node['detail']})" if node["detail"] else ""
    return f"{node['measure']}{detail}: {shown} {COMPARATOR_WORDS[node['comparator']]} {against}"


def miss_text(node: Mapping[str, Any]) -> str:
    """A near miss in a few words, e.g. 'absence rate 9.73% against 10% (persistent_absence_rate)'."""
    shown, against = value_and_threshold(node)
    return f"{node['measure']} {shown} against {against}"


# --------------------------------------------------------------------------- plain English


_MARKS = {"met": "MET    ", "not_met": "not met", "unknown": "UNKNOWN"}
_VERDICTS = {"eligible": "ELIGIBLE", "not_eligible": "NOT ELIGIBLE", "undetermined": "UNDETERMINED"}


def _reach_text(node: Mapping[str, Any]) -> str:
    """What an unchecked source could still make a measure, e.g. 'could be 0 or more'."""
    reach = node["could_be"]
    if "could_be" in reach:
        return "could be " + " or ".join(_show(v, None) for v in reach["could_be"])
    unit = node.get("unit")
    low, high = _show(reach["min"], unit), reach["max"]
    if reach["min"] <= NO_LOWER_BOUND:
        text = (
            "could be anything" if high is None else f"could be anything up to {_show(high, unit)}"
        )
    elif high is None:
        text = f"could be {low} or more"
    else:
        text = f"could be {low} to {_show(high, unit)}"
    return text + (", or no value" if reach.get("or_no_value") else "")


def _prospect_lines(trace: Mapping[str, Any]) -> list[str]:
    """What could change a not-eligible or undetermined outcome."""
    p = trace.get("prospects")
    if not p:
        return []
    lines = []
    if p.get("family") == "not_met":
        lines.append("No member makes the household a family, so no headline can make it eligible.")
    elif p.get("family") == "unknown":
        lines.append("Whether the household is a family is unknown.")
    if p["headlines_needed"]:
        lines.append(f"Headlines still needed: {p['headlines_needed']}")
    if p["could_settle_with"]:
        lines.append(f"Checking {', '.join(p['could_settle_with'])} could settle it;")
        lines.append(f"checking {', '.join(p['sure_to_settle_with'])} is sure to.")
    elif p["missing_sources"]:
        lines.append(
            f"Not checked, but could not change the outcome: {', '.join(p['missing_sources'])}"
        )
    if p["nearest_misses"]:
        lines.append("Nearest misses:")
        lines += [f"  {m['text']}" for m in p["nearest_misses"]]
    return [*lines, ""]


def render_condition(node: Mapping[str, Any], depth: int, lines: list[str]) -> None:
    """A condition node and its parts as indented lines, each ticked if it held."""
    pad = "      " + "  " * depth
    tick = "[x]" if node["met"] else "[ ]"
    if "comparator" in node:
        reach = f" ({_reach_text(node)})" if "could_be" in node else ""
        lines.append(f"{pad}{tick} {comparison_text(node)}{reach}")
        return
    for key, word in (("all", "all of"), ("any", "any of")):
        if key in node:
            lines.append(f"{pad}{tick} {word}:")
            for child in node[key]:
                render_condition(child, depth + 1, lines)
            return
    lines.append(f"{pad}{tick} not:")
    render_condition(node["not"], depth + 1, lines)


def _said(result: Mapping[str, Any]) -> str:
    """One subject's result in a few words."""
    if result["status"] == "met":
        return f"met by {result['basis']}" if "basis" in result else "met"
    missing = ", ".join(result.get("missing_sources", []))
    if result["status"] == "unknown":
        return f"unknown: not met on what was sent, but records from {missing} (not checked) could make it met"
    if result.get("settled"):
        return f"not met ({missing} not checked, but no record from it could change this)"
    return "not met"


def _subject_lines(result: Mapping[str, Any], lines: list[str]) -> None:
    lines.append(f"    {result['subject']}: {_said(result)}")
    for j in result.get("judgements", []):
        lines.append(f"      professional judgement by {j['by']}: {j['reason']}")
    if result.get("condition"):
        render_condition(result["condition"], 0, lines)


def _review_lines(decision: Mapping[str, Any]) -> list[str]:
    """Human reviews, when the decision is a stored one that has them (newest last)."""
    reviews = decision.get("reviews") or []
    if not reviews:
        return []
    lines = ["Human review (the automated decision is kept as made):"]
    for r in reviews:
        if r["verdict"] == "override":
            outcome = "eligible" if r["eligible"] else "not eligible"
            lines.append(
                f"  {r['created_at']} overridden to {outcome} by {r['reviewer']}: {r['reason']}"
            )
        else:
            lines.append(f"  {r['created_at']} confirmed by {r['reviewer']}: {r['reason']}")
    return [*lines, ""]


def _in_force(decision: Mapping[str, Any]) -> str:
    """The verdict of the first line: the outcome in force, then the automated one if a
    review put another in force."""
    automated = _VERDICTS[decision["status"]]
    outcome = decision.get("outcome")
    if not outcome or outcome.get("source") != "review":
        reviewed = " (confirmed by review)" if decision.get("reviews") else ""
        return automated + reviewed
    status = outcome.get("status") or {True: "eligible", False: "not_eligible"}.get(
        outcome.get("eligible"), "undetermined"
    )
    if status == decision["status"]:
        return f"{automated} (by review, as the automated decision)"
    return f"{_VERDICTS[status]} (by review; the automated decision was {automated})"


def failed_only(decision: Mapping[str, Any]) -> dict[str, Any]:
    """The decision with only what was not met in its trace (`--explain failed` as data):
    headlines all of whose indicators were met, indicators met and subjects met are left
    out; everything else, the outcome included, is kept as it is."""

    def unmet(results: list[dict[str, Any]]) -> list[dict[str, Any]]:
        return [r for r in results if not r["met"]]

    trace = dict(decision["trace"])
    trace["headlines"] = [
        {
            **h,
            "indicators": [
                {**i, "subjects": unmet(i["subjects"])} for i in h["indicators"] if not i["met"]
            ],
        }
        for h in trace["headlines"]
        if not all(i["met"] for i in h["indicators"])
    ]
    if "family" in trace:
        trace["family"] = {**trace["family"], "subjects": unmet(trace["family"]["subjects"])}
    return {**decision, "trace": trace}


def _local_lines(local: Mapping[str, Any] | None) -> list[str]:
    """Whose rules these are and each value the council chose differently, with both sources."""
    if not local:
        return []
    lines = [f"Local rules of {local['council']}"]
    for o in local["overrides"]:
        unit = f" {o['unit']}" if o["unit"] else ""
        lines.append(
            f"  {o['parameter']}: {_value(o['value'])}{unit} locally ({o['source'].strip()}); "
            f"{_value(o['national']['value'])}{unit} in {local['extends']} "
            f"({o['national']['source'].strip()})"
        )
    return lines


def _value(value: Any) -> str:
    return ", ".join(value) if isinstance(value, list) else str(value)


def _since_lines(since: Mapping[str, Any] | None) -> list[str]:
    """`policy.since.rules_since` in plain English (a stored decision's view may carry it)."""
    if not since:
        return []
    made = since["made_with"]
    lines = []
    if since.get("made_with_loaded") is False:
        lines.append(
            f"Rules since: {made} is no longer loaded; this explanation is the trace as made."
        )
    if "file_changed" in since:
        lines.append(
            f"Rules since: the file of {made} has changed since this decision (sha256 "
            f"{since['file_changed']['then'][:12]} then, {since['file_changed']['now'][:12]} now); "
            "this explanation is the trace as made."
        )
    now = since.get("in_force")
    if now:
        head = f"Rules since: {now['ref']} is now in force for this assessment date"
        if "problems" in now:
            lines.append(
                f"{head}, and these facts are not valid under it: {'; '.join(now['problems'])}."
            )
        elif now["decides_differently"]:
            met = ", ".join(now["headlines_met"]) or "none"
            lines.append(
                f"{head} and would decide differently: {_VERDICTS[now['status']]} "
                f"(headlines met: {met}). This decision, made with {made}, stands until a new "
                "one is asked for."
            )
        else:
            lines.append(f"{head}; it would decide the same.")
    return lines


def render_text(decision: Mapping[str, Any], *, only_failed: bool = False) -> str:
    """A decision and its trace in plain English; `only_failed` keeps only what was not met.

    A stored decision's outcome in force (a review's, if one changed it) comes first.
    """
    trace = decision["trace"]
    rs = decision["ruleset"]
    lines = [
        f"Family {decision['family_ref']}, assessed on {decision['assessment_date']}: "
        f"{_in_force(decision)}",
        f"Ruleset {rs['id']}@{rs['version']} (sha256 {rs['sha256'][:12]})"
        + (
            f", extending {rs['extends']['id']}@{rs['extends']['version']} "
            f"(sha256 {rs['extends']['sha256'][:12]})"
            if "extends" in rs
            else ""
        ),
        *_local_lines(trace.get("local")),
        *_since_lines(decision.get("rules_since")),
        f"Decision: {trace['decision']['text']}",
        "",
    ]
    lines += _prospect_lines(trace)
    lines += _review_lines(decision)
    for assumption in trace["assumptions"]:
        lines.append(f"Assumption: {assumption}")
    for warning in trace.get("warnings", []):
        lines.append(f"Warning: {warning['pointer']}: {warning['message']}")
    lines.append("")
    family = trace.get("family")
    if family and not (only_failed and family["met"]):
        lines.append(f"Family: {family['name']}: {_MARKS[family['status']].strip()}")
        for result in family["subjects"]:
            if not (only_failed and result["met"]):
                _subject_lines(result, lines)
        lines.append("")
    for headline in trace["headlines"]:
        if only_failed and all(ind["met"] for ind in headline["indicators"]):
            continue
        lines.append(f"{headline['id']} {headline['name']}: {_MARKS[headline['status']].strip()}")
        for ind in headline["indicators"]:
            if only_failed and ind["met"]:
                continue
            lines.append(f"  {_MARKS[ind['status']]} {ind['id']} ({ind['origin']}) {ind['name']}")
            if ind.get("note"):
                lines.append(f"      {ind['note']}")
            for result in ind["subjects"]:
                if not (only_failed and result["met"]):
                    _subject_lines(result, lines)
        lines.append("")
    return "\n".join(lines).rstrip() + "\n"
