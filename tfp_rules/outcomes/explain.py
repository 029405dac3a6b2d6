"""A progress decision in plain English: the outcome, then each headline the family had at
entry with its measures and the facts and thresholds that decided them."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..trace import render_condition

_VERDICTS = {
    "progressed": "SIGNIFICANT AND SUSTAINED PROGRESS",
    "not_progressed": "NOT YET PROGRESSED",
    "undetermined": "UNDETERMINED",
}
_MARKS = {"met": "MET    ", "not_met": "not met", "unknown": "UNKNOWN"}
_CLAIM = {True: "QUALIFIES", False: "does not qualify", None: "cannot be decided yet"}
_BY = {
    "progress": "sustained progress on every entry headline",
    "employment": "continuous employment",
}


def render_progress_text(decision: Mapping[str, Any]) -> str:
    trace = decision["trace"]
    rs = decision["ruleset"]
    entry = decision["entry"]
    lines = [
        f"Family {decision['family_ref']}, progress checked on {decision['assessment_date']}: "
        f"{_VERDICTS[decision['status']]}",
        f"Results claim: {_CLAIM[decision['qualifies']]}"
        + (f" (by {_BY[decision['qualifies_by']]})" if decision["qualifies_by"] else ""),
        f"Ruleset {rs['id']}@{rs['version']} (sha256 {rs['sha256'][:12]}), "
        f"outcome plan: {trace['plan']['name']}",
        f"Entry on {entry['assessment_date']} with {', '.join(entry['headlines'])}; progress "
        f"must last {trace['sustain']['months']} months, so from {trace['sustain']['from']}",
        f"Decision: {trace['decision']['text']}",
        "",
    ]
    for headline in trace["headlines"]:
        lines.append(f"{headline['id']} {headline['name']}: {_MARKS[headline['status']].strip()}")
        for m in headline["measures"]:
            lines.append(f"  {_MARKS[m['status']]} {m['id']} {m['name']}")
            lines.append(f"      {_said(m)}")
            for j in m.get("judgements", []):
                lines.append(f"      professional judgement by {j['by']}: {j['reason']}")
            if m.get("condition"):
                render_condition(m["condition"], 0, lines)
            for subject in m.get("subjects", []):
                lines.append(f"      {subject['subject']}: {subject['status'].replace('_', ' ')}")
                render_condition(subject["condition"], 1, lines)
        lines.append("")
    employment = trace["employment"]
    lines.append(f"Continuous employment: {_MARKS[employment['status']].strip()}")
    for adult in employment["adults"]:
        lines.append(f"  {_MARKS[adult['status']]} {adult['member']}: {adult['explanation']}")
    if not employment["adults"]:
        lines.append("  no adult in the family at entry")
    return "\n".join(lines).rstrip() + "\n"


def _said(m: Mapping[str, Any]) -> str:
    missing = ", ".join(m.get("missing_sources", []))
    if m["status"] == "met":
        return "met by a worker's judgement" if m["basis"] == "judgement" else "met on the records"
    if m["status"] == "unknown":
        return f"unknown: records from {missing} (not checked) could change this"
    if m["basis"].startswith("no "):
        return f"not met: {m['basis']} on the check date"
    if m["status"] == "not_met" and m.get("subjects"):
        return f"not met: it must hold for {m['applies_to'].replace('_', ' ')}"
    if m["basis"] == "judgement only":
        return (
            "not met: only a worker's documented judgement shows this progress, and none was given"
        )
    return "not met"
