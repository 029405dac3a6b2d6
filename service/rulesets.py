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
from pydantic import BaseModel, ConfigDict, Field, create_model

from tfp_rules.library import RulesetLibrary
from tfp_rules.policy.diff import diff_rulesets
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


# A version as the ruleset files spell it (schemas/ruleset.schema.json).
VERSION = r"^[0-9A-Za-z][0-9A-Za-z._-]{0,31}$"


# `?from=VERSION&to=VERSION`: the two versions of one ruleset id to compare; without `to`,
# the newest version (drafts included), without `from`, the version before `to`. Made with
# create_model because `from` is a Python keyword: its field keeps the name the query
# string uses, so a refused request names it as sent.
Versions = create_model(
    "Versions",
    __config__=ConfigDict(extra="forbid"),
    __doc__="The two versions of one ruleset id to compare, from and to.",
    **{
        "from": (str | None, Field(default=None, pattern=VERSION)),
        "to": (str | None, Field(default=None, pattern=VERSION)),
    },
)


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


@bp.get("/rulesets/<ruleset_id>/diff")
@requires(*SEES_DRAFTS)
@takes(Versions)
def diff(ruleset_id: str, query: Any):
    """What version `to` changes against version `from` (drafts included: policy officers
    see what a draft would change before it is published), as `tfp diff --format json`."""
    library = _library().current()
    versions = [rs for rs in library if rs.id == ruleset_id]  # by effective date
    refs = [rs.ref for rs in versions]
    if not versions:
        raise Problem(
            404,
            "not-found",
            "No such ruleset",
            f"no ruleset with id '{ruleset_id}'",
            available=library.refs(),
        )
    new = _version(versions, query.to) if query.to else versions[-1]
    old_version = getattr(query, "from")
    if old_version:
        old = _version(versions, old_version)
    else:
        earlier = versions[: versions.index(new)]
        if not earlier:
            raise Problem(
                404,
                "not-found",
                "No earlier version",
                f"{new.ref} is the first version of '{ruleset_id}': there is none before it "
                "to compare with; name one with ?from=",
                available=refs,
            )
        old = earlier[-1]
    return jsonify(diff_rulesets(old, new).to_dict())


def _version(versions: list[Ruleset], version: str) -> Ruleset:
    """The version named, or a 404 listing the versions of that id."""
    found = next((rs for rs in versions if rs.version == version), None)
    if found is None:
        ref = f"{versions[0].id}@{version}"
        raise Problem(
            404,
            "not-found",
            "No such ruleset",
            f"no ruleset {ref}",
            available=[r.ref for r in versions],
        )
    return found


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
