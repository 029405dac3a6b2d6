"""The semantic diff (`tfp diff`): every kind of change, from rulesets made by editing the
national and Stockton YAML, in a policy officer's words; the shipped 2015.1 -> 2017.1 diff
change by change; the JSON shape; the command line."""

from __future__ import annotations

import json
import re
import shutil
from functools import cache
from pathlib import Path

import pytest
from click.testing import CliRunner

from tests.published import publish_all
from tfp_rules.cli import main
from tfp_rules.extend import extend
from tfp_rules.policy.diff import KINDS, SECTIONS, WHATS, diff_rulesets, parameter_uses
from tfp_rules.ruleset import Ruleset, parse_ruleset

from .conftest import NATIONAL_YAML

NATIONAL = NATIONAL_YAML.read_text()
STOCKTON_YAML = NATIONAL_YAML.parent.parent / "local" / "stockton" / "2015.1.yaml"
STOCKTON = STOCKTON_YAML.read_text()


def edited(text: str, *pairs: tuple[str, str]) -> str:
    """`text` with each `old` replaced by `new`; each `old` must occur exactly once."""
    for old, new in pairs:
        assert text.count(old) == 1, f"{old!r} occurs {text.count(old)} times"
        text = text.replace(old, new)
    return text


@cache  # rulesets are immutable once loaded, and each test case builds the same ones
def national(*pairs: tuple[str, str]) -> Ruleset:
    return parse_ruleset(edited(NATIONAL, *pairs).encode(), "national.yaml")


BASE = national()


@cache
def local(*pairs: tuple[str, str]) -> Ruleset:
    return extend(edited(STOCKTON, *pairs).encode(), "stockton.yaml", {BASE.ref: BASE})


def block(text: str, start: str, end: str) -> str:
    """The text from `start` up to (not including) `end`."""
    return text[text.index(start) : text.index(end)]


# An indicator block, moved or removed whole below.
LEAVING = block(
    NATIONAL, "      - id: H4.leaving_school_no_plan", "      - id: H4.financial_difficulty"
)
CALLOUTS = block(NATIONAL, "      - id: H5.household_callouts", "  - id: H6")
H6 = block(NATIONAL, "  - id: H6\n", "      - id: H6.mental_health")
THRIVING = """      - id: H6.thriving
        name: A child not thriving
        applies_to: child
        source: test
        data_sources: [health]
        when:
          all:
            - field: age
              below: 5
            - not:
                field: flags.missed_development_checks
                is: false
"""

