"""Compilation of conditions onto durable_rules: for random condition trees (every comparator,
`not` over missing values) the engine and the reference evaluation agree."""

from __future__ import annotations

import itertools

from hypothesis import HealthCheck, given, reject, settings
from hypothesis import strategies as st

from tfp_rules import engine
from tfp_rules.compile import could, reach_fields, to_durable
from tfp_rules.conditions import (
    All,
    Any_,
    Compare,
    Measure,
    Not,
    Operand,
    Reach,
    could_hold,
    holds,
)

NUMBER = Measure("count", records="event", types=("proven_offence",))
FLAG = Measure("field", field="flags.substance_misuse")
ROLE = Measure("field", field="role")
RATE = Measure("absence_rate", last_terms=Operand(3))
FIELDS = {m.key: f"m{i}" for i, m in enumerate((NUMBER, FLAG, ROLE, RATE))}
_names = itertools.count()


def _register_or_reject(name: str, rule: engine.Rule) -> None:
    """Register, or drop the example if durable_rules cannot hold a condition that large
    (compiling a ruleset names such a condition; tests/test_engine.py checks it)."""
    try:
        engine.register(name, {"r": rule})
    except engine.TooComplexError:
        reject()


numbers = st.sampled_from([0, 1, 2, 3, 9.5, 10, 10.0, 10.5])


@st.composite
def comparisons(draw: st.DrawFn) -> Compare:
    measure = draw(st.sampled_from([NUMBER, FLAG, ROLE, RATE]))
    if measure is FLAG:
        return Compare(
            FLAG, draw(st.sampled_from(["is", "is_not"])), (Operand(draw(st.booleans())),)
        )
    if measure is ROLE:
        op = draw(st.sampled_from(["is", "is_not", "one_of"]))
        values = draw(
            st.lists(st.sampled_from(["adult", "child"]), min_size=1, max_size=2, unique=True)
        )
        return Compare(
            ROLE, op, tuple(Operand(v) for v in (values if op == "one_of" else values[:1]))
        )
    op = draw(
        st.sampled_from(
            ["is", "is_not", "at_least", "more_than", "at_most", "below", "between", "one_of"]
        )
    )
    if op == "between":
        low, high = sorted([draw(numbers), draw(numbers)])
        return Compare(measure, op, (Operand(low), Operand(high)))
    if op == "one_of":
        return Compare(
            measure, op, tuple(Operand(v) for v in draw(st.lists(numbers, min_size=1, max_size=3)))
        )
    return Compare(measure, op, (Operand(draw(numbers)),))


conditions = st.recursive(
    comparisons(),
    lambda inner: st.one_of(
        st.lists(inner, min_size=1, max_size=3).map(lambda xs: All(tuple(xs))),
        st.lists(inner, min_size=1, max_size=3).map(lambda xs: Any_(tuple(xs))),
        inner.map(Not),
    ),
    max_leaves=6,
)

values = st.fixed_dictionaries(
    {},
    optional={
        NUMBER.key: st.sampled_from([0, 1, 2, 3, 10]),
        FLAG.key: st.booleans(),
        ROLE.key: st.sampled_from(["adult", "child"]),
        RATE.key: st.sampled_from([0.0, 9.5, 9.99, 10.0, 10.5]),
    },
)


