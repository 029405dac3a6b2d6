"""Ruleset pages: every version with its status, and one version in words (headlines and
their conditions, the family rule, parameters with their sources and review-by dates).

The same visibility as the API (`service/rulesets.py`): reviewers see published versions
only, policy officers and admins drafts too; a draft is not found for a reviewer. Reading
rules is not personal data, so these pages leave no audit row, as the API's routes do not.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask import current_app, render_template

from tfp_rules.library import RulesetLibrary
from tfp_rules.outcomes.plan import OutcomePlan
from tfp_rules.policy.words import amount, condition_text, subject_words, words
from tfp_rules.ruleset import Ruleset
from tfp_rules.summary import human_date, human_when, source_names

from ..auth import actor, requires
from ..problems import Problem
from ..rulesets import SEES_DRAFTS
from .blueprint import bp

READERS = ("reviewer", "policy_officer")  # and admin, always
STATUS_WORDS = {"published": "Published", "draft": "Draft"}
PLAN_SUBJECTS = {
    "family": "the family as a whole",
    "every_child": "every child",
    "every_adult": "every adult",
}


def today() -> dt.date:
    """The date a review-by date is overdue after (a function, for tests to move)."""
    return dt.date.today()


def library() -> RulesetLibrary:
    """The rulesets the service serves now (reloaded when their files change)."""
    return current_app.extensions["tfp.library"].current()


def sees_drafts() -> bool:
    """Whether the signed-in person is shown drafts (policy officers and admins)."""
    return actor().role in SEES_DRAFTS


def visible(lib: RulesetLibrary) -> list[Ruleset]:
    """The versions this person may see, by id and effective date."""
    drafts = sees_drafts()
    return [rs for rs in lib if drafts or lib.is_published(rs.ref)]


def visible_version(lib: RulesetLibrary, ruleset_id: str, version: str) -> Ruleset:
    """The version named, or a 404 (a draft, for a reviewer, is not found either)."""
    ref = f"{ruleset_id}@{version}"
    found = lib.get(ref)
    if found is None or (not sees_drafts() and not lib.is_published(ref)):
        raise Problem(404, "not-found", "No such ruleset", f"There is no ruleset {ref}.")
    return found


def version_label(rs: Ruleset, lib: RulesetLibrary) -> str:
    """'2015.1 (published, from 1 April 2015)', for a list of versions to choose from."""
    status = lib.status(rs.ref)
    return f"{rs.version} ({status}, from {human_date(rs.effective_from.isoformat())})"


def _effective_to(rs: Ruleset, lib: RulesetLibrary) -> str:
    """The last day `rs` is in force: the day before the next published version of its id
    takes effect (drafts decide nothing, so they end nothing)."""
    later = [
        other.effective_from
        for other in lib.published()
        if other.id == rs.id and other.effective_from > rs.effective_from
    ]
    if not later:
        return "Until replaced"
    return human_date((min(later) - dt.timedelta(days=1)).isoformat())


def _row(rs: Ruleset, lib: RulesetLibrary) -> dict[str, Any]:
    pub = (lib.publications or {}).get(rs.ref)
    return {
        "id": rs.id,
        "name": _name(rs),
        "council": rs.council,
        "version": rs.version,
        "effective_from": human_date(rs.effective_from.isoformat()),
        "effective_to": _effective_to(rs, lib),
        "status": STATUS_WORDS[lib.status(rs.ref)],
        "published_at": human_when(pub.published_at) if pub else "",
        "published_by": pub.published_by if pub else "",
        "tests": pub.tests if pub else "",
    }


def _name(rs: Ruleset) -> str:
    """What a person calls a ruleset: its id in words ('National', 'Stockton')."""
    return words(rs.id).capitalize()


@bp.get("/rulesets")
@requires(*READERS)
def rulesets() -> str:
    """Every version a person may see, with its dates, status and publication."""
    lib = library()
    shown = visible(lib)
    ids = sorted({rs.id for rs in shown})
    comparable = [i for i in ids if sum(1 for rs in shown if rs.id == i) > 1]
    return render_template(
        "rulesets.html",
        rows=[_row(rs, lib) for rs in shown],
        comparable=comparable,
        drafts_shown=sees_drafts(),
    )


def _parameters(rs: Ruleset, today: dt.date) -> list[dict[str, Any]]:
    return [
        {
            "name": words(p.name),
            "id": p.name,
            "description": p.description,
            "value": amount(p.value, p.unit),
            "source": p.source,
            "review_by": human_date(p.review_by.isoformat()) if p.review_by else "",
            "overdue": p.review_by is not None and p.review_by < today,
            "overridden": p.name in rs.overrides,
        }
        for p in sorted(rs.parameters.values(), key=lambda p: p.name)
    ]


def _headlines(rs: Ruleset) -> list[dict[str, Any]]:
    return [
        {
            "id": h.id,
            "name": h.name,
            "indicators": [
                {
                    "id": i.id,
                    "name": i.name,
                    "origin": "Local" if i.origin == "local" else "National",
                    "applies_to": subject_words(i.applies_to),
                    "data_sources": source_names(list(i.data_sources)),
                    "source": i.source,
                    "condition": condition_text(i.when, rs),
                    "with_parameters": condition_text(i.when, rs, parameters=True),
                }
                for i in h.indicators
            ],
        }
        for h in rs.headlines
    ]


def _plan(rs: Ruleset, plan: OutcomePlan | None) -> dict[str, Any] | None:
    if plan is None:
        return None
    names = {h.id: h.name for h in rs.headlines}
    return {
        "name": plan.name,
        "source": plan.source,
        "sustain": amount(plan.sustain_months, "months"),
        "headlines": [
            {
                "id": headline,
                "name": names.get(headline, headline),
                "measures": [
                    {
                        "name": m.name,
                        "applies_to": PLAN_SUBJECTS.get(m.applies_to, words(m.applies_to)),
                        "data_sources": source_names(list(m.data_sources)),
                        "source": m.source,
                        "condition": condition_text(m.when, rs) if m.when is not None else "",
                    }
                    for m in measures
                ],
            }
            for headline, measures in plan.headlines.items()
        ],
    }


def _local(rs: Ruleset, lib: RulesetLibrary) -> dict[str, Any] | None:
    """What a local ruleset extends and which national values it overrides."""
    base = rs.extends
    if base is None:
        return None
    overrides = []
    for name in rs.overrides:
        mine, theirs = rs.parameters.get(name), base.parameters.get(name)
        overrides.append(
            {
                "name": words(name),
                "value": amount(mine.value, mine.unit) if mine else "",
                "national": amount(theirs.value, theirs.unit) if theirs else "",
                "source": mine.source if mine else "",
            }
        )
    return {
        "council": rs.council,
        "base": base,
        "base_shown": lib.get(base.ref) is not None
        and (sees_drafts() or lib.is_published(base.ref)),
        "overrides": overrides,
        "local_indicators": [i.name for i in rs.indicators if i.origin == "local"],
    }


@bp.get("/rulesets/<ruleset_id>/<version>")
@requires(*READERS)
def ruleset_version(ruleset_id: str, version: str) -> str:
    """One version in words: headlines and their conditions, the family rule, parameters."""
    lib = library()
    rs = visible_version(lib, ruleset_id, version)
    others = [v for v in visible(lib) if v.id == rs.id]
    family = rs.family
    return render_template(
        "ruleset_version.html",
        rs=rs,
        name=_name(rs),
        status=STATUS_WORDS[lib.status(rs.ref)],
        effective_from=human_date(rs.effective_from.isoformat()),
        effective_to=_effective_to(rs, lib),
        publication=(lib.publications or {}).get(rs.ref),
        human_when=human_when,
        headlines=_headlines(rs),
        family=(
            {
                "name": family.name,
                "source": family.source,
                "data_sources": source_names(list(family.data_sources)),
                "condition": condition_text(family.when, rs),
            }
            if family is not None
            else None
        ),
        required_param=words(rs.headlines_required_param or ""),
        parameters=_parameters(rs, today()),
        local=_local(rs, lib),
        plan=_plan(rs, rs.outcome_plan),
        comparable=len(others) > 1,
    )