# (test id, edits of the national file, the change expected: (kind, what, subject, field),
# its sentence exactly)
NATIONAL_CASES = [
    (
        "effective_from",
        [("effective_from: 2015-04-01", "effective_from: 2016-04-01")],
        ("changed", "metadata", "effective_from", "effective_from"),
        "Takes effect from 2016-04-01 instead of 2015-04-01.",
    ),
    (
        "description",
        [("with the national\n  default thresholds.", "with the 2016 thresholds.")],
        ("changed", "metadata", "description", "description"),
        None,
    ),
    (
        "source cited",
        [("sources:\n", "sources:\n  - A new circular\n")],
        ("added", "metadata", "sources", "sources"),
        'Now cites "A new circular".',
    ),
    (
        "source no longer cited",
        [
            (
                "  - House of Commons Library briefing CBP-07585, The Troubled Families programme (England)\n",
                "",
            )
        ],
        ("removed", "metadata", "sources", "sources"),
        'No longer cites "House of Commons Library briefing CBP-07585, The Troubled Families '
        'programme (England)".',
    ),
    (
        "parameter raised",
        [
            (
                "  persistent_absence_rate:\n    value: 10",
                "  persistent_absence_rate:\n    value: 15",
            )
        ],
        ("changed", "parameter", "persistent_absence_rate", "value"),
        "Parameter persistent_absence_rate: raised from 10% to 15% (used by H2.persistent_absence).",
    ),
    (
        "threshold through a parameter",
        [
            (
                "  persistent_absence_rate:\n    value: 10",
                "  persistent_absence_rate:\n    value: 15",
            )
        ],
        ("changed", "condition", "H2.persistent_absence", "threshold"),
        "H2.persistent_absence: threshold raised from 10% to 15% (through parameter "
        "persistent_absence_rate).",
    ),
    (
        "threshold written in the condition",
        [("          at_least: persistent_absence_rate", "          at_least: 15")],
        ("changed", "condition", "H2.persistent_absence", "threshold"),
        "H2.persistent_absence: threshold raised from 10% to 15% (now written in the "
        "condition, was parameter persistent_absence_rate).",
    ),
    (
        "literal threshold",
        [
            (
                "          count: {event: proven_offence, within_months: offence_window_months}\n          at_least: 1",
                "          count: {event: proven_offence, within_months: offence_window_months}\n          at_least: 2",
            )
        ],
        ("changed", "condition", "H1.proven_offence", "threshold"),
        "H1.proven_offence: threshold raised from 1 to 2 (written in the condition).",
    ),
    (
        "parameter lowered, with its unit",
        [
            (
                "  fixed_term_exclusions_min:\n    value: 3",
                "  fixed_term_exclusions_min:\n    value: 2",
            )
        ],
        ("changed", "parameter", "fixed_term_exclusions_min", "value"),
        "Parameter fixed_term_exclusions_min: lowered from 3 to 2 exclusions (used by "
        "H2.fixed_term_exclusions).",
    ),
    (
        "threshold on one comparison of several",
        [("  neet_age_to:\n    value: 24", "  neet_age_to:\n    value: 25")],
        ("changed", "condition", "H4.neet", "threshold"),
        "H4.neet: threshold on age changed from between 16 and 24 years to between 16 and 25 "
        "years (through parameters neet_age_from and neet_age_to).",
    ),
    (
        "window through a parameter",
        [("  offence_window_months:\n    value: 12", "  offence_window_months:\n    value: 24")],
        ("changed", "condition", "H1.proven_offence", "within_months"),
        "H1.proven_offence: window lengthened from 12 to 24 months (through parameter "
        "offence_window_months).",
    ),
    (
        "number of terms",
        [("absence_rate: {last_terms: attendance_terms}", "absence_rate: {last_terms: 2}")],
        ("changed", "condition", "H2.persistent_absence", "last_terms"),
        "H2.persistent_absence: number of terms shortened from 3 to 2 terms (now written in "
        "the condition, was parameter attendance_terms).",
    ),
    (
        "list parameter gains a name",
        [("value: [intensive_work_search]", "value: [intensive_work_search, work_preparation]")],
        ("changed", "parameter", "uc_work_search_regimes", "value"),
        "Parameter uc_work_search_regimes: now also includes work_preparation (used by "
        "H4.out_of_work_benefits).",
    ),
    (
        "list parameter loses a name",
        [("value: [JSA, ESA, IS]", "value: [JSA, ESA]")],
        ("changed", "parameter", "out_of_work_benefits", "value"),
        "Parameter out_of_work_benefits: no longer includes IS (used by H4.out_of_work_benefits).",
    ),
    (
        "what a count counts",
        [
            (
                "event: [rent_arrears, problem_debt, eviction_risk]",
                "event: [rent_arrears, problem_debt]",
            )
        ],
        ("changed", "condition", "H4.financial_difficulty", "event"),
        "H4.financial_difficulty no longer counts risks of eviction (written in the condition).",
    ),
    (
        "what a count counts, through a list parameter",
        [("value: [JSA, ESA, IS]", "value: [JSA, ESA, IS, other]")],
        ("changed", "condition", "H4.out_of_work_benefits", "benefit"),
        "H4.out_of_work_benefits now also counts other benefit claims (through parameter "
        "out_of_work_benefits).",
    ),
    (
        "a filter on records",
        [("where: {role: [victim, at_risk]}", "where: {role: [victim]}")],
        ("changed", "condition", "H5.victim_or_at_risk", "where.role"),
        "H5.victim_or_at_risk: role of domestic abuse incidents or domestic abuse call-outs "
        "no longer includes at_risk (written in the condition).",
    ),
    (
        "a filter through a list parameter",
        [("value: [intensive_work_search]", "value: [intensive_work_search, work_preparation]")],
        ("changed", "condition", "H4.out_of_work_benefits", "where.conditionality"),
        "H4.out_of_work_benefits: conditionality of Universal Credit claims now also includes "
        "work_preparation (through parameter uc_work_search_regimes).",
    ),
    (
        "condition structure",
        [
            (
                "        when:\n          field: flags.mental_health_support\n          is: true",
                "        when:\n          any:\n            - field: flags.mental_health_support\n"
                "            - field: flags.substance_misuse",
            )
        ],
        ("changed", "condition", "H6.mental_health", "when"),
        'H6.mental_health: condition changed from "needing support for a mental health '
        'problem" to "needing support for a mental health problem or with a drug or alcohol '
        'problem".',
    ),
    (
        "comparator",
        [
            (
                "          field: school.alternative_provision\n          is: behaviour",
                "          field: school.alternative_provision\n          is_not: other",
            )
        ],
        ("changed", "condition", "H2.alternative_provision", "when"),
        'H2.alternative_provision: condition changed from "in alternative provision because '
        'of behaviour" to "not in alternative provision for another reason".',
    ),
    (
        "data sources gained",
        [
            (
                "going missing, radicalisation, young carers).\n        data_sources: [social_care]",
                "going missing, radicalisation, young carers).\n        data_sources: [social_care, education]",
            )
        ],
        ("changed", "data_sources", "H3.early_help", "data_sources"),
        "H3.early_help now also reads education.",
    ),
    (
        "data sources lost",
        [
            (
                "data_sources: [police, probation, youth_justice, social_care]",
                "data_sources: [probation, youth_justice, social_care]",
            )
        ],
        ("changed", "data_sources", "H5.perpetrator", "data_sources"),
        "H5.perpetrator no longer reads police.",
    ),
    (
        "applies to",
        [
            (
                "        applies_to: adult\n        source: Financial Framework 2015, H1 indicator 3.",
                "        applies_to: any_member\n        source: Financial Framework 2015, H1 indicator 3.",
            )
        ],
        ("changed", "indicator", "H1.prisoner_due_for_release", "applies_to"),
        "H1.prisoner_due_for_release now applies to any member instead of adults.",
    ),
    (
        "origin",
        [
            (
                "        source: Financial Framework 2015, H1 indicator 3.",
                "        origin: local\n        source: Financial Framework 2015, H1 indicator 3.",
            )
        ],
        ("changed", "indicator", "H1.prisoner_due_for_release", "origin"),
        "H1.prisoner_due_for_release: origin changed from national to local.",
    ),
    (
        "indicator renamed",
        [("name: A child persistently absent from school", "name: A child often absent")],
        ("changed", "indicator", "H2.persistent_absence", "name"),
        'H2.persistent_absence: renamed from "A child persistently absent from school" to '
        '"A child often absent".',
    ),
    (
        "indicator source",
        [("source: Financial Framework 2015, H6 indicator 2.", "source: Circular 2016/4.")],
        ("changed", "indicator", "H6.substance_misuse", "source"),
        'H6.substance_misuse: source changed from "Financial Framework 2015, H6 indicator 2." '
        'to "Circular 2016/4.".',
    ),
    (
        "indicator removed",
        [(CALLOUTS, "")],
        ("removed", "indicator", "H5.household_callouts", None),
        "Indicator H5.household_callouts removed from H5.",
    ),
    (
        "indicator id changed",
        [("- id: H1.proven_offence", "- id: H1.offence")],
        ("changed", "indicator", "H1.offence", "id"),
        "Indicator H1.proven_offence is now H1.offence.",
    ),
    (
        "indicator moved to another headline",
        [
            (LEAVING, ""),
            ("  - id: H3\n", LEAVING.replace("H4.leaving", "H2.leaving") + "\n  - id: H3\n"),
        ],
        ("changed", "indicator", "H2.leaving_school_no_plan", "headline"),
        "Indicator H4.leaving_school_no_plan moved from H4 to H2, as H2.leaving_school_no_plan.",
    ),
    (
        "headline renamed",
        [("    name: Health problems", "    name: Health")],
        ("changed", "headline", "H6", "name"),
        'Headline H6 renamed from "Health problems" to "Health".',
    ),
    (
        "headline removed",
        [(NATIONAL[NATIONAL.index("  - id: H6\n") :], "")],
        ("removed", "headline", "H6", None),
        "Headline H6 (Health problems) removed, with its indicators H6.mental_health, "
        "H6.substance_misuse, H6.new_mother and H6.unhealthy_start.",
    ),
    (
        "indicator added",
        [(H6, H6 + THRIVING)],
        ("added", "indicator", "H6.thriving", None),
        "New indicator H6.thriving under H6 (Health problems), for children: a child not "
        "thriving; it counts when: aged under 5 and with missed development checks (or not "
        "known) (reads health).",
    ),
    (
        "parameter added",
        [
            (
                "parameters:\n",
                "parameters:\n  spare_months:\n    value: 6\n    unit: months\n    description: Spare.\n    source: test\n",
            )
        ],
        ("added", "parameter", "spare_months", None),
        "New parameter spare_months: 6 months: Spare.",
    ),
    (
        "parameter unit",
        [("    value: 26\n    unit: weeks", "    value: 26\n    unit: weeks_in_work")],
        ("changed", "parameter", "continuous_employment_weeks", "unit"),
        "Parameter continuous_employment_weeks: unit changed from weeks to weeks_in_work.",
    ),
    (
        "parameter description",
        [("description: Youngest age for the NEET indicator.", "description: Youngest NEET age.")],
        ("changed", "parameter", "neet_age_from", "description"),
        'Parameter neet_age_from: description changed from "Youngest age for the NEET '
        'indicator." to "Youngest NEET age.".',
    ),
    (
        "parameter source",
        [
            (
                "source: Financial Framework 2015, H4 indicator 2.\n    review_by: 2027-03-31\n  neet_age_to",
                "source: DfE NEET guidance.\n    review_by: 2027-03-31\n  neet_age_to",
            )
        ],
        ("changed", "parameter", "neet_age_from", "source"),
        'Parameter neet_age_from: source changed from "Financial Framework 2015, H4 indicator '
        '2." to "DfE NEET guidance.".',
    ),
    (
        "parameter review date",
        [
            (
                "Youngest age for the NEET indicator.\n    source: Financial Framework 2015, H4 indicator 2.\n    review_by: 2027-03-31",
                "Youngest age for the NEET indicator.\n    source: Financial Framework 2015, H4 indicator 2.\n    review_by: 2028-03-31",
            )
        ],
        ("changed", "parameter", "neet_age_from", "review_by"),
        "Parameter neet_age_from: to be reviewed by 2028-03-31 instead of 2027-03-31.",
    ),
    (
        "family rule condition",
        [("  dependent_child_age:\n    value: 16", "  dependent_child_age:\n    value: 17")],
        ("changed", "condition", "family", "threshold"),
        "Family rule: threshold on age raised from 16 to 17 years (through parameter "
        "dependent_child_age).",
    ),
    (
        "family rule name",
        [
            (
                "name: A household with dependent children or an expectant parent",
                "name: A household with children",
            )
        ],
        ("changed", "family", "family", "name"),
        'Family rule renamed from "A household with dependent children or an expectant parent" '
        'to "A household with children".',
    ),
    (
        "family rule data sources",
        [("  data_sources: [education, health]\n  when:", "  data_sources: [education]\n  when:")],
        ("changed", "data_sources", "family", "data_sources"),
        "The family rule no longer reads health.",
    ),
    (
        "family rule source",
        [
            (
                'expectant parent"); dependent children as the ONS defines them.',
                'expectant parent").',
            )
        ],
        ("changed", "family", "family", "source"),
        None,
    ),
    (
        "eligibility through its parameter",
        [("  headlines_required:\n    value: 2", "  headlines_required:\n    value: 3")],
        ("changed", "eligibility", "headlines_required", "headlines_required"),
        "Eligibility: 3 headlines required instead of 2 (through parameter headlines_required).",
    ),
    (
        "eligibility written in the rule",
        [
            (
                "eligibility:\n  headlines_required: headlines_required",
                "eligibility:\n  headlines_required: 2",
            )
        ],
        ("changed", "eligibility", "headlines_required", "headlines_required"),
        "Eligibility: still 2 headlines required (now written in the eligibility rule, was "
        "parameter headlines_required).",
    ),
    (
        "school term dates",
        [("  dates: []", "  dates:\n    - {term: 2019-spring, from: 2019-01-07, to: 2019-04-05}")],
        ("added", "school_terms", "2019-spring", "dates"),
        "School terms: term 2019-spring now has its own dates, 2019-01-07 to 2019-04-05.",
    ),
    (
        "school terms source",
        [("three that ended on or before the assessment date.", "three that ended by then.")],
        ("changed", "school_terms", "school_terms", "source"),
        None,
    ),
]


