"""The facts as a partner sent them, as the decision page's readable tables: members,
school terms, events, benefits and employment, professional judgements, sources checked."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from tfp_rules.policy.words import BENEFIT_NAMES, EVENT_NOUNS, ROLE_WORDS, TRUE_PHRASES, words
from tfp_rules.summary import dates, human_date, source_names


def age_on(born: str, on: str) -> int:
    """Age in whole years on a day."""
    b, d = dt.date.fromisoformat(born), dt.date.fromisoformat(on)
    return d.year - b.year - ((d.month, d.day) < (b.month, b.day))


def member_flags(m: Mapping[str, Any]) -> list[str]:
    """What the facts say of a member, as phrases ('with parenting responsibility')."""
    said = [TRUE_PHRASES["parenting_responsibility"]] if m.get("parenting_responsibility") else []
    school = m.get("school") or {}
    if "registered" in school:
        said.append(
            "registered at a school" if school["registered"] else "not registered at a school"
        )
    if school.get("education_otherwise"):
        said.append(TRUE_PHRASES["school.education_otherwise"])
    if school.get("alternative_provision"):
        said.append(f"in alternative provision ({words(school['alternative_provision'])})")
    said += [
        TRUE_PHRASES.get(f"flags.{k}", words(k)) for k, v in (m.get("flags") or {}).items() if v
    ]
    return said


def event_details(e: Mapping[str, Any]) -> str:
    """An event's particulars beyond its kind and date."""
    parts = []
    if "ended" in e:
        parts.append(f"ended {human_date(e['ended'])}" if e["ended"] else "still open")
    if e.get("role"):
        parts.append(ROLE_WORDS.get(e["role"], words(e["role"])))
    if e.get("kind"):
        parts.append(words(e["kind"]))
    if e.get("amount_gbp") is not None:
        parts.append(f"£{e['amount_gbp']:,}")
    if e.get("release_due"):
        parts.append(f"release due {human_date(e['release_due'])}")
    if e.get("incident"):
        parts.append(f"incident {e['incident']}")
    return "; ".join(parts)


def income_row(ref: str, what: str, r: Mapping[str, Any]) -> dict[str, str]:
    """A benefit claim or a job, as a row."""
    details = []
    if "work_search" in r and r["work_search"] is not None:
        details.append("with work-search requirements" if r["work_search"] else "no work search")
    if r.get("conditionality"):
        details.append(f"{words(r['conditionality'])} regime")
    if r.get("hours_per_week") is not None:
        details.append(f"{r['hours_per_week']:g} hours a week")
    to = human_date(r["to"]) if r.get("to") else "continuing"
    return {
        "member": ref,
        "what": what,
        "from": human_date(r["from"]),
        "to": to,
        "details": "; ".join(details),
    }


def facts_tables(facts: Mapping[str, Any], trace: Mapping[str, Any]) -> dict[str, list]:
    """The facts as received, as rows of readable tables."""
    on = facts["assessment_date"]
    members, terms, events, income = [], [], [], []
    for m in facts["members"]:
        ref = m["ref"]
        members.append(
            {
                "ref": ref,
                "role": words(m["role"]).capitalize(),
                "born": f"{human_date(m['date_of_birth'])} (aged {age_on(m['date_of_birth'], on)})",
                "flags": "; ".join(member_flags(m)) or "Nothing recorded",
            }
        )
        for t in (m.get("school") or {}).get("terms", []):
            absent, unauth = t["absent_sessions"], t.get("unauthorised_sessions", 0)
            fixed = t.get("fixed_term_exclusions", 0)
            excl = [f"{fixed} fixed-term"] if fixed else []
            if t.get("permanently_excluded"):
                excl.append("permanently excluded")
            terms.append(
                {
                    "member": ref,
                    "term": dates(t["term"]).capitalize(),
                    "possible": t["possible_sessions"],
                    "missed": absent,
                    "authorised": absent - unauth,
                    "unauthorised": unauth,
                    "exclusions": ", ".join(excl) or "None",
                }
            )
        events += [_event(ref, e) for e in m.get("events", [])]
        income += [
            income_row(ref, BENEFIT_NAMES.get(b["type"], b["type"]), b)
            for b in m.get("benefits", [])
        ]
        income += [income_row(ref, "Employment", j) for j in m.get("employment", [])]
    events += [_event("Household", e) for e in (facts.get("household") or {}).get("events", [])]
    names = {i["id"]: i["name"] for h in trace["headlines"] for i in h["indicators"]}
    judgements = [
        {
            "indicator": f"{j['indicator'].split('.')[0]}: {names.get(j['indicator'], words(j['indicator'].split('.')[-1]))}",
            "member": j.get("member") or "Household",
            "by": j["by"],
            "reason": j["reason"],
            "date": human_date(j["date"]) if j.get("date") else "",
        }
        for j in facts.get("judgements", [])
    ]
    sources = trace.get("sources") or {}
    checked = [
        {"source": _capital(source_names([s])), "when": f"Checked on {human_date(day)}"}
        for s, day in sorted((sources.get("checked") or {}).items())
    ]
    checked += [
        {"source": _capital(source_names([s])), "when": "Not checked"}
        for s in sources.get("unchecked", [])
    ]
    return {
        "members": members,
        "terms": terms,
        "events": events,
        "income": income,
        "judgements": judgements,
        "sources": checked,
    }


def _capital(phrase: str) -> str:
    return phrase[:1].upper() + phrase[1:]


def _event(ref: str, e: Mapping[str, Any]) -> dict[str, str]:
    kind = EVENT_NOUNS.get(e["type"], (words(e["type"]),))[0]
    return {
        "member": ref,
        "kind": _capital(kind),
        "date": human_date(e["date"]),
        "details": event_details(e),
    }


# --------------------------------------------------------------------------- chain and rules
