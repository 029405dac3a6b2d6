"""Subject access over HTTP (UK GDPR Art. 15), admin only: everything held about a family,
or about one person across families, as one JSON document (`privacy.subject`), audited as
`subject.export` without the ref. "Nothing held" is an answer: 200 with `"held": false`.
"""

from __future__ import annotations

import re
from typing import Annotated

from flask import Blueprint, jsonify
from pydantic import BaseModel, ConfigDict, Field

from tfp_rules.privacy.subject import export_family, export_person

from .auth import actor, requires
from .db import get_store
from .inputs import IsoDate, NoParameters, takes
from .problems import Problem

bp = Blueprint("subjects", __name__, url_prefix="/v1/subjects")

# As the facts spell a family ref and a member ref (`facts.FamilyRef`, `facts.MemberRef`):
# a ref spelled otherwise cannot be stored, so it is refused, not answered "nothing held".
FAMILY_REF = re.compile(r"[A-Za-z0-9_.:/-]{1,64}")
MEMBER_REF = r"^[A-Za-z0-9_.-]{1,64}$"


class PersonQuery(BaseModel):
    """One person: a member ref and a date of birth, both (refs are unique within a family
    only, so a ref alone names no one)."""

    model_config = ConfigDict(extra="forbid")

    member_ref: Annotated[str, Field(pattern=MEMBER_REF)]
    date_of_birth: IsoDate


@bp.get("/families/<path:family_ref>")
@requires()  # admin only
@takes(NoParameters)
def family(family_ref: str, query: NoParameters):
    """Everything held about one family."""
    if not FAMILY_REF.fullmatch(family_ref):
        raise Problem(
            400,
            "invalid-family-ref",
            "Not a family ref",
            "a family ref is 1 to 64 letters, digits and _ . : / - (as in the facts)",
        )
    me = actor()
    made = export_family(get_store(), family_ref, actor=me.client_id, key_id=me.id)
    return jsonify(made.document)


@bp.get("/people")
@requires()  # admin only
@takes(PersonQuery)
def person(query: PersonQuery):
    """Everything held about one person, across families, other members withheld."""
    me = actor()
    made = export_person(
        get_store(),
        query.member_ref,
        query.date_of_birth.isoformat(),
        actor=me.client_id,
        key_id=me.id,
    )
    return jsonify(made.document)