def _key(change) -> tuple:
    return (change.kind, change.what, change.subject, change.field)


@pytest.mark.parametrize(
    ("edits", "expected", "text"),
    [case[1:] for case in NATIONAL_CASES],
    ids=[case[0] for case in NATIONAL_CASES],
)
def test_every_kind_of_change_to_a_national_ruleset_is_said_in_words(edits, expected, text):
    changes = diff_rulesets(BASE, national(*edits)).changes
    found = [c for c in changes if _key(c) == expected]
    assert len(found) == 1, [(_key(c), c.text) for c in changes]
    if text is not None:
        assert found[0].text == text
    assert found[0].section == ("family" if expected[2] == "family" else WHATS[expected[1]])


@pytest.mark.parametrize(
    "edits",
    [case[1] for case in NATIONAL_CASES],
    ids=[case[0] for case in NATIONAL_CASES],
)
def test_the_diff_back_undoes_each_change(edits):
    """From the edited version back to the original, each addition is a removal and each
    change has before and after swapped."""
    forward = diff_rulesets(BASE, national(*edits))
    back = diff_rulesets(national(*edits), BASE)
    opposite = {"added": "removed", "removed": "added", "changed": "changed"}
    assert sorted(opposite[c.kind] for c in forward.changes) == sorted(c.kind for c in back.changes)
    for c in (c for c in forward.changes if c.kind == "changed" and c.what == "parameter"):
        [undone] = [b for b in back.changes if _key(b) == _key(c)]
        assert (undone.before, undone.after) == (c.after, c.before)


