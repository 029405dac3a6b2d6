"""What request bodies and parameters must look like, shared by the routes that take them.

One rule for query strings, on every route: each route declares the parameters it takes as
a pydantic model (`@takes(Model)`; `NoParameters` for none), and a parameter that is
unknown, repeated or invalid is a 400 `invalid-query` naming it, never silently ignored.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterable
from functools import wraps
from typing import Annotated, Any, Literal, TypeVar

from flask import request
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError

from tfp_rules.errors import UnknownRulesetError

from .problems import Problem

F = TypeVar("F", bound=Callable[..., Any])

# A ruleset named on the query string: ID, or ID@VERSION (as documented in openapi.yaml).
RULESET_SPEC = r"^[a-z][a-z0-9_-]*(@[0-9A-Za-z][0-9A-Za-z._-]*)?$"
RulesetSpec = Annotated[str, Field(pattern=RULESET_SPEC)]


def _iso_date(value: str) -> dt.date:
    """YYYY-MM-DD and nothing else (pydantic's lax dates also take '0' and date-times)."""
    if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
        raise ValueError("expected a date YYYY-MM-DD")
    return dt.date.fromisoformat(value)


IsoDate = Annotated[dt.date, BeforeValidator(lambda v: _iso_date(v) if isinstance(v, str) else v)]
Status = Literal["eligible", "not_eligible", "undetermined"]  # automated, or in force


class NoParameters(BaseModel):
    """The parameters of a route that takes none: any is refused."""

    model_config = ConfigDict(extra="forbid")


class RulesetChoice(BaseModel):
    """`?ruleset=ID` (the version in force on the assessment date) or `ID@VERSION`."""

    model_config = ConfigDict(extra="forbid")

    ruleset: RulesetSpec | None = None


def _names(model: type[BaseModel]) -> str:
    fields = sorted(model.model_fields)
    return f"takes {', '.join(fields)}" if fields else "takes no parameters"


def query_params(model: type[BaseModel]) -> Any:
    """The query string as `model`, or a 400 problem naming every parameter that is unknown,
    given more than once, or invalid."""
    errors = [
        {"parameter": name, "detail": "given more than once; give each parameter once"}
        for name, values in request.args.lists()
        if len(values) > 1
    ]
    if not errors:
        try:
            return model.model_validate(request.args.to_dict())
        except ValidationError as exc:
            for e in exc.errors():
                name = ".".join(map(str, e["loc"])) or "?"
                if e["type"] == "extra_forbidden":
                    detail = f"unknown parameter: this route {_names(model)}"
                else:
                    detail = e["msg"]
                errors.append({"parameter": name, "detail": detail})
    raise Problem(
        400,
        "invalid-query",
        "Invalid query parameters",
        "; ".join(f"{e['parameter']}: {e['detail']}" for e in errors),
        errors=errors,
    )


def takes(model: type[BaseModel]) -> Callable[[F], F]:
    """Declare the query parameters a route takes; the view gets them as `query=`."""

    def decorate(view: F) -> F:
        @wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            return view(*args, query=query_params(model), **kwargs)

        wrapper.query_model = model  # type: ignore[attr-defined]  # for tests and tools
        return wrapper  # type: ignore[return-value]

    return decorate


def known_ruleset(
    spec: str | None, known: Iterable[str], listed: Iterable[str] | None = None
) -> None:
    """422 `unknown-ruleset`, listing what exists (`listed`, else `known`), unless `spec`
    (ID or ID@VERSION) names one of the `known` refs (ID@VERSION)."""
    if spec is None:
        return
    refs = sorted(set(known))
    if spec in refs or spec in {ref.partition("@")[0] for ref in refs}:
        return
    what = f"ruleset {spec}" if "@" in spec else f"ruleset with id '{spec}'"
    raise UnknownRulesetError(f"no {what}", refs if listed is None else sorted(set(listed)))


def require_json() -> None:
    """415 unless the body is sent as application/json."""
    if request.mimetype != "application/json":
        raise Problem(
            415, "unsupported-media-type", "Send JSON", "Content-Type must be application/json"
        )
