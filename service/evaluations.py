"""Evaluations: decide a family's facts and store the decision (201).

`POST /v1/evaluations` takes a whole facts document; `POST /v1/decisions/{id}/facts`
takes newly arrived facts for a family already decided, merges them into that
decision's facts and stores a new decision linked to it (the old one is never edited).
A chain of such decisions cannot fork (facts go on its latest decision: 409 otherwise)
and an update that adds nothing makes no decision (422).

An `Idempotency-Key` is honoured for `IDEMPOTENCY_HOURS` after its first use (setting
`TFP_IDEMPOTENCY_HOURS`, default 24, at most 720), then it is new again.
"""

from __future__ import annotations

import os
import re
from dataclasses import replace
from datetime import timedelta
from typing import Any, Literal

from flask import Blueprint, Response, current_app, json, request, url_for
from flask.blueprints import BlueprintSetupState

from tfp_rules.compact import compact, is_compact, template_for
from tfp_rules.compile import compile_ruleset
from tfp_rules.errors import FactProblem, FactsError
from tfp_rules.evaluate import evaluate
from tfp_rules.facts import FamilyFacts, load_document, parse_facts, parse_update
from tfp_rules.intake import Intake, take_in
from tfp_rules.merge import merge_facts
from tfp_rules.store import (
    IDEMPOTENCY_LIFETIME,
    MAX_IDEMPOTENCY_LIFETIME,
    NothingNewError,
    StoredDecision,
    request_hash_of,
)

from .auth import actor, refuse_restricted, requires, visible_decision
from .db import get_store
from .inputs import RulesetChoice, known_ruleset, require_json, takes
from .problems import Problem, facts_problem
from .views import created, decision_view

bp = Blueprint("evaluations", __name__, url_prefix="/v1")
IDEMPOTENCY_KEY = re.compile(r"^[\x21-\x7e]{1,255}$")
HOURS = 3600


def idempotency_hours(value: object) -> int:
    """The key lifetime setting as whole hours, 1 to 720; ValueError naming the setting."""
    most = int(MAX_IDEMPOTENCY_LIFETIME.total_seconds()) // HOURS
    try:
        hours = int(str(value).strip())
    except ValueError:
        hours = 0
    if not 1 <= hours <= most:
        raise ValueError(
            f"TFP_IDEMPOTENCY_HOURS (IDEMPOTENCY_HOURS) is whole hours from 1 to {most},"
            f" not {value!r}"
        )
    return hours


@bp.record_once
def _settings(state: BlueprintSetupState) -> None:
    """Read the key lifetime when the app is made (a bad value stops start-up), unless the
    app's config already gives it."""
    default = int(IDEMPOTENCY_LIFETIME.total_seconds()) // HOURS
    config = state.app.config
    config.setdefault("IDEMPOTENCY_HOURS", os.environ.get("TFP_IDEMPOTENCY_HOURS", default))
    config["IDEMPOTENCY_HOURS"] = idempotency_hours(config["IDEMPOTENCY_HOURS"])


def lifetime() -> timedelta:
    """How long an Idempotency-Key is honoured, as configured."""
    return timedelta(hours=current_app.config["IDEMPOTENCY_HOURS"])


def json_body(spec: str | None = None) -> tuple[bytes, str | None]:
    """The raw JSON body and a valid Idempotency-Key, or a 4xx problem; 422 for a ruleset
    (`spec`) that is not loaded, before anything else is done."""
    library = current_app.extensions["tfp.library"]
    # a draft is known (and refused as one, 422 draft-ruleset); only published are listed
    known_ruleset(spec, library.refs(), library.refs(published_only=True))
    require_json()
    key = request.headers.get("Idempotency-Key")
    if key is not None and not IDEMPOTENCY_KEY.match(key):
        raise Problem(
            400, "bad-idempotency-key", "Bad Idempotency-Key", "1 to 255 visible ASCII characters"
        )
    return request.get_data(cache=False), key  # over MAX_CONTENT_LENGTH: 413 before reading


class EvaluationQuery(RulesetChoice):
    """`?ruleset=` (as `RulesetChoice`) and `?trace=`: `compact` (the default: the trace as
    stored, its static parts left to its template) or `full` (the whole trace)."""

    trace: Literal["compact", "full"] = "compact"


def _in_form(stored: StoredDecision, trace: str, full: dict[str, Any] | None) -> StoredDecision:
    """The stored decision with its trace as asked: `full` is the decision as the engine
    made it, when at hand; a replay (full, from the store) is read again in compact form."""
    if trace == "compact" and not is_compact(stored.decision):
        return get_store().get_decision(stored.id, trace="compact")
    if trace == "full" and is_compact(stored.decision):
        assert full is not None  # a compact decision here was the one just made
        return replace(stored, decision=full)
    return stored


def _answer(
    stored: StoredDecision,
    created_now: bool,
    trace: str = "compact",
    full: dict[str, Any] | None = None,
) -> Response:
    """201 with the stored decision (its trace as asked), its URL and the rules that made it."""
    # a replay may answer a decision reviewed since: the caller sees it as its role may
    return created(
        decision_view(_in_form(stored, trace, full), actor().role),
        url_for("decisions.get_one", decision_id=stored.id),
        stored.decision["ruleset"],
        replayed=not created_now,
    )


def _earlier(key: str | None, request_hash: str) -> StoredDecision | None:
    """The decision already stored for a retry of this request, if it is one (ConflictError
    if the key was used for another request), before any work is repeated."""
    if key is None:
        return None
    return get_store().replay(
        actor().client_id, key, request_hash, key_id=actor().id, idempotency_lifetime=lifetime()
    )


