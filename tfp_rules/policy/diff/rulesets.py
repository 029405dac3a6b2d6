"""The diff of two whole ruleset versions: every section's changes, in section order."""

from __future__ import annotations

from ...ruleset import Ruleset
from .changes import SECTIONS, RulesetDiff, identity
from .eligibility import eligibility_changes
from .family import family_changes
from .headlines import headline_changes
from .indicators import indicator_changes
from .local import extends_changes, override_changes
from .metadata import metadata_changes
from .outcome_plan import outcome_plan_changes
from .parameters import parameter_changes
from .school_terms import school_term_changes

# each part of a ruleset compared, in the order its changes are listed within a section
_PARTS = (
    metadata_changes,
    extends_changes,
    parameter_changes,
    override_changes,
    family_changes,
    eligibility_changes,
    school_term_changes,
    headline_changes,
    indicator_changes,
    outcome_plan_changes,
)


def diff_rulesets(old: Ruleset, new: Ruleset) -> RulesetDiff:
    """The changes from `old` to `new` (pure)."""
    changes = [change for part in _PARTS for change in part(old, new)]
    order = list(SECTIONS)
    changes.sort(key=lambda c: order.index(c.section))  # stable: order within a section kept
    return RulesetDiff(identity(old), identity(new), tuple(changes))