def test_the_same_rules_in_another_layout_have_no_changes():
    """Compared as rules, not as text: comments, key order and flow style change nothing,
    nor does the version label alone."""
    relaid = national(
        ("# National headline criteria", "# Reformatted: national headline criteria"),
        ('version: "2015.1"', 'version: "2015.2"'),
        (
            "          count: {event: proven_offence, within_months: offence_window_months}\n          at_least: 1",
            "          at_least: 1\n          count:\n            within_months: offence_window_months\n            event: proven_offence",
        ),
    )
    diff = diff_rulesets(BASE, relaid)
    assert diff.changes == ()
    assert diff.text() == "national@2015.1 -> national@2015.2\nNo changes.\n"
    assert diff.to_dict()["changed"] is False


# --------------------------------------------------------------------------- local rulesets

NO_OVERRIDE = (
    block(STOCKTON, "overrides:\n", "parameters:\n"),
    "",
)
NATIONAL_2016 = national(
    ('version: "2015.1"', 'version: "2016.1"'),
    ("effective_from: 2015-04-01", "effective_from: 2016-04-01"),
    ("  fixed_term_exclusions_min:\n    value: 3", "  fixed_term_exclusions_min:\n    value: 2"),
)
STOCKTON_2016 = edited(
    STOCKTON,
    ("extends: national@2015.1", "extends: national@2016.1"),
    ("effective_from: 2015-04-01", "effective_from: 2016-04-01"),
)
WITHOUT_PLAN = (STOCKTON[STOCKTON.index('# What "significant') :], "")

LOCAL_CASES = [
    (
        "override added",
        [NO_OVERRIDE],
        [],
        ("added", "override", "financial_difficulty_window_months", None),
        "Now overrides financial_difficulty_window_months locally: 6 months instead of "
        "12 months in national@2015.1.",
    ),
    (
        "override removed",
        [],
        [NO_OVERRIDE],
        ("removed", "override", "financial_difficulty_window_months", None),
        "No longer overrides financial_difficulty_window_months locally: 12 months, as in "
        "national@2015.1.",
    ),
    (
        "override changed",
        [],
        [
            (
                "financial_difficulty_window_months:\n    value: 6",
                "financial_difficulty_window_months:\n    value: 3",
            )
        ],
        ("changed", "parameter", "financial_difficulty_window_months", "value"),
        "Parameter financial_difficulty_window_months: lowered from 6 to 3 months (used by "
        "H4.financial_difficulty).",
    ),
    (
        "council",
        [],
        [("council: Stockton-on-Tees Borough Council", "council: Stockton Council")],
        ("changed", "metadata", "council", "council"),
        "Council changed from Stockton-on-Tees Borough Council to Stockton Council.",
    ),
    (
        "local indicator threshold",
        [],
        [
            (
                "  unauthorised_sessions_min:\n    value: 20",
                "  unauthorised_sessions_min:\n    value: 30",
            )
        ],
        ("changed", "condition", "H2.unauthorised_absence", "threshold"),
        "H2.unauthorised_absence: threshold raised from 20 to 30 sessions (through parameter "
        "unauthorised_sessions_min).",
    ),
    (
        "outcome plan added",
        [WITHOUT_PLAN],
        [],
        ("added", "outcome_plan", "outcome_plan", None),
        'New outcome plan "Stockton Troubled Families Outcome Plan 2015 (illustrative)", with '
        "measures for H1, H2, H3, H4, H5, H6.",
    ),
    (
        "outcome plan removed",
        [],
        [WITHOUT_PLAN],
        ("removed", "outcome_plan", "outcome_plan", None),
        'Outcome plan "Stockton Troubled Families Outcome Plan 2015 (illustrative)" removed.',
    ),
    (
        "outcome plan name",
        [],
        [
            (
                "  name: Stockton Troubled Families Outcome Plan 2015 (illustrative)",
                "  name: Stockton Outcome Plan",
            )
        ],
        ("changed", "outcome_plan", "outcome_plan", "name"),
        'Outcome plan: name changed from "Stockton Troubled Families Outcome Plan 2015 '
        '(illustrative)" to "Stockton Outcome Plan".',
    ),
    (
        "outcome measure threshold",
        [],
        [
            (
                "  offending_reduction_pct:\n    value: 33",
                "  offending_reduction_pct:\n    value: 50",
            )
        ],
        ("changed", "condition", "H1.offending_and_asb_down", "threshold"),
        "Outcome measure H1.offending_and_asb_down: threshold on fall in proven offences "
        "raised from 33% to 50% (through parameter offending_reduction_pct).",
    ),
    (
        "outcome measure removed",
        [],
        [(block(STOCKTON, "        - id: H3.stepped_down", "    - headline: H4"), "")],
        ("removed", "outcome_measure", "H3.stepped_down", None),
        "Outcome measure H3.stepped_down removed from H3.",
    ),
    (
        "outcome measure added",
        [(block(STOCKTON, "        - id: H3.stepped_down", "    - headline: H4"), "")],
        [],
        ("added", "outcome_measure", "H3.stepped_down", None),
        "New outcome measure H3.stepped_down for H3: stepped down to early help, with no Child "
        "in Need or Child Protection Plan open now; progress when: no Child in Need episodes or "
        "Child Protection Plans open now and at least 1 early help assessment open now.",
    ),
    (
        "outcome measure data sources",
        [],
        [("          data_sources: [housing, education]", "          data_sources: [housing]")],
        ("changed", "data_sources", "H4.finances_and_neet", "data_sources"),
        "Outcome measure H4.finances_and_neet no longer reads education.",
    ),
    (
        "outcome measure applies to",
        [],
        [("          applies_to: every_child\n", "          applies_to: every_adult\n")],
        ("changed", "outcome_measure", "H2.attending_school", "applies_to"),
        "Outcome measure H2.attending_school now applies to every adult instead of every child.",
    ),
]


