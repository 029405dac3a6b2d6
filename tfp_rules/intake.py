"""Take in a facts document: parse it, choose the ruleset that will judge it, and check it
against that ruleset, reporting every problem of every kind in one answer.

`facts.parse_facts` knows the document's shape; some checks need the ruleset
as well: whether a judgement names an indicator the ruleset has, and a member
that indicator applies to, and whether a school term had started by the
assessment date under the ruleset's term dates. `take_in` runs all of them,
whatever fails first, so a sender fixes a document in one pass; `tfp
validate`, `tfp eval` and the service all come through here.

Warnings are not problems: the document is decided, and the trace says what
looked wrong (a declared role the date of birth contradicts).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from .errors import FactProblem, FactsError, suggest
from .facts import FamilyFacts, as_date, load_document, objects, validate_document
from .library import RulesetLibrary
from .ruleset import Ruleset
from .terms import TERM_PATTERN

_WHO = {"child": "a child", "adult": "an adult", "any_member": "any member"}


@dataclass(frozen=True)
class Intake:
    """A document that passed every check: the model, the ruleset chosen, and warnings."""

    facts: FamilyFacts
    ruleset: Ruleset
    warnings: tuple[FactProblem, ...]


def _age(born: dt.date, on: dt.date) -> int:
    return on.year - born.year - ((on.month, on.day) < (born.month, born.day))


def _members(doc: Mapping[str, Any]) -> dict[str, tuple[int, dt.date | None]]:
    """Member ref -> (index, date of birth or None), from raw data; first ref wins."""
    out: dict[str, tuple[int, dt.date | None]] = {}
    for i, member in objects(doc, "members"):
        ref = member.get("ref")
        if isinstance(ref, str) and ref not in out:
            out[ref] = (i, as_date(member.get("date_of_birth")))
    return out


def ruleset_problems(ruleset: Ruleset, doc: Mapping[str, Any]) -> list[FactProblem]:
    """What is wrong with a document (plain JSON data, any shape) under `ruleset`.

    A judgement must name one of its indicators, and a member it applies to (no
    member for a household indicator); a school term must have started by the
    assessment date under the ruleset's term dates.
    """
    on = as_date(doc.get("assessment_date"))
    adult_age = int(ruleset.parameters["adult_age"].value)  # type: ignore[arg-type]
    members = _members(doc)
    problems: list[FactProblem] = []
    ids = [ind.id for ind in ruleset.indicators]
    progress = {pm.id for pm in ruleset.outcome_plan.measures} if ruleset.outcome_plan else set()
    for k, judgement in objects(doc, "judgements"):
        at = f"/judgements/{k}"
        name = judgement.get("indicator")
        if isinstance(name, str) and name in progress:  # a judgement of progress: the family
            if judgement.get("member") is not None:
                problems.append(
                    FactProblem(
                        f"{at}/member",
                        f"{name} is progress of the whole family: a judgement on it names no "
                        "member",
                    )
                )
            continue
        indicator = ruleset.indicator(name) if isinstance(name, str) else None
        if indicator is None:
            if isinstance(name, str):
                problems.append(
                    FactProblem(
                        f"{at}/indicator",
                        f"ruleset {ruleset.ref} has no indicator '{name}'{suggest(name, ids)}",
                    )
                )
            continue
        who = judgement.get("member")
        household = indicator.applies_to == "household"
        if household and who is not None:
            problems.append(
                FactProblem(
                    f"{at}/member",
                    f"{name} applies to the household: a judgement on it names no member",
                )
            )
        elif not household and who is None:
            problems.append(
                FactProblem(
                    f"{at}/member",
                    f"{name} applies to {_WHO[indicator.applies_to]}: "
                    "say which member the judgement is about",
                )
            )
        elif isinstance(who, str) and who in members and indicator.applies_to != "any_member":
            born = members[who][1]
            if on is not None and born is not None and born <= on:
                age = _age(born, on)
                is_child = age < adult_age
                if is_child != (indicator.applies_to == "child"):
                    problems.append(
                        FactProblem(
                            f"{at}/member",
                            f"{name} applies to {_WHO[indicator.applies_to]}, but {who} is "
                            f"{_WHO['child' if is_child else 'adult']} (aged {age}) on the "
                            f"assessment date {on}",
                        )
                    )
    if on is not None:
        problems += _term_problems(ruleset, doc, on)
    return problems


def _term_problems(ruleset: Ruleset, doc: Mapping[str, Any], on: dt.date) -> list[FactProblem]:
    """Terms reported before they began, under the ruleset's term dates."""
    problems = []
    for i, member in objects(doc, "members"):
        for k, term in objects(member.get("school"), "terms"):
            label = term.get("term")
            if not isinstance(label, str) or not re.match(TERM_PATTERN, label):
                continue  # not a term label: the schema has said so
            try:
                starts = ruleset.terms.bounds(label)[0]
            except ValueError:
                continue  # a year outside the calendar: the schema has said so
            if starts > on:
                problems.append(
                    FactProblem(
                        f"/members/{i}/school/terms/{k}/term",
                        f"term {label} starts after the assessment date {on} "
                        f"(on {starts} under {ruleset.ref}'s term dates)",
                    )
                )
    return problems


def warnings(ruleset: Ruleset, facts: FamilyFacts) -> list[FactProblem]:
    """What looks wrong but does not stop a decision: a declared role that the date of birth
    contradicts (the ruleset goes by the date of birth)."""
    adult_age = int(ruleset.parameters["adult_age"].value)  # type: ignore[arg-type]
    out = []
    for i, member in enumerate(facts.members):
        age = member.age_on(facts.assessment_date)
        actual = "child" if age < adult_age else "adult"
        if member.role != actual:
            out.append(
                FactProblem(
                    f"/members/{i}/role",
                    f"role says {member.role}, but {member.ref} is {age} on the assessment date; "
                    f"the rules go by the date of birth and treat them as {_WHO[actual]}",
                )
            )
    return out


def take_in(
    library: RulesetLibrary,
    data: str | bytes | bytearray | Mapping[str, Any],
    ruleset: str | None = None,
    *,
    drafts: bool = False,
) -> Intake:
    """Parse, choose the ruleset (`ID[@VERSION]`, or the version in force on the assessment
    date; drafts only if `drafts`), and check; raises FactsError with every problem found,
    of every kind.

    Raises UnknownRulesetError if no ruleset answers to `ruleset` on that date
    (DraftRulesetError if only a draft does).
    """
    doc = load_document(data)
    facts, problems = validate_document(doc)
    on = as_date(doc.get("assessment_date"))
    chosen = None
    if on is not None or (ruleset and "@" in ruleset):
        chosen = library.resolve(ruleset, on=on, drafts=drafts)
        problems += ruleset_problems(chosen, doc)
    if problems:
        raise FactsError(problems)
    assert chosen is not None and facts is not None  # no problems: both were made
    return Intake(facts, chosen, tuple(warnings(chosen, facts)))
