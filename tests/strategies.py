"""Hypothesis strategies for valid family facts documents that land near the national thresholds."""

from __future__ import annotations

import datetime as dt
from typing import Any

from hypothesis import strategies as st

from tfp_rules.facts import EVENT_TYPES, FLAG_NAMES, SOURCES, UC_REGIMES
from tfp_rules.terms import CENSUS_CALENDAR

ASSESSMENT_DATES = [
    dt.date(2019, 3, 31),
    dt.date(2020, 2, 29),
    dt.date(2018, 8, 31),
    dt.date(2017, 12, 1),
]


def _iso(d: dt.date) -> str:
    return d.isoformat()


def _age(born: str, on: dt.date) -> int:
    b = dt.date.fromisoformat(born)
    return on.year - b.year - ((on.month, on.day) < (b.month, b.day))


@st.composite
def event(draw: st.DrawFn, ad: dt.date) -> dict[str, Any]:
    kind = draw(st.sampled_from(EVENT_TYPES))
    # dates cluster around the 12-month boundary (365/366 days back) and the assessment date
    back = draw(st.sampled_from([0, 1, 30, 200, 364, 365, 366, 367, 400, 700]))
    start = ad - dt.timedelta(days=back)
    out: dict[str, Any] = {"type": kind, "date": _iso(start)}
    if draw(st.booleans()):
        ended_back = draw(st.integers(0, back))
        out["ended"] = _iso(ad - dt.timedelta(days=ended_back))
    if kind in ("domestic_abuse", "domestic_abuse_callout"):
        out["role"] = draw(st.sampled_from(["victim", "perpetrator", "at_risk", "witness"]))
    if kind in ("rent_arrears", "problem_debt"):
        out["amount_gbp"] = draw(st.integers(0, 2000))
    if kind == "asb_intervention" and draw(st.booleans()):
        out["kind"] = draw(st.sampled_from(["injunction", "housing_asb_action", "tenancy_warning"]))
    if draw(st.integers(0, 3)) == 0:  # the same incident, reported on several records
        out["incident"] = draw(st.sampled_from(["INC-1", "INC-2"]))
    if kind == "custody" and draw(st.booleans()):
        ahead = draw(st.sampled_from([0, 30, 365, 366, 400]))
        out["release_due"] = _iso(ad + dt.timedelta(days=ahead))
    return out


@st.composite
def school(draw: st.DrawFn, ad: dt.date) -> dict[str, Any]:
    labels = draw(
        st.lists(st.sampled_from(CENSUS_CALENDAR.last_terms(ad, 5)), unique=True, max_size=5)
    )
    terms = []
    for label in labels:
        possible = draw(st.sampled_from([0, 100, 120]))
        absent = draw(st.integers(0, possible)) if possible != 100 else draw(st.integers(8, 12))
        terms.append(
            {
                "term": label,
                "possible_sessions": possible,
                "absent_sessions": absent,
                "fixed_term_exclusions": draw(st.integers(0, 2)),
                "permanently_excluded": draw(st.booleans()) and draw(st.booleans()),
            }
        )
    out: dict[str, Any] = {"registered": draw(st.booleans()), "terms": terms}
    if draw(st.booleans()):
        out["alternative_provision"] = draw(st.sampled_from(["behaviour", "other"]))
    if draw(st.booleans()):
        out["education_otherwise"] = draw(st.booleans())
    return out


@st.composite
def member(draw: st.DrawFn, ad: dt.date, ref: str) -> dict[str, Any]:
    # ages cluster on the national age boundaries (4/5, 15/16, 17/18, 24/25)
    years = draw(st.sampled_from([0, 4, 5, 12, 15, 16, 17, 18, 24, 25, 40]))
    days = draw(st.sampled_from([-1, 0, 1, 100]))
    try:
        born = ad.replace(year=ad.year - years) - dt.timedelta(days=days)
    except ValueError:  # 29 February
        born = dt.date(ad.year - years, 3, 1) - dt.timedelta(days=days)
    born = min(born, ad)
    out: dict[str, Any] = {
        "ref": ref,
        "role": "adult" if years >= 18 else "child",
        "date_of_birth": _iso(born),
        "parenting_responsibility": draw(st.booleans()),
        "events": draw(st.lists(event(ad), max_size=4)),
        "flags": {
            name: True
            for name in draw(st.lists(st.sampled_from(FLAG_NAMES), max_size=5, unique=True))
        },
    }
    if draw(st.booleans()):
        kind = draw(st.sampled_from(["JSA", "ESA", "IS", "UC", "other"]))
        benefit: dict[str, Any] = {
            "type": kind,
            "from": _iso(ad - dt.timedelta(days=draw(st.integers(0, 900)))),
        }
        if kind == "UC" and draw(st.booleans()):
            benefit["work_search"] = draw(st.booleans())
        if kind == "UC" and draw(st.booleans()):
            benefit["conditionality"] = draw(st.sampled_from(UC_REGIMES))
        if draw(st.booleans()):
            benefit["to"] = _iso(ad - dt.timedelta(days=draw(st.integers(0, 1))))
        out["benefits"] = [benefit] if benefit["from"] <= benefit.get("to", "9999") else []
    if years < 18 and draw(st.booleans()):
        out["school"] = draw(school(ad))
    return out


@st.composite
def family(draw: st.DrawFn) -> dict[str, Any]:
    ad = draw(st.sampled_from(ASSESSMENT_DATES))
    n = draw(st.integers(1, 4))
    members = [draw(member(ad, f"m{i}")) for i in range(n)]
    doc: dict[str, Any] = {
        "family_ref": "PROP-1",
        "assessment_date": _iso(ad),
        "members": members,
        "household": {"events": draw(st.lists(event(ad), max_size=2))},
    }
    if draw(st.booleans()):  # sometimes say which sources were checked (the rest are unknown)
        sources = draw(st.sets(st.sampled_from(SOURCES)))
        doc["sources_checked"] = {source: _iso(ad) for source in sorted(sources)}
    # judgements, sometimes two of the same indicator and member (a bug once hid there);
    # a judgement on a child's indicator names a child
    children = [m["ref"] for m in members if _age(m["date_of_birth"], ad) < 18]
    choices = [("H6.mental_health", "m0"), ("H4.financial_difficulty", None)]
    if children:
        choices.append(("H3.early_help", children[0]))
    judged = st.sampled_from(choices)
    doc["judgements"] = [
        {"indicator": ind, "member": who, "by": "worker-1", "reason": "assessment on file"}
        for ind, who in draw(st.lists(judged, max_size=2))
    ]
    return doc