@pytest.mark.parametrize(
    ("old_edits", "new_edits", "expected", "text"),
    [case[1:] for case in LOCAL_CASES],
    ids=[case[0] for case in LOCAL_CASES],
)
def test_every_kind_of_change_to_a_local_ruleset_is_said_in_words(
    old_edits, new_edits, expected, text
):
    changes = diff_rulesets(local(*old_edits), local(*new_edits)).changes
    found = [c for c in changes if _key(c) == expected]
    assert len(found) == 1, [(_key(c), c.text) for c in changes]
    assert found[0].text == text


def test_a_local_ruleset_over_a_new_national_version_shows_what_it_inherits():
    old = local()
    new = extend(STOCKTON_2016.encode(), "stockton.yaml", {NATIONAL_2016.ref: NATIONAL_2016})
    texts = [c.text for c in diff_rulesets(old, new).changes]
    assert "Now extends national@2016.1 instead of national@2015.1." in texts
    assert (
        "Parameter fixed_term_exclusions_min: lowered from 3 to 2 exclusions (used by "
        "H2.fixed_term_exclusions and H2.attending_school)."
    ) in texts
    assert (
        "Outcome measure H2.attending_school: threshold on fixed-term exclusions lowered from "
        "3 to 2 exclusions (through parameter fixed_term_exclusions_min)."
    ) in texts


def test_a_national_ruleset_against_a_local_one_says_it_became_local():
    diff = diff_rulesets(BASE, local())
    [became] = [c for c in diff.changes if c.what == "extends"]
    assert (became.kind, became.text) == (
        "added",
        "Now a local ruleset, extending national@2015.1.",
    )
    assert any(
        c.text.startswith("New local indicator H2.unauthorised_absence") for c in diff.changes
    )


# --------------------------------------------------------------------------- the shipped diff


@pytest.fixture(scope="module")
def shipped(library):
    return diff_rulesets(
        library.resolve("national@2015.1"), library.resolve("national@2017.1", drafts=True)
    )


SHIPPED = [
    ("changed", "metadata", "effective_from", "effective_from", "Takes effect from 2017-04-01 instead of 2015-04-01."),
    ("changed", "metadata", "description", "description", None),
    (
        "changed", "parameter", "fixed_term_exclusions_min", "value",
        "Parameter fixed_term_exclusions_min: lowered from 3 to 2 exclusions (used by "
        "H2.fixed_term_exclusions).",
    ),
    ("changed", "parameter", "fixed_term_exclusions_min", "source", None),
    (
        "changed", "parameter", "uc_work_search_regimes", "value",
        "Parameter uc_work_search_regimes: now also includes work_preparation (used by "
        "H4.out_of_work_benefits).",
    ),
    ("changed", "parameter", "uc_work_search_regimes", "source", None),
    (
        "changed", "condition", "H2.fixed_term_exclusions", "threshold",
        "H2.fixed_term_exclusions: threshold lowered from 3 to 2 exclusions (through "
        "parameter fixed_term_exclusions_min).",
    ),
    ("changed", "data_sources", "H3.early_help", "data_sources", "H3.early_help now also reads education."),
    (
        "changed", "indicator", "H3.early_help", "source",
        'H3.early_help: source now adds "Illustration: schools refer early help too, so this '
        'version reads education as well.".',
    ),
    (
        "changed", "condition", "H4.out_of_work_benefits", "where.conditionality",
        "H4.out_of_work_benefits: conditionality of Universal Credit claims now also includes "
        "work_preparation (through parameter uc_work_search_regimes).",
    ),
    (
        "added", "indicator", "H5.child_witness", None,
        "New indicator H5.child_witness under H5 (Domestic violence and abuse), for children: "
        "a child who witnessed domestic abuse in the last 12 months; it counts when: at least 1 "
        "domestic abuse incident or domestic abuse call-out as a witness in the last 12 months "
        "(reads police and social_care).",
    ),
]  # fmt: skip


