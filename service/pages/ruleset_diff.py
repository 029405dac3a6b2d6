"""The diff page: two versions of one ruleset chosen in a GET form, and what the second
changes against the first in words (`tfp diff`'s text, by section), with the form that
starts an impact analysis of the two (`impact.py`).

As the version pages: a reviewer compares published versions only. A version that is not
one of the ruleset's (or is a draft, for a reviewer) is the form again with an error, never
a crash.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from flask import render_template, request
from flask_wtf import FlaskForm
from wtforms import Field, HiddenField, SelectField

from tfp_rules.policy.diff import SECTIONS, diff_rulesets
from tfp_rules.ruleset import Ruleset
from tfp_rules.summary import dates

from ..auth import requires
from ..problems import Problem
from ..rulesets import VERSION
from .blueprint import bp
from .rulesets import READERS, library, version_label, visible


class CompareForm(FlaskForm):
    """The two versions to compare; a GET form, so it carries no CSRF token."""

    from_ = SelectField("From version", name="from", validate_choice=False)
    to = SelectField("To version", validate_choice=False)


class ImpactForm(FlaskForm):
    """The two versions an impact analysis compares, chosen on the diff page."""

    from_ = HiddenField(name="from")
    to = HiddenField()


def versions_of(ruleset_id: str) -> list[Ruleset]:
    """The versions of `ruleset_id` this person may see (a 404 when there is none)."""
    found = [rs for rs in visible(library()) if rs.id == ruleset_id]
    if not found:
        raise Problem(404, "not-found", "No such ruleset", f"There is no ruleset {ruleset_id}.")
    return found


def choose(fields: Iterable[tuple[Field, str]], versions: list[Ruleset]) -> tuple[int, list]:
    """Each field's version among `versions`, or its error on the field: the status to
    answer with (400 for no version or a malformed one, 404 for one that is not there)."""
    status, chosen = 200, []
    for field, what in fields:
        value = (field.data or "").strip()
        found = next((rs for rs in versions if rs.version == value), None)
        if not value:
            field.errors = [f"Select a version to compare {what}"]
            status = max(status, 400)
        elif not re.match(VERSION, value):
            field.errors = [f"Select a version to compare {what}: {value[:40]!r} is not one"]
            status = max(status, 400)
        elif found is None:
            field.errors = [
                f"{versions[0].id} has no version {value} to compare {what}: select one of "
                + ", ".join(rs.version for rs in versions)
            ]
            status = max(status, 404)
        chosen.append(found)
    return status, chosen


def _sections(old: Ruleset, new: Ruleset) -> dict[str, Any]:
    """The diff as the page shows it: the count line, then each section's sentences."""
    diff = diff_rulesets(old, new)
    counts = diff.counts()
    n = len(diff.changes)
    return {
        "summary": f"{n} change{'s' if n != 1 else ''}: "
        + ", ".join(f"{counts[k]} {k}" for k in counts if counts[k]),
        "sections": [
            (title, [dates(c.text) for c in diff.changes if c.section == section])
            for section, title in SECTIONS.items()
            if any(c.section == section for c in diff.changes)
        ],
    }


def compare_page(
    ruleset_id: str,
    form: CompareForm,
    *,
    status: int = 200,
    chosen: tuple[Ruleset, Ruleset] | None = None,
    running: dict[str, Any] | None = None,
) -> tuple[str, int]:
    """The diff page: the form (with its errors), and the diff of `chosen` if given."""
    versions = versions_of(ruleset_id)
    lib = library()
    choices = [(rs.version, version_label(rs, lib)) for rs in versions]
    form.from_.choices = choices
    form.to.choices = choices
    impact = None
    if chosen is not None:
        impact = ImpactForm(
            formdata=None, data={"from_": chosen[0].version, "to": chosen[1].version}
        )
    return (
        render_template(
            "ruleset_diff.html",
            ruleset_id=ruleset_id,
            form=form,
            chosen=chosen,
            diff=_sections(*chosen) if chosen is not None else None,
            impact_form=impact,
            running=running,
        ),
        status,
    )


@bp.get("/rulesets/<ruleset_id>/diff")
@requires(*READERS)
def ruleset_diff(ruleset_id: str) -> tuple[str, int]:
    """The form; with both versions chosen, what the second changes against the first."""
    versions = versions_of(ruleset_id)
    if "from" not in request.args and "to" not in request.args:
        form = CompareForm(formdata=None, meta={"csrf": False})
        newest = versions[-1]
        form.to.data = newest.version
        form.from_.data = versions[max(0, len(versions) - 2)].version
        return compare_page(ruleset_id, form)
    form = CompareForm(formdata=request.args, meta={"csrf": False})
    status, (old, new) = choose([(form.from_, "from"), (form.to, "with")], versions)
    if status != 200:
        return compare_page(ruleset_id, form, status=status)
    return compare_page(ruleset_id, form, chosen=(old, new))