def _replayed(key: str | None, request_hash: str, trace: str) -> Response | None:
    """The first answer again if this is a retry of a request already decided."""
    earlier = _earlier(key, request_hash)
    return None if earlier is None else _answer(earlier, False, trace)


def _take_in(document: bytes | dict[str, Any], spec: str | None) -> Intake:
    """The facts with the ruleset that will judge them (the one asked for, or in force);
    every problem of every kind in one 422."""
    return take_in(current_app.extensions["tfp.library"], document, spec)


def _decide_and_store(
    intake: Intake,
    document: dict[str, Any],
    request_hash: str,
    key: str | None,
    trace: str,
    previous_id: str | None = None,
) -> Response:
    """Decide with the ruleset taken in, store with the facts as given (the trace compact),
    201."""
    stored, created, decision = _store_decision(intake, document, request_hash, key, previous_id)
    return _answer(stored, created, trace, decision)


def _store_decision(
    intake: Intake,
    document: dict[str, Any],
    request_hash: str,
    key: str | None,
    previous_id: str | None = None,
) -> tuple[StoredDecision, bool, dict[str, Any]]:
    """Decide and store (the trace compact); the stored decision, whether it was made now,
    and the decision with its full trace as the engine made it."""
    compiled = compile_ruleset(intake.ruleset)
    decision = evaluate(compiled, intake.facts)
    template = template_for(compiled)
    stored, created = get_store().save_decision(
        compact(decision, template),  # compacted once, for the store and the answer
        document,
        submitted_by=actor().client_id,
        key_id=actor().id,
        idempotency_key=key,
        request_hash=request_hash,
        previous_id=previous_id,
        idempotency_lifetime=lifetime(),
        template=template,
    )
    return stored, created, decision


def evaluate_family(document: Any, spec: str | None, key: str | None, trace: str) -> dict[str, Any]:
    """One family of a batch, as `POST /v1/evaluations` would take it from a parsed body:
    checked, refused if restricted, answered from an earlier retry or decided and stored;
    its batch result. Raises what that route would turn into its problem."""
    if not isinstance(document, dict):
        raise FactsError([FactProblem("", "expected a JSON object: one family's facts")])
    plain = load_document(document)  # pointers are into this family's document
    intake = _take_in(plain, spec)
    refuse_restricted(intake.facts.family_ref, action="decision.create", target=None, writing=True)
    request_hash = request_hash_of(plain, spec)
    earlier = _earlier(key, request_hash)
    stored, created, full = (
        (earlier, False, None)
        if earlier is not None
        else _store_decision(intake, plain, request_hash, key)
    )
    return {
        "status": 201,
        "replayed": not created,
        "location": url_for("decisions.get_one", decision_id=stored.id),
        "decision": decision_view(_in_form(stored, trace, full), actor().role),
    }


@bp.post("/evaluations")
@requires("submitter")
@takes(EvaluationQuery)
def create(query: EvaluationQuery):
    raw, key = json_body(query.ruleset)
    intake = _take_in(raw, query.ruleset)
    # before a replay too: answering a retry with the first decision would show its data
    refuse_restricted(intake.facts.family_ref, action="decision.create", target=None, writing=True)
    document = json.loads(raw)
    # A retry is recognised by the parsed body in canonical form, not its bytes: a partner
    # re-serialising the same document (other key order or whitespace) gets the first answer.
    request_hash = request_hash_of(document, query.ruleset)
    return _replayed(key, request_hash, query.trace) or _decide_and_store(
        intake, document, request_hash, key, query.trace
    )


def _adds_nothing(previous: dict[str, Any], merged: FamilyFacts) -> bool:
    """Whether the merged facts say what the previous facts said. Compared as parsed facts,
    so an empty list the merge spelt out where the previous document left it out is not
    news; the store refuses an identical document again in any case."""
    try:
        return parse_facts(previous) == merged
    except FactsError:  # the previous facts no longer parse: the update changes something
        return False


@bp.post("/decisions/<decision_id>/facts")
@requires("submitter")
@takes(EvaluationQuery)
def add_facts(decision_id: str, query: EvaluationQuery):
    """Newly arrived facts for the same family: a new decision, linked to the previous one."""
    raw, key = json_body(query.ruleset)
    previous = visible_decision(decision_id, writing=True, action="decision.create")
    store = get_store()
    update = parse_update(raw)  # not JSON: 400; not an update: 422 with pointers into it
    request_hash = request_hash_of(update, query.ruleset, previous.id)
    replayed = _replayed(key, request_hash, query.trace)
    if replayed is not None:
        return replayed
    store.require_latest(previous.id)  # facts go on the newest decision of a chain: else 409
    facts_before = store.get_facts(previous.id)
    merged = merge_facts(facts_before, update)  # a bad update: 422, its pointers
    # The family stays with the rules that judged it (a council's local ruleset, say), at
    # the version in force on the new assessment date, unless the caller names others.
    spec = query.ruleset or previous.decision["ruleset"]["id"]
    try:
        intake = _take_in(merged, spec)
    except FactsError as exc:
        raise facts_problem(
            exc,
            "The merged family facts are not valid",
            "pointers are into the merged document: the previous facts with this update folded in",
        ) from exc
    if _adds_nothing(facts_before, intake.facts):
        raise NothingNewError(
            f"the update adds nothing to the facts of decision {previous.id}: every record in it"
            " is there already, so no new decision was made"
        )
    return _decide_and_store(
        intake, merged, request_hash, key, query.trace, previous_id=previous.id
    )