def test_the_shipped_2017_revision_is_every_change_expected_and_no_other(shipped):
    assert [_key(c) for c in shipped.changes] == [row[:4] for row in SHIPPED]
    for change, row in zip(shipped.changes, SHIPPED, strict=True):
        if row[4] is not None:
            assert change.text == row[4]
    assert shipped.counts() == {"added": 1, "removed": 0, "changed": 10}


def test_the_shipped_diff_keeps_before_and_after(shipped):
    by_key = {_key(c): c for c in shipped.changes}
    value = by_key[("changed", "parameter", "fixed_term_exclusions_min", "value")]
    assert (value.before, value.after) == (3, 2)
    regimes = by_key[("changed", "parameter", "uc_work_search_regimes", "value")]
    assert regimes.to_dict()["after"] == ["intensive_work_search", "work_preparation"]
    witness = by_key[("added", "indicator", "H5.child_witness", None)]
    assert witness.before is None
    assert witness.after["applies_to"] == "child"
    assert witness.after["data_sources"] == ["police", "social_care"]


def test_the_text_is_grouped_by_section(shipped):
    text = shipped.text()
    assert text.startswith("national@2015.1 -> national@2017.1\n11 changes: 1 added, 10 changed\n")
    titles = [line for line in text.splitlines() if line in SECTIONS.values()]
    assert titles == ["Metadata", "Parameters", "Headlines and indicators"]
    for change in shipped.changes:
        assert f"  {change.text}" in text.splitlines()


@pytest.mark.parametrize("ref", ["national@2015.1", "national@2017.1", "stockton@2015.1"])
def test_a_version_against_itself_has_no_changes(library, ref):
    ruleset = library.resolve(ref, drafts=True)
    diff = diff_rulesets(ruleset, ruleset)
    assert diff.changes == ()
    assert diff.text().endswith("\nNo changes.\n")


# --------------------------------------------------------------------------- JSON and words


@pytest.fixture(scope="module")
def every_diff(library) -> list:
    """Every diff the tests above make, and each shipped version against each (made once)."""
    rulesets = [library.resolve(ref, drafts=True) for ref in library.refs()]
    diffs = [diff_rulesets(a, b) for a in rulesets for b in rulesets]
    diffs += [diff_rulesets(BASE, national(*case[1])) for case in NATIONAL_CASES]
    diffs += [diff_rulesets(local(*case[1]), local(*case[2])) for case in LOCAL_CASES]
    return diffs


def test_the_json_has_stable_documented_keys(every_diff):
    for diff in every_diff:
        data = json.loads(json.dumps(diff.to_dict()))
        assert list(data) == ["from", "to", "changed", "counts", "changes"]
        assert list(data["from"]) == ["id", "version", "sha256", "effective_from", "extends"]
        assert data["changed"] == bool(data["changes"])
        assert sum(data["counts"].values()) == len(data["changes"])
        for change in data["changes"]:
            assert list(change) == [
                "section", "kind", "what", "subject", "field", "before", "after", "text"
            ]  # fmt: skip
            assert change["kind"] in KINDS and change["section"] in SECTIONS
            assert change["what"] in WHATS


PYTHON_WORDS = re.compile(r"\b(True|False|None)\b|[<>]=?|==|!=")


def test_no_sentence_holds_python_words_or_comparator_symbols(every_diff):
    for diff in every_diff:
        for change in diff.changes:
            assert not PYTHON_WORDS.search(change.text), change.text


def test_parameters_are_named_only_where_a_sentence_says_which_changed(every_diff):
    """A new indicator's condition, and a changed structure, are said in words; parameter
    names appear only in '(through parameter X)' and in a parameter's own change."""
    names = set(BASE.parameters) | set(local().parameters)
    pattern = re.compile(r"\b(" + "|".join(sorted(names, key=len, reverse=True)) + r")\b")
    for diff in every_diff:
        for change in diff.changes:
            if (
                change.what in ("parameter", "override", "eligibility")
                or "parameter" in change.text
            ):
                continue
            if change.field in ("description", "source", "name"):
                continue  # free text written by people may mention anything
            assert not pattern.search(change.text), change.text


def test_parameter_uses_name_every_rule_that_reads_each_parameter():
    uses = parameter_uses(local())
    assert uses["attendance_terms"] == [
        "H2.persistent_absence",
        "H2.fixed_term_exclusions",
        "H2.permanent_exclusion",
        "H2.unauthorised_absence",
        "H2.attending_school",
    ]
    assert uses["dependent_child_age"] == ["the family rule"]
    assert uses["headlines_required"] == ["eligibility"]
    assert uses["sustain_months"][0] == "the outcome plan"
    assert uses["household_asb_kinds"] == ["H1.household_asb"]


# --------------------------------------------------------------------------- the command


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


def test_tfp_diff_prints_the_changes_in_words(runner):
    result = runner.invoke(main, ["diff", "national@2015.1", "national@2017.1"])
    assert result.exit_code == 0, result.output
    assert "  H3.early_help now also reads education." in result.stdout.splitlines()
    assert "note: national@2017.1 is a draft, not published" in result.stderr


def test_tfp_diff_json_is_the_diff_as_data(runner, shipped):
    result = runner.invoke(main, ["diff", "national@2015.1", "national@2017.1", "--format", "json"])
    assert result.exit_code == 0
    assert json.loads(result.stdout) == shipped.to_dict()


def test_tfp_diff_of_equal_versions_says_so_and_exits_0(runner):
    result = runner.invoke(main, ["diff", "stockton@2015.1", "stockton@2015.1"])
    assert result.exit_code == 0
    assert result.stdout == "stockton@2015.1 -> stockton@2015.1\nNo changes.\n"


