"""Batch evaluations: many families' facts in one request, each decided and stored on its own.

`POST /v1/evaluations/batch` takes `{"families": [facts, ...]}`, at most BATCH_MAX_FAMILIES
of them (setting `TFP_BATCH_MAX_FAMILIES`, default 100) within the body limit
(`TFP_MAX_BODY_BYTES`). What is wrong with the request as a whole (not JSON, not that
shape, too many families, a ruleset not loaded, a bad Idempotency-Key) is one 4xx problem
and nothing is stored. Otherwise it answers 200 with one result per family, in order: the
stored decision (`status` 201) or the problem that family alone met (`status` 4xx), exactly
as `POST /v1/evaluations` would have answered it, so one bad family fails only itself.

Families are decided one after another in the worker that took the request (the service's
parallelism is its worker processes; a process pool per request would cost more to start
than a batch of this size takes). A whole cohort is `tfp batch`'s job.

An `Idempotency-Key` covers the batch as sent: family `i` is stored under `KEY#i`, so a
retry of the same batch (after a timeout, say) answers every family already stored with its
first decision (`replayed: true`) and decides only the rest.
"""

from __future__ import annotations

import os
from typing import Any

from flask import Blueprint, current_app, jsonify
from flask.blueprints import BlueprintSetupState

from tfp_rules.errors import FactProblem, FactsError
from tfp_rules.facts import parse_json

from .auth import requires
from .evaluations import EvaluationQuery, evaluate_family, json_body
from .inputs import takes
from .problems import Problem, facts_problem, problem_body, to_problem

bp = Blueprint("batch", __name__, url_prefix="/v1")
DEFAULT_MAX_FAMILIES = 100
MOST_FAMILIES = 1_000  # above this a request would hold a sync worker near gunicorn's timeout


def max_families(value: object) -> int:
    """The batch size setting as a whole number from 1 to MOST_FAMILIES; ValueError naming it."""
    try:
        most = int(str(value).strip())
    except ValueError:
        most = 0
    if not 1 <= most <= MOST_FAMILIES:
        raise ValueError(
            "TFP_BATCH_MAX_FAMILIES (BATCH_MAX_FAMILIES) is a whole number of families from 1"
            f" to {MOST_FAMILIES}, not {value!r}"
        )
    return most


@bp.record_once
def _settings(state: BlueprintSetupState) -> None:
    """Read the batch size when the app is made (a bad value stops start-up), unless the
    app's config already gives it."""
    config = state.app.config
    config.setdefault(
        "BATCH_MAX_FAMILIES", os.environ.get("TFP_BATCH_MAX_FAMILIES", DEFAULT_MAX_FAMILIES)
    )
    config["BATCH_MAX_FAMILIES"] = max_families(config["BATCH_MAX_FAMILIES"])


def _families(raw: bytes) -> list[Any]:
    """The `families` list of a batch body, or the one problem of the request as a whole:
    400 for a body that is not JSON, 422 for any other shape, naming where it is wrong."""
    try:
        body = parse_json(raw)
    except FactsError as exc:
        raise facts_problem(exc) from exc
    most = current_app.config["BATCH_MAX_FAMILIES"]
    problems: list[FactProblem] = []
    if not isinstance(body, dict):
        problems.append(FactProblem("", 'expected a JSON object {"families": [...]}'))
    else:
        problems += [
            FactProblem(f"/{key}", "unknown field: a batch holds only 'families'")
            for key in body
            if key != "families"
        ]
        families = body.get("families")
        if not isinstance(families, list):
            problems.append(FactProblem("/families", "expected a list of family facts documents"))
        elif not families:
            problems.append(FactProblem("/families", "expected at least 1 family"))
        elif len(families) > most:
            problems.append(
                FactProblem(
                    "/families",
                    f"{len(families)} families: a batch holds at most {most}"
                    " (TFP_BATCH_MAX_FAMILIES); send the rest in another batch",
                )
            )
    if problems:
        raise Problem(
            422,
            "invalid-batch",
            "The batch is not valid",
            f"{len(problems)} problem(s); each names its place by JSON Pointer",
            errors=[{"pointer": p.pointer, "detail": p.message} for p in problems],
        )
    return body["families"]


def _one(index: int, document: Any, query: EvaluationQuery, key: str | None) -> dict[str, Any]:
    """One family's result: its stored decision, or the problem it alone met."""
    try:
        family_key = None if key is None else f"{key}#{index}"
        return {"index": index, **evaluate_family(document, query.ruleset, family_key, query.trace)}
    except Exception as exc:  # this family's problem, whatever it is; the rest go on
        problem = to_problem(exc)
        return {"index": index, "status": problem.status, "problem": problem_body(problem)}


@bp.post("/evaluations/batch")
@requires("submitter")
@takes(EvaluationQuery)
def create_batch(query: EvaluationQuery):
    raw, key = json_body(query.ruleset)
    families = _families(raw)
    results = [_one(i, doc, query, key) for i, doc in enumerate(families)]
    counts = {"decided": 0, "replayed": 0, "failed": 0}
    for result in results:
        outcome = (
            "failed"
            if result["status"] != 201
            else ("replayed" if result["replayed"] else "decided")
        )
        counts[outcome] += 1
    return jsonify({"families": len(results), **counts, "results": results})
