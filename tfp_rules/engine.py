"""The one place that touches durable_rules: its compiled Rete engine, a lock, one run per family.

durable_rules' Python layer (`durable.lang`, `durable.engine.Host`) is a thin
driver over its C engine, `durable_rules_engine`. We drive the C engine
directly, with the same calls the Python host makes (create_ruleset,
assert_facts, start_action_for_state, complete_and_start_action,
delete_state), because the host adds per-action costs we do not need (timer
threads, leases, state serialisation after every action): measured, it halves
the time of an evaluation. durable-rules is pinned to 2.0.x for this reason.

The traps of durable_rules 2.0.28, and what this module does about each
(every one has a test in tests/test_engine.py):

- The C engine holds at most ~1,022 live states per ruleset; past that every
  assert fails with an out-of-memory error. Every run deletes its state in a
  `finally`.
- `delete_state` on a state where no action ever ran frees an uninitialised
  pointer and crashes the process (segmentation fault). Every run therefore
  first asserts a `run` fact, whose rule always fires, and runs that action.
- Asserting a batch in which any fact matches no rule refuses the whole batch
  ("not handled", MessageNotHandledException in the Python host) and runs none
  of its actions. A `hold` rule joins every subject fact with a fact that never
  exists, so subject facts are always handled without firing anything.
- durable_rules takes a fact's `id` field as its identity: two different facts
  with the same `id` in one state count as one, and the second is silently
  dropped as "observed". Facts given to the engine must not have an `id`
  field (`run` refuses them); without one, identity is the whole content.
- A derived fact no rule wants (the decision) is "not handled": that means
  nothing matched, not an error. Asserting a fact already present (a second
  indicator of one headline) is "observed": also not an error.
- The Python host catches exceptions raised inside actions and stores them in
  the state as `exception`, where nobody looks. Here an exception in a rule's
  `derive` abandons the action, and `run` raises EngineError.
- A JSON number written with an exponent and no fraction (`1e-05`, `1e+16`, as
  Python writes small and large round floats) crashes the process when a rule
  compares it. Everything given to the engine is written by `_dumps`, which
  spells such numbers with a fraction (`1.0e-05`). `_dumps` writes with orjson
  (several times faster than json), which writes NaN and infinity as `null`
  rather than refusing them: any `null` in its output sends the value through
  json's own check, which refuses them.
- One fact's condition may hold at most 32 expressions (`MAX_SEQUENCE_EXPRESSIONS`);
  beyond that `create_ruleset` fails with error 113. `compile` turns that into a
  RulesetError naming the condition.
- `durable.lang.get_host()` creates a global host that registers rulesets
  lazily, without a lock (concurrent first calls lose results), and starts
  timer threads that call into the engine in the background. We never use
  it: `register` creates each ruleset eagerly, and one process-wide lock is
  held around every call into the engine, which is not thread-safe.
"""

from __future__ import annotations

import itertools
import json
import math
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import durable_rules_engine as _engine
import orjson

from .errors import EngineError

Fact = dict[str, Any]


class TooComplexError(EngineError):
    """durable_rules refused a rule whose condition holds more than 32 expressions."""


Derive = Callable[[list[Fact]], list[Fact]]

_LOCK = threading.RLock()
_SIDS = itertools.count(1)
# Result codes of durable_rules_engine.assert_facts (see durable/engine.py, _handle_result).
_OK, _NOT_HANDLED, _OBSERVED = 0, 1, 2


@dataclass(frozen=True)
class Rule:
    """One durable_rules rule: its JSON condition and what facts it derives when it fires.

    `when` is durable_rules' own condition format (a list for `all`), `options`
    its rule options (`cap`, `count`). `derive` is pure: matched facts in, new
    facts out; the engine asserts them, which is how rules chain.
    """

    when: list[dict[str, Any]]
    derive: Derive
    options: dict[str, int] = field(default_factory=dict)


# Always-present plumbing rules, see the module docstring.
RUN_FACT: Fact = {"kind": "run"}
_PLUMBING = {
    "_run": Rule([{"m": {"kind": "run"}}], lambda matched: []),
    "_hold": Rule(
        [
            {"m": {"$or": [{"kind": "member"}, {"kind": "household"}, {"kind": "unchecked"}]}},
            {"never": {"kind": "$never"}},
        ],
        lambda matched: [],
    ),
}


_EXPONENT = re.compile(r"\d[eE][-+]?\d")


def _number(value: float) -> str:
    """A float as JSON durable_rules reads safely: an exponent always follows a fraction."""
    if not math.isfinite(value):
        raise EngineError(f"durable_rules cannot hold {value!r}")
    text = repr(value)
    mantissa, e, exponent = text.partition("e")
    return f"{mantissa}.0e{exponent}" if e and "." not in mantissa else text


def _exact(value: Any) -> str:
    if isinstance(value, float):
        return _number(value)
    if isinstance(value, dict):
        return "{" + ", ".join(f"{json.dumps(k)}: {_exact(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_exact(v) for v in value) + "]"
    return json.dumps(value)


def _dumps(value: Any) -> str:
    """JSON for the engine (see the module docstring): orjson, unless a number came out with
    an exponent, which is then spelt out safely; NaN and infinity are refused."""
    try:
        text = orjson.dumps(value).decode()
    except TypeError:  # what orjson cannot write (an int beyond 64 bits): json's slower way
        text = None
    if text is None or "null" in text:
        try:
            text = json.dumps(value, allow_nan=False)
        except ValueError as exc:
            raise EngineError(f"durable_rules cannot hold a value: {exc}") from exc
    return _exact(value) if _EXPONENT.search(text) else text


