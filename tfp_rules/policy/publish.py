"""Publishing a ruleset version: checked, compiled, its tests run and passed, then its
file's sha256 recorded in the register, after which the service may decide with it.

Refused, with every reason, when the version has no tests or a test fails, when a local
version extends a draft, or (strictly) when lint warns. Publishing the same file again
changes nothing; a published file cannot be republished changed (it fails to load).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

from ..compile import compile_ruleset
from ..errors import TfpError
from ..library import RulesetLibrary
from ..outcomes.progress import compile_plan
from .lint import LintWarning, in_force_or_draft, lint
from .register import REGISTER_NAME, Publication, record
from .testing import TestReport, run_tests


class PublishRefusedError(TfpError):
    """The version was not published; `reasons` says why, each in a sentence."""

    def __init__(self, ref: str, reasons: list[str], report: TestReport | None = None):
        self.ref, self.reasons, self.report = ref, reasons, report
        super().__init__(f"{ref} not published: " + "; ".join(reasons))


@dataclass(frozen=True)
class Published:
    """What publishing did: the register entry, whether it was new, and what was checked."""

    publication: Publication
    new: bool
    report: TestReport | None
    warnings: list[LintWarning] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def publish(
    directory: str | Path,
    library: RulesetLibrary,
    ref: str,
    *,
    by: str | None = None,
    strict: bool = False,
    today: dt.date | None = None,
) -> Published:
    """Publish `ref` (ID@VERSION) of the rulesets in `directory`, whose library is `library`
    (loaded from it); raises PublishRefusedError, or UnknownRulesetError for no such version."""
    ruleset = library.resolve(ref, drafts=True)
    today = today or dt.date.today()
    existing = (library.publications or {}).get(ruleset.ref)
    if existing is not None:  # the register check at load guarantees the same hash
        return Published(existing, new=False, report=None)
    reasons: list[str] = []
    if ruleset.extends is not None and not library.is_published(ruleset.extends.ref):
        reasons.append(f"it extends {ruleset.extends.ref}, a draft: publish that first")
    compile_ruleset(ruleset)  # a condition too complex for the engine raises RulesetError
    if ruleset.outcome_plan is not None:
        compile_plan(ruleset)
    report = run_tests(library, ruleset)
    if not report.files:
        reasons.append(
            f"it has no tests: write {Path(ruleset.path).name.removesuffix('.yaml')}.tests.yaml "
            "beside it (tfp test explains the format)"
        )
    elif not report.ok:
        reasons.append(f"its tests did not pass ({report.summary()})")
    warnings = lint(ruleset, today=today, in_force=in_force_or_draft(library, ruleset, today))
    if strict and warnings:
        reasons.append(f"{len(warnings)} lint warning(s), and --strict refuses them")
    if reasons:
        raise PublishRefusedError(ruleset.ref, reasons, report)
    notes = [
        f"{ruleset.ref} decides families assessed from {ruleset.effective_from.isoformat()} "
        "until a later published version takes effect"
        + (
            "; decisions already made stand, and say so when it would decide them differently"
            if ruleset.effective_from <= today
            else ""
        )
    ]
    publication = record(directory, ruleset, tests=report.summary(), by=by)
    return Published(publication, new=True, report=report, warnings=warnings, notes=notes)


__all__ = ["REGISTER_NAME", "PublishRefusedError", "Published", "publish"]
