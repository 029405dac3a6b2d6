"""The one place that touches durable_rules: a private host, a lock, and one run per family.

durable_rules 2.0.28 has traps that this module defuses (each has a test in
tests/test_engine.py):

- Its C engine holds at most ~1,022 live states per ruleset; past that every
  assert raises MemoryError. Every run deletes its state in a `finally`.
- `delete_state` on a state where no action ever ran frees an uninitialised
  pointer and crashes the process (segmentation fault). Every run therefore
  asserts a `run` fact whose rule always fires once.
- Asserting a batch in which any fact matches no rule raises
  MessageNotHandledException for the whole batch and runs none of its actions.
  A `hold` rule joins every subject fact with a fact that never exists, so
  subject facts are always "handled" without firing anything.
- MessageNotHandledException from a fact no rule wants means "nothing
  matched", not an error; MessageObservedException means the same fact was
  already asserted (two indicators of one headline), also not an error.
- Exceptions raised inside actions are swallowed into the state as
  `exception`; our action wrapper catches them itself and `run` re-raises
  them as EngineError.
- The global host of `durable.lang.get_host()` registers rulesets lazily
  without a lock and starts timer threads that call into the engine in the
  background. We never use it: a private host without timer threads is
  created here, rulesets are registered eagerly by `register`, and every call
  into the engine holds one process-wide lock (the engine is not thread-safe).
"""

from __future__ import annotations

import itertools
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from durable import engine as _durable

from .errors import EngineError

Fact = dict[str, Any]
Derive = Callable[[list[Fact]], list[Fact]]

_LOCK = threading.RLock()
_SIDS = itertools.count(1)
_NOT_AN_ERROR = (_durable.MessageNotHandledException, _durable.MessageObservedException)


class _Host(_durable.Host):
    """durable_rules' host without its background dispatch threads (we use no timers)."""

    def _run(self) -> None:
        pass


_host: _Host | None = None


def _the_host() -> _Host:
    global _host
    with _LOCK:
        if _host is None:
            _host = _Host()
        return _host


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


@dataclass
class _Run:
    """What happened during one run: every rule that fired and what it derived."""

    sid: str
    fired: list[tuple[str, list[Fact]]] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


_current: _Run | None = None  # the run in progress; only touched while holding _LOCK

# Always-present plumbing rules, see the module docstring.
RUN_FACT: Fact = {"kind": "run"}
_PLUMBING = {
    "_run": Rule([{"m": {"kind": "run"}}], lambda matched: []),
    "_hold": Rule(
        [
            {"m": {"$or": [{"kind": "member"}, {"kind": "household"}]}},
            {"never": {"kind": "$never"}},
        ],
        lambda matched: [],
    ),
}


def _action(name: str, derive: Derive) -> Callable[[Any], None]:
    def action(c: Any) -> None:
        run = _current
        assert run is not None, "durable_rules action outside a run"
        try:
            matched = [item._d for item in c.m] if isinstance(c.m, list) else [c.m._d]
            derived = derive(matched)
            run.fired.append((name, derived))
            for fact in derived:
                try:  # noqa: SIM105 (hot path: cheaper than contextlib.suppress)
                    c.assert_fact(dict(fact))
                except _NOT_AN_ERROR:
                    pass
        except Exception as exc:  # surfaced by run(), never lost in the engine's state
            run.errors.append(f"rule {name}: {type(exc).__name__}: {exc}")

    return action


_registered: set[str] = set()


def register(name: str, rules: dict[str, Rule]) -> None:
    """Register a ruleset with the engine now (not lazily); a second call is a no-op."""
    with _LOCK:
        if name in _registered:
            return
        definition = {}
        for rule_name, rule in {**rules, **_PLUMBING}.items():
            spec: dict[str, Any] = {"all": rule.when, **rule.options}
            spec["run"] = _action(rule_name, rule.derive)
            definition[rule_name] = spec
        try:
            _the_host().register_rulesets({name: definition})
        except Exception as exc:
            raise EngineError(f"durable_rules rejected ruleset {name}: {exc}") from exc
        _registered.add(name)


def run(name: str, facts: list[Fact]) -> list[tuple[str, list[Fact]]]:
    """Assert one family's facts into a fresh state, run every rule to quiescence, forget it.

    Returns the rules that fired, in order, each with the facts it derived.
    """
    global _current
    with _LOCK:
        if name not in _registered:
            raise EngineError(f"ruleset {name} is not registered")
        sid = str(next(_SIDS))
        this = _Run(sid)
        _current = this
        host = _the_host()
        try:
            # The run fact goes first, alone: once its action has run, deleting the state
            # is safe whatever happens next (see the module docstring).
            host.assert_fact(name, {**RUN_FACT, "sid": sid})
            if facts:
                host.assert_facts(name, [{**f, "sid": sid} for f in facts])
        except _durable.MessageNotHandledException as exc:
            raise EngineError(
                f"a fact matched no rule, so durable_rules refused the batch: {exc.message}"
            ) from exc
        except EngineError:
            raise
        except Exception as exc:
            raise EngineError(f"durable_rules failed: {type(exc).__name__}: {exc}") from exc
        finally:
            _current = None
            host.delete_state(name, sid)
        if this.errors:
            raise EngineError("; ".join(this.errors))
        if not any(rule == "_run" for rule, _ in this.fired):
            raise EngineError("durable_rules did not run the family (the run rule never fired)")
        return [(rule, derived) for rule, derived in this.fired if not rule.startswith("_")]