def test_tfp_diff_takes_files_local_ones_over_the_directory(runner, tmp_path):
    draft = tmp_path / "stockton-2016.yaml"
    draft.write_text(
        edited(
            STOCKTON,
            ('version: "2015.1"', 'version: "2016.1"'),
            (
                "  unauthorised_sessions_min:\n    value: 20",
                "  unauthorised_sessions_min:\n    value: 25",
            ),
        )
    )
    result = runner.invoke(main, ["diff", "stockton@2015.1", str(draft)])
    assert result.exit_code == 0, result.output
    assert (
        "  Parameter unauthorised_sessions_min: raised from 20 to 25 sessions (used by "
        "H2.unauthorised_absence)."
    ) in result.stdout.splitlines()


def test_tfp_diff_reads_another_rulesets_directory(runner, tmp_path):
    (tmp_path / "national").mkdir()
    shutil.copy(NATIONAL_YAML, tmp_path / "national" / "2015.1.yaml")
    (tmp_path / "national" / "2016.1.yaml").write_text(
        edited(
            NATIONAL,
            ('version: "2015.1"', 'version: "2016.1"'),
            ("effective_from: 2015-04-01", "effective_from: 2016-04-01"),
        )
    )
    publish_all(tmp_path)
    result = runner.invoke(
        main, ["diff", "national@2015.1", "national@2016.1", "--rulesets", str(tmp_path)]
    )
    assert result.exit_code == 0, result.output
    assert "  Takes effect from 2016-04-01 instead of 2015-04-01." in result.stdout.splitlines()
    assert result.stderr == ""


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["national@2015.1", "national@2099.1"],
            "no ruleset national@2099.1; available: national@2015.1, national@2017.1, stockton@2015.1",
        ),
        (["nowhere.yaml", "national@2015.1"], "nowhere.yaml: no such ruleset file"),
    ],
)
def test_tfp_diff_of_an_unknown_ruleset_exits_1(runner, args, message):
    result = runner.invoke(main, ["diff", *args])
    assert result.exit_code == 1
    assert message in result.stderr
    assert result.stdout == ""


def test_tfp_diff_of_a_broken_file_exits_1_naming_file_and_line(runner, tmp_path):
    broken = tmp_path / "broken.yaml"
    broken.write_text(
        edited(NATIONAL, ("at_least: persistent_absence_rate", "at_least: persistant_absence_rate"))
    )
    result = runner.invoke(main, ["diff", "national@2015.1", str(broken)])
    assert result.exit_code == 1
    assert "unknown parameter 'persistant_absence_rate'" in result.stderr
    assert re.search(r"broken\.yaml:\d+: headlines\[1\]", result.stderr)


@pytest.mark.parametrize(
    "args",
    [["national@2015.1"], ["national@2015.1", "national@2017.1", "--format", "yaml"]],
)
def test_tfp_diff_usage_errors_exit_2(runner, args):
    assert runner.invoke(main, ["diff", *args]).exit_code == 2


def test_a_path_without_a_file_is_not_taken_for_a_ruleset_id(runner, tmp_path):
    result = runner.invoke(main, ["diff", "national", "national@2015.1"])
    assert result.exit_code == 1
    assert (
        "national: no such ruleset file (give ID@VERSION or a path to a .yaml file)"
        in result.stderr
    )


def test_words_of_the_command_are_in_the_readme():
    readme = (Path(__file__).parent.parent / "README.md").read_text()
    assert "tfp diff national@2015.1 national@2017.1" in readme


# --------------------------------------------------------------------------- conditions in words

