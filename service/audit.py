"""The audit trail over HTTP: every row a request writes names its caller, and admins can
read the trail back (`GET /v1/audit`, itself audited), by family too: who read which
family's data (`family_ref`, never written to the trail itself)."""

from __future__ import annotations

from typing import Annotated, Literal

from flask import Blueprint, request
from pydantic import BaseModel, ConfigDict, Field

from tfp_rules.store import ACTIONS, ANONYMOUS

from .auth import caller, requires
from .db import get_store
from .inputs import takes
from .problems import Problem
from .views import page

bp = Blueprint("audit", __name__, url_prefix="/v1")

# A date (the whole day, UTC) or an RFC 3339 date-time, as documented in openapi.yaml.
# ASCII digits only, as JSON Schema's regular expressions mean them.
MOMENT = (
    r"^[0-9]{4}-[0-9]{2}-[0-9]{2}"
    r"(T[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]{1,6})?(Z|[+-][0-9]{2}:[0-9]{2}))?$"
)
Moment = Annotated[str, Field(pattern=MOMENT)]
Id = Annotated[str, Field(min_length=1, max_length=200)]
# As the facts spell a family ref (tfp_rules.facts).
FamilyRef = Annotated[str, Field(pattern=r"^[A-Za-z0-9_.:/-]{1,64}$")]


def record(
    action: str, status: int, *, target: str | None = None, detail: str | None = None
) -> None:
    """One audit row for this request, naming its caller: the client and the key it used,
    or `anonymous` when no valid key came with it."""
    key = caller()
    get_store().audit(
        actor=key.client_id if key else ANONYMOUS,
        key_id=key.id if key else None,
        action=action,
        status=status,
        target=target,
        detail=detail,
    )


class AuditQuery(BaseModel):
    """Filters of GET /v1/audit (`from` and `to` are Python keywords, hence the aliases)."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    actor: Id | None = None
    action: Literal[ACTIONS] | None = None  # type: ignore[valid-type]
    decision: Id | None = None
    family_ref: FamilyRef | None = None
    at_from: Moment | None = Field(None, alias="from")
    at_to: Moment | None = Field(None, alias="to")
    limit: Annotated[int, Field(ge=1, le=200)] = 50
    cursor: Annotated[str, Field(max_length=200)] | None = None


@bp.get("/audit")
@requires()  # admin only
@takes(AuditQuery)
def list_all(query: AuditQuery):
    try:
        rows, next_cursor = get_store().list_audit(
            actor=query.actor,
            action=query.action,
            target=query.decision,
            family_ref=query.family_ref,
            at_from=query.at_from,
            at_to=query.at_to,
            limit=query.limit,
            cursor=query.cursor,
        )
    except ValueError as exc:
        raise Problem(400, "invalid-query", "Invalid query parameters", str(exc)) from exc
    # parameter names only: a family ref is personal data (an actor or decision id is not,
    # but keep to one rule)
    record("audit.list", 200, detail=",".join(sorted(request.args)) or None)
    return page(rows, next_cursor, "audit.list_all")
