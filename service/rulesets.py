"""What rules are loaded: every ruleset version with its hash, effective date and content.

Every role may read them (a partner may want to know which rules decided; a policy officer
must see the whole logic): the detail is the file as written, conditions included.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app, jsonify

from tfp_rules.library import RulesetLibrary
from tfp_rules.ruleset import Ruleset

from .auth import requires
from .inputs import NoParameters, takes
from .problems import Problem

bp = Blueprint("rulesets", __name__, url_prefix="/v1")
ANY_ROLE = ("submitter", "reviewer", "policy_officer")


def _library() -> RulesetLibrary:
    return current_app.extensions["tfp.library"]


def summary(rs: Ruleset) -> dict[str, Any]:
    """What identifies a version; a local one names its council and the version it extends."""
    local = (
        {"extends": rs.extends.identity(), "council": rs.council} if rs.extends is not None else {}
    )
    return {
        "id": rs.id,
        "version": rs.version,
        "effective_from": rs.effective_from.isoformat(),
        "sha256": rs.sha256,
        "description": rs.description,
        **local,
    }


@bp.get("/rulesets")
@requires(*ANY_ROLE)
@takes(NoParameters)
def list_all(query: NoParameters):
    return jsonify({"items": [summary(rs) for rs in _library()]})


@bp.get("/rulesets/<ruleset_id>/<version>")
@requires(*ANY_ROLE)
@takes(NoParameters)
def get_one(ruleset_id: str, version: str, query: NoParameters):
    ref = f"{ruleset_id}@{version}"
    library = _library()
    if ref not in library.refs():
        raise Problem(
            404, "not-found", "No such ruleset", f"no ruleset {ref}", available=library.refs()
        )
    return jsonify(detail(library.resolve(ref)))


def detail(rs: Ruleset) -> dict[str, Any]:
    """The whole ruleset: every top-level section of its file as written (sections this code
    does not know about included), with the summary, parameters and headlines as the loaded
    model has them, each indicator adding its `when` and `data_sources` as written."""
    written = {
        ind["id"]: ind
        for h in rs.document.get("headlines") or []
        for ind in (h.get("indicators") or [] if isinstance(h, dict) else [])
        if isinstance(ind, dict) and "id" in ind
    }
    members = {
        **summary(rs),
        "sources": list(rs.sources),
        "headlines_required": rs.headlines_required,
        "parameters": {
            p.name: {
                "value": p.value,
                "unit": p.unit,
                "description": p.description,
                "source": p.source,
            }
            for p in rs.parameters.values()
        },
        "headlines": [
            {
                "id": h.id,
                "name": h.name,
                "indicators": [
                    {
                        "id": i.id,
                        "name": i.name,
                        "applies_to": i.applies_to,
                        "origin": i.origin,
                        "source": i.source,
                        "data_sources": list(
                            written.get(i.id, {}).get("data_sources", i.data_sources)
                        ),
                        "when": written.get(i.id, {}).get("when"),
                    }
                    for i in h.indicators
                ],
            }
            for h in rs.headlines
        ],
    }
    return {**members, **{k: v for k, v in rs.document.items() if k not in members}}
