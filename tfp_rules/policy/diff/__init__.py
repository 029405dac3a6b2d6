"""What a new ruleset version changes, in a policy officer's words: parameters, headlines,
indicators, conditions, the family rule, eligibility, school terms and outcome plans, each
change a typed record with its sentence ("Parameter fixed_term_exclusions_min: lowered from
3 to 2 exclusions (used by H2.fixed_term_exclusions).").

Pure: it compares two loaded `Ruleset`s (a local one already laid over the national one it
extends), never their YAML text, so reformatting or a comment changes nothing. An
indicator is matched by id; one that disappears while another with the same condition or
the same name after the dot appears was renamed or moved. A condition whose shape is
unchanged is compared comparison by comparison (thresholds, windows, what is counted),
saying whether a threshold came through a parameter or was written in the condition;
otherwise the old and new conditions are shown in words.

One module a part of the ruleset compared (`metadata`, `local`, `parameters`, `family`,
`eligibility`, `school_terms`, `headlines`, `indicators`, `outcome_plan`), `conditions` and
its comparison modules for what they share, `changes` for the records, `rulesets` for the
whole.
"""

from .changes import KINDS, SECTIONS, WHATS, Change, RulesetDiff, identity
from .rulesets import diff_rulesets
from .uses import parameter_uses

__all__ = [
    "KINDS",
    "SECTIONS",
    "WHATS",
    "Change",
    "RulesetDiff",
    "diff_rulesets",
    "identity",
    "parameter_uses",
]