WORDS = [
    ("child", "{count: {event: proven_offence, within_months: 12}, at_least: 1}",
     "at least 1 proven offence in the last 12 months"),
    ("child", "{count: {event: proven_offence, within_months: months}, more_than: 2}",
     "more than 2 proven offences in the last 12 months"),
    ("child", "{count: {event: proven_offence}, at_most: 0}", "no proven offences"),
    ("child", "{count: {event: proven_offence}, below: 3}", "fewer than 3 proven offences"),
    ("child", "{count: {event: proven_offence}, between: [2, 4]}",
     "between 2 and 4 proven offences"),
    ("child", "{count: {event: proven_offence}, is: 0}", "no proven offences"),
    ("child", "{count: {event: proven_offence}, one_of: [1, 3]}", "1 or 3 proven offences"),
    ("any_member", "{field: age, between: [16, 24]}", "aged 16 to 24"),
    ("any_member", "{field: age, at_least: 16}", "aged 16 or over"),
    ("any_member", "{field: age, below: rate}", "aged under 10"),
    ("any_member", "{field: age, more_than: 64}", "aged over 64"),
    ("any_member", "{field: age, at_most: 4}", "aged 4 or under"),
    ("any_member", "{field: age, is: 15}", "aged 15"),
    ("child", "{absence_rate: {last_terms: 3}, at_least: rate}",
     "absence of at least 10% of sessions over the last 3 terms"),
    ("child", "{attendance_rate: {last_terms: 1}, below: 90}",
     "attendance of less than 90% of sessions over the last term"),
    ("child", "{term_total: {field: fixed_term_exclusions, last_terms: 3}, at_least: 3}",
     "at least 3 fixed-term exclusions over the last 3 terms"),
    ("child", "{term_total: {field: permanently_excluded, last_terms: 3}, at_least: 1}",
     "at least 1 permanent exclusion over the last 3 terms"),
    ("child", "{field: school.registered, is: false}", "not registered at a school"),
    ("child", "{field: school.registered}", "registered at a school"),
    ("child", "{field: school.registered, is_not: true}", "not registered at a school"),
    ("child", "{not: {field: school.education_otherwise, is: true}}",
     "not educated otherwise than at school"),
    ("child", "{not: {field: school.registered, is: false}}",
     "registered at a school (or not known)"),
    ("child", "{field: flags.substance_misuse, is: false}", "without a drug or alcohol problem"),
    ("child", "{field: school.alternative_provision, is: behaviour}",
     "in alternative provision because of behaviour"),
    ("any_member", "{field: role, is: adult}", "an adult"),
    ("any_member", "{field: role, one_of: [adult, child]}", "an adult or a child"),
    ("adult", "{field: parenting_responsibility, is: true}", "with parenting responsibility"),
    ("child", "{not: {count: {event: early_help, open: true}, at_least: 1}}",
     "no early help assessments open now"),
    ("child", "{not: {absence_rate: {last_terms: 3}, at_least: 10}}",
     "not absence of at least 10% of sessions over the last 3 terms"),
    ("child", "{count: {event: child_protection_plan, open: true, within_months: 12}, at_least: 1}",
     "at least 1 Child Protection Plan open now or at any time in the last 12 months"),
    ("adult", "{count: {event: custody, open: true, due_within_months: 12}, at_least: 1}",
     "at least 1 custodial sentence open now, with release due within 12 months"),
    ("adult", "{count: {benefit: [JSA, ESA], open: true}, at_least: 1}",
     "at least 1 Jobseeker's Allowance or Employment and Support Allowance claim open now"),
    ("adult", "{count: {benefit: UC, open: true, where: {work_search: true}}, at_least: 1}",
     "at least 1 Universal Credit claim with work-search requirements open now"),
    ("adult", "{count: {benefit: UC, where: {conditionality: regimes}}, at_least: 1}",
     "at least 1 Universal Credit claim in the intensive work search or work preparation regime"),
    ("any_member",
     "{count: {event: domestic_abuse, within_months: 12, where: {role: [victim, at_risk]}}, at_least: 1}",
     "at least 1 domestic abuse incident as a victim or at risk in the last 12 months"),
    ("household", "{sum: {event: rent_arrears, field: amount_gbp, within_months: 6}, at_least: 500}",
     "amount gbp of at least £500 in total over rent arrears records in the last 6 months"),
    ("any_member", "{any: [{field: age, below: 16}, {all: [{field: age, below: 19}, {field: flags.full_time_education}]}, {field: flags.expectant}]}",
     "aged under 16, (aged under 19 and in full-time education or training) or an expectant parent"),
    ("any_member", "{all: [{field: flags.new_mother}, {any: [{field: flags.mental_health_support}, {field: flags.substance_misuse}]}]}",
     "a new mother and (needing support for a mental health problem or with a drug or alcohol problem)"),
    ("any_member", "{not: {any: [{field: age, below: 5}, {field: age, at_least: 16}]}}",
     "not (aged under 5 or aged 16 or over)"),
    ("child", "{any: [{count: {event: proven_offence, within_months: 12}, at_least: 1}, {count: {benefit: [JSA, ESA], open: true}, at_least: 1}]}",
     "at least 1 proven offence in the last 12 months or at least 1 Jobseeker's Allowance or "
     "Employment and Support Allowance claim open now"),
]  # fmt: skip


def _parse(applies_to: str, written: str, *, progress: bool = False):
    import yaml

    from tfp_rules.conditions import ConditionParser

    problems: list = []
    parser = ConditionParser(
        {"rate": 10, "months": 12},
        lambda path, message: problems.append(message),
        {"regimes": ("intensive_work_search", "work_preparation")},
        progress=progress,
    )
    condition = parser.parse(yaml.safe_load(written), (), applies_to)
    assert condition is not None and not problems, problems
    return condition


@pytest.mark.parametrize(("applies_to", "written", "said"), WORDS, ids=[w[2][:40] for w in WORDS])
def test_conditions_read_as_a_caseworker_would_say_them(applies_to, written, said):
    from tfp_rules.policy.words import condition_text

    text = condition_text(_parse(applies_to, written))
    assert text == said
    assert "rate" not in text.replace("rate ", "") and "months)" not in text  # no parameter ids
    assert not PYTHON_WORDS.search(text)


def test_parameters_are_named_in_words_only_when_asked():
    from tfp_rules.policy.words import condition_text

    condition = _parse("child", "{absence_rate: {last_terms: 3}, at_least: rate}")
    assert condition_text(condition, parameters=True) == (
        "absence of at least 10% (rate) of sessions over the last 3 terms"
    )


@pytest.mark.parametrize(
    "written",
    [
        "{reduction_pct: {event: proven_offence, months: 6}, at_least: 33}",
        "{count: {event: neet, after_entry_months: 6}, at_most: 0}",
    ],
)
def test_outcome_plan_measures_read_in_words(written):
    from tfp_rules.policy.words import condition_text

    text = condition_text(_parse("household", written, progress=True))
    assert text in (
        "a fall of at least 33% in proven offences, the 6 months after entry against the 6 "
        "months before",
        "no spells not in education, employment or training in the 6 months after entry",
    )


def test_every_shipped_condition_reads_without_parameter_ids_or_symbols(library):
    from tfp_rules.policy.words import condition_text

    for ref in library.refs():
        rs = library.resolve(ref, drafts=True)
        names = re.compile(r"\b(" + "|".join(rs.parameters) + r")\b")
        conditions = [rs.family.when, *(i.when for i in rs.indicators)]
        if rs.outcome_plan is not None:
            conditions += [m.when for m in rs.outcome_plan.measures if m.when is not None]
        for condition in conditions:
            text = condition_text(condition, rs)
            assert text and not names.search(text) and not PYTHON_WORDS.search(text), text
            assert "_" not in text, text  # identifiers are read aloud