@settings(max_examples=1000, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(conditions, st.lists(values, min_size=1, max_size=4))
def test_engine_matches_reference_for_random_conditions(condition, subjects):
    name = f"test-compile-{next(_names)}"
    rule = engine.Rule(
        [{"m": {"$and": [{"kind": "member"}, to_durable(condition, FIELDS)]}}],
        lambda matched: [{"kind": "hit", "subject": f["subject"]} for f in matched],
        {"cap": 100},
    )
    _register_or_reject(name, rule)
    facts = [
        {"kind": "member", "subject": f"s{i}", **{FIELDS[k]: v for k, v in vals.items()}}
        for i, vals in enumerate(subjects)
    ]
    fired = {f["subject"] for _, derived in engine.run(name, facts) for f in derived}
    expected = {f"s{i}" for i, vals in enumerate(subjects) if holds(condition, vals)}
    assert fired == expected, to_durable(condition, FIELDS)


def _one_of_each_comparison() -> list[Compare]:
    out = [Compare(FLAG, op, (Operand(b),)) for op in ("is", "is_not") for b in (True, False)]
    out += [
        Compare(ROLE, "one_of", (Operand("adult"),)),
        Compare(ROLE, "is_not", (Operand("child"),)),
    ]
    for measure in (NUMBER, RATE):
        for op in ("is", "is_not", "at_least", "more_than", "at_most", "below", "one_of"):
            out.append(Compare(measure, op, (Operand(3),)))
        out.append(Compare(measure, "between", (Operand(2), Operand(3))))
    return out


def test_every_comparator_and_its_negation_at_the_boundary():
    """Exhaustive, so a wrong operator at an edge cannot hide from random search."""
    samples = [
        {},
        {NUMBER.key: 2, RATE.key: 2.5},
        {NUMBER.key: 3, RATE.key: 3.0},
        {NUMBER.key: 4, RATE.key: 3.5},
    ]
    samples += [{FLAG.key: b, ROLE.key: r} for b in (True, False) for r in ("adult", "child")]
    for i, comparison in enumerate(_one_of_each_comparison()):
        for condition in (comparison, Not(comparison)):
            name = f"test-boundary-{i}-{type(condition).__name__}"
            engine.register(
                name,
                {
                    "r": engine.Rule(
                        [{"m": {"$and": [{"kind": "member"}, to_durable(condition, FIELDS)]}}],
                        lambda matched: [{"kind": "hit", "subject": f["subject"]} for f in matched],
                        {"cap": 100},
                    )
                },
            )
            facts = [
                {"kind": "member", "subject": f"s{j}", **{FIELDS[k]: v for k, v in s.items()}}
                for j, s in enumerate(samples)
            ]
            fired = {f["subject"] for _, derived in engine.run(name, facts) for f in derived}
            expected = {f"s{j}" for j, s in enumerate(samples) if holds(condition, s)}
            assert fired == expected, (condition, to_durable(condition, FIELDS))


@st.composite
def reaches(draw: st.DrawFn) -> tuple[dict, dict]:
    """A subject's measure values (for source-free ones) and reaches (for the others)."""
    lo = draw(st.sampled_from([0, 1, 2, 3, 10]))
    count = Reach(lo=lo, hi=draw(st.sampled_from([None, lo, lo + 1, lo + 7])))
    if draw(st.booleans()):
        low = draw(st.sampled_from([0.0, 2.0, 9.5, 10.0]))
        rate = Reach(
            lo=low,
            hi=draw(st.sampled_from([low, 10.0, 10.5, 100.0])),
            none=draw(st.booleans()),
        )
    else:
        rate = Reach(none=True)  # no number possible: no sessions, and no term can arrive
    flag = Reach(values=frozenset(draw(st.sets(st.sampled_from([None, True, False]), min_size=1))))
    role = draw(st.sampled_from(["adult", "child"]))
    values = {ROLE.key: role}
    reach = {NUMBER.key: count, RATE.key: rate, FLAG.key: flag, ROLE.key: Reach.exact(role, False)}
    return values, reach


@settings(max_examples=600, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(conditions, st.lists(reaches(), min_size=1, max_size=4))
def test_engine_could_hold_matches_the_reference_for_random_conditions_and_reaches(
    condition, subjects
):
    """The engine's reading of 'some value within reach meets it' is conditions.could_hold."""
    name = f"test-could-{next(_names)}"
    rule = engine.Rule(
        [{"m": {"$and": [{"kind": "member"}, could(condition, FIELDS)]}}],
        lambda matched: [{"kind": "hit", "subject": f["subject"]} for f in matched],
        {"cap": 100},
    )
    _register_or_reject(name, rule)
    facts = []
    for i, (vals, reach) in enumerate(subjects):
        fact = {"kind": "member", "subject": f"s{i}", FIELDS[ROLE.key]: vals[ROLE.key]}
        for m in (NUMBER, RATE, FLAG):
            fact.update(reach_fields(FIELDS[m.key], m, reach[m.key]))
        facts.append(fact)
    fired = {f["subject"] for _, derived in engine.run(name, facts) for f in derived}
    expected = {f"s{i}" for i, (_, reach) in enumerate(subjects) if could_hold(condition, reach)}
    assert fired == expected, could(condition, FIELDS)


def test_could_hold_by_hand():
    at_least_3 = Compare(NUMBER, "at_least", (Operand(3),))
    below_3 = Compare(NUMBER, "below", (Operand(3),))
    grows = {NUMBER.key: Reach(lo=1, hi=None)}
    assert could_hold(at_least_3, grows)  # a count of 1 could reach 3
    assert not could_hold(below_3, {NUMBER.key: Reach(lo=3, hi=None)})  # it can only grow
    assert could_hold(Not(at_least_3), grows)  # it may stay at 1
    assert not could_hold(Not(at_least_3), {NUMBER.key: Reach.exact(4, True)})
    nothing = {RATE.key: Reach(none=True)}
    assert not could_hold(Compare(RATE, "at_least", (Operand(0),)), nothing)
    assert could_hold(Not(Compare(RATE, "at_least", (Operand(0),))), nothing)