_registered: dict[
    str, tuple[int, dict[str, Derive]]
] = {}  # name -> (engine handle, derive by rule)


def register(name: str, rules: dict[str, Rule]) -> None:
    """Register a ruleset with the engine now (not lazily); a second call is a no-op."""
    with _LOCK:
        if name in _registered:
            return
        definition = {}
        derives = {}
        for rule_name, rule in {**rules, **_PLUMBING}.items():
            definition[rule_name] = {"all": rule.when, **rule.options}
            derives[rule_name] = rule.derive
        try:
            handle = _engine.create_ruleset(name, _dumps(definition))
        except Exception as exc:
            if "error code: 113" in str(exc):  # ERR_EXPRESSION_LIMIT_EXCEEDED
                raise TooComplexError(f"a condition of ruleset {name} is too complex") from exc
            raise EngineError(f"durable_rules rejected ruleset {name}: {exc}") from exc
        _registered[name] = (handle, derives)


def _shape(facts: list[Fact]) -> str:
    """What a batch held, for an error message that reaches the log: how many facts of which
    kinds, never their values (measures of people are personal data)."""
    kinds: dict[str, int] = {}
    for fact in facts:
        kind = str(fact.get("kind", "?"))
        kinds[kind] = kinds.get(kind, 0) + 1
    return (
        f"a batch of {len(facts)} facts ({', '.join(f'{n} {k}' for k, n in sorted(kinds.items()))})"
    )


def _assert(handle: int, facts: list[Fact]) -> int:
    """Assert a run's own facts into its fresh state; the state handle.

    durable_rules refuses a whole batch when one fact matches no rule or two
    facts are identical (it keeps one copy of a fact), silently running none
    of the batch's rules: both are bugs in the caller, so both raise.
    """
    code, state = _engine.assert_facts(handle, _dumps(facts))[:2]
    if code == _NOT_HANDLED:
        raise EngineError(f"a fact matched no rule, so durable_rules refused {_shape(facts)}")
    if code == _OBSERVED:
        raise EngineError(f"two identical facts, so durable_rules refused {_shape(facts)}")
    if code != _OK:  # pragma: no cover - engine contract
        raise EngineError(f"durable_rules refused the batch: code {code}")
    return state


def _one_in_state(fact: Fact, sid: str) -> str:
    """A batch of one derived fact in state `sid`: one encoding, the state id spliced into it
    rather than the fact copied with it."""
    if not fact or "sid" in fact:
        return _dumps([{**fact, "sid": sid}])
    return f'[{_dumps(fact)[:-1]}, "sid": "{sid}"}}]'


def _drain(handle: int, state: int, sid: str, derives: dict[str, Derive], fired: list) -> None:
    """Run every pending action of a state until none is left (rules chain through derived facts)."""
    result = _engine.start_action_for_state(handle, state)
    message = result[1] if result else None
    while message:
        ((rule, payload),) = orjson.loads(message).items()
        matched = [item["m"] for item in payload] if isinstance(payload, list) else [payload["m"]]
        try:
            derived = derives[rule](matched)
        except Exception as exc:
            _engine.abandon_action(handle, state)
            # the exception's own text may quote the facts it choked on: name only its type
            raise EngineError(f"rule {rule} failed with {type(exc).__name__}") from exc
        fired.append((rule, derived))
        if any("id" in f for f in derived):
            _engine.abandon_action(handle, state)
            raise EngineError(
                f"rule {rule} derived a fact with an 'id' field (durable_rules' identity)"
            )
        for fact in derived:
            code = _engine.assert_facts(handle, _one_in_state(fact, sid))[0]
            if code not in (_OK, _NOT_HANDLED, _OBSERVED):  # pragma: no cover - engine contract
                raise EngineError(f"durable_rules refused a derived fact: code {code}")
        message = _engine.complete_and_start_action(handle, state)


def run(name: str, facts: list[Fact]) -> list[tuple[str, list[Fact]]]:
    """Assert one family's facts into a fresh state, run every rule to quiescence, forget it.

    Returns the rules that fired, in order, each with the facts it derived.
    """
    with _LOCK:
        if name not in _registered:
            raise EngineError(f"ruleset {name} is not registered")
        handle, derives = _registered[name]
        if any("id" in f for f in facts):
            raise EngineError(
                "facts must not have an 'id' field: durable_rules takes it as identity"
            )
        sid = str(next(_SIDS))
        fired: list[tuple[str, list[Fact]]] = []
        try:
            # The run fact goes first, alone, and its action runs at once: from then on
            # deleting the state is safe whatever happens next (see the module docstring).
            state = _assert(handle, [{**RUN_FACT, "sid": sid}])
            _drain(handle, state, sid, derives, fired)
            if facts:
                state = _assert(handle, [{**f, "sid": sid} for f in facts])
                _drain(handle, state, sid, derives, fired)
        except EngineError:
            raise
        except Exception as exc:
            raise EngineError(f"durable_rules failed with {type(exc).__name__}") from exc
        finally:
            _engine.delete_state(handle, sid)
        if not any(rule == "_run" for rule, _ in fired):
            raise EngineError("durable_rules did not run the family (the run rule never fired)")
        return [(rule, derived) for rule, derived in fired if not rule.startswith("_")]
