"""What rules are loaded: every ruleset version with its hash, effective date, status and
content.

Every role may read the published versions (a partner may want to know which rules
decided; a policy officer must see the whole logic): the detail is the file as written,
conditions included. Drafts are for policy officers (and admins): listed on request
(`?status=draft` or `all`), and not found for anyone else.
"""

from __future__ import annotations

from typing import Any, Literal

from flask import Blueprint, current_app, jsonify
from pydantic import BaseModel, ConfigDict

from tfp_rules.library import RulesetLibrary
from tfp_rules.ruleset import Ruleset

from .auth import actor, requires
from .inputs import NoParameters, takes
from .library import LiveLibrary
from .problems import Problem

bp = Blueprint("rulesets", __name__, url_prefix="/v1")
ANY_ROLE = ("submitter", "reviewer", "policy_officer")
SEES_DRAFTS = ("policy_officer", "admin")


class Listing(BaseModel):
    """`?status=published` (the default), `draft` or `all` (drafts: policy officers only)."""

    model_config = ConfigDict(extra="forbid")

    status: Literal["published", "draft", "all"] = "published"


def _library() -> LiveLibrary:
    return current_app.extensions["tfp.library"]


def summary(rs: Ruleset, library: RulesetLibrary) -> dict[str, Any]:
    """What identifies a version and whether it is published (with the hash it was published
    with); a local one names its council and the version it extends."""
    local = (
        {"extends": rs.extends.identity(), "council": rs.council} if rs.extends is not None else {}
    )
    pub = (library.publications or {}).get(rs.ref)
    return {
        "id": rs.id,
        "version": rs.version,
        "effective_from": rs.effective_from.isoformat(),
        "sha256": rs.sha256,
        "status": library.status(rs.ref),
        **({"published": pub.to_dict()} if pub is not None else {}),
        "description": rs.description,
        **local,
    }


@bp.get("/rulesets")
@requires(*ANY_ROLE)
@takes(Listing)
def list_all(query: Listing):
    if query.status != "published" and actor().role not in SEES_DRAFTS:
        raise Problem(
            403,
            "forbidden",
            "Not allowed for this role",
            f"drafts are listed for {' and '.join(SEES_DRAFTS)} only",
        )
    library = _library().current()
    wanted = {"published": ("published",), "draft": ("draft",), "all": ("published", "draft")}
    return jsonify(
        {
            "items": [
                summary(rs, library)
                for rs in library
                if library.status(rs.ref) in wanted[query.status]
            ]
        }
    )


@bp.get("/rulesets/<ruleset_id>/<version>")
@requires(*ANY_ROLE)
@takes(NoParameters)
def get_one(ruleset_id: str, version: str, query: NoParameters):
    ref = f"{ruleset_id}@{version}"
    library = _library().current()
    visible = library.refs(published_only=actor().role not in SEES_DRAFTS)
    if ref not in visible:
        raise Problem(404, "not-found", "No such ruleset", f"no ruleset {ref}", available=visible)
    return jsonify(detail(library.resolve(ref, drafts=True), library))


def detail(rs: Ruleset, library: RulesetLibrary) -> dict[str, Any]:
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
        **summary(rs, library),
        "sources": list(rs.sources),
        "headlines_required": rs.headlines_required,
        "parameters": {
            p.name: {
                "value": p.value,
                "unit": p.unit,
                "description": p.description,
                "source": p.source,
                "review_by": p.review_by.isoformat() if p.review_by else None,
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
