"""The filters of `list_decisions` in SQL, so they run in the query, before paging.

Among them the outcome in force and the review status: `records.outcome_in_force` says
the same in Python, and a test keeps the two in step.
"""

from __future__ import annotations

from typing import Any

from .listing import day, moment_bound
from .records import REVIEW_STATUSES, STATUSES

# The outcome in force (records.outcome_in_force) in SQL, for filters that run before paging:
# the latest override's `eligible`, else the automated one (NULL: undetermined).
_IN_FORCE = (
    "COALESCE((SELECT r.eligible FROM reviews r WHERE r.decision_id = d.id"
    " AND r.verdict = 'override' ORDER BY r.seq DESC LIMIT 1), d.eligible)"
)
_REVIEWED = "EXISTS (SELECT 1 FROM reviews r WHERE r.decision_id = d.id)"
_REVIEW_STATUS_SQL = {
    "unreviewed": f"NOT {_REVIEWED}",
    "confirmed": f"{_REVIEWED} AND {_IN_FORCE} IS d.eligible",
    "overridden": f"{_REVIEWED} AND {_IN_FORCE} IS NOT d.eligible",
}
_OUTCOME_SQL = {
    "eligible": f"{_IN_FORCE} = 1",
    "not_eligible": f"{_IN_FORCE} = 0",
    "undetermined": f"{_IN_FORCE} IS NULL",
}
# No newer decision for the same family (among those submitted_by, when a caller sees only
# its own): the family index of migration 4 answers it.
_NEWEST = (
    "NOT EXISTS (SELECT 1 FROM decisions n WHERE n.family_ref = d.family_ref"
    " AND (n.created_at, n.id) > (d.created_at, d.id){mine})"
)


def _one_of(name: str, value: str, allowed: dict[str, str] | tuple[str, ...]) -> None:
    if value not in allowed:
        raise ValueError(f"{name} is one of {', '.join(allowed)}, not {value!r}")


def where_clauses(
    *,
    eligible: bool | None,
    status: str | None,
    headline: str | None,
    ruleset: str | None,
    review_status: str | None,
    outcome: str | None,
    family_ref: str | None,
    latest: bool,
    created_from: str | None,
    created_to: str | None,
    assessed_from: str | None,
    assessed_to: str | None,
    submitted_by: str | None,
    unrestricted: bool = False,
) -> tuple[list[str], list[Any]]:
    """The SQL conditions (on `decisions d`) and their arguments for list_decisions' filters;
    `unrestricted` leaves out every family under a restriction in force (Art. 18)."""
    where: list[str] = []
    args: list[Any] = []

    def add(condition: str, *values: Any) -> None:
        where.append(condition)
        args.extend(values)

    if eligible is not None:
        add("d.eligible = ?", int(eligible))
    if status is not None:
        _one_of("status", status, STATUSES)
        add("d.status = ?", status)
    if headline is not None:
        add("EXISTS (SELECT 1 FROM json_each(d.headlines_met) h WHERE h.value = ?)", headline)
    if ruleset is not None:
        ruleset_id, _, version = ruleset.partition("@")
        add("d.ruleset_id = ?", ruleset_id)
        if version:
            add("d.ruleset_version = ?", version)
    if review_status is not None:
        if review_status not in _REVIEW_STATUS_SQL:
            raise ValueError(
                f"unknown review_status {review_status!r}; one of: {', '.join(REVIEW_STATUSES)}"
            )
        add(_REVIEW_STATUS_SQL[review_status])
    if outcome is not None:
        _one_of("outcome", outcome, _OUTCOME_SQL)
        add(_OUTCOME_SQL[outcome])
    if family_ref is not None:
        add("d.family_ref = ?", family_ref)
    if latest:
        if submitted_by is None:
            add(_NEWEST.format(mine=""))
        else:
            add(_NEWEST.format(mine=" AND n.submitted_by = ?"), submitted_by)
    for value, name, upper in (
        (created_from, "created_from", False),
        (created_to, "created_to", True),
    ):
        if value is not None:
            op, moment = moment_bound(value, name, upper=upper)
            add(f"d.created_at {op} ?", moment)
    if assessed_from is not None:
        add("d.assessment_date >= ?", day(assessed_from, "assessed_from"))
    if assessed_to is not None:
        add("d.assessment_date <= ?", day(assessed_to, "assessed_to"))
    if submitted_by is not None:
        add("d.submitted_by = ?", submitted_by)
    if unrestricted:
        where.append(UNRESTRICTED)
    return where, args


# A row of `d` (decisions, progress or claims) whose family is under no restriction in force.
UNRESTRICTED = (
    "(d.family_ref IS NULL OR NOT EXISTS (SELECT 1 FROM restrictions r"
    " WHERE r.family_ref = d.family_ref AND r.lifted_at IS NULL))"
)

# The filters `where_clauses` takes, each None (or False) when not given.
FILTERS = (
    "eligible",
    "status",
    "headline",
    "ruleset",
    "review_status",
    "outcome",
    "family_ref",
    "latest",
    "created_from",
    "created_to",
    "assessed_from",
    "assessed_to",
    "submitted_by",
    "unrestricted",
)


def filter_clauses(filters: dict[str, Any]) -> tuple[list[str], list[Any]]:
    """`where_clauses` for the filters given by name (the rest not given); ValueError names
    a filter that does not exist."""
    unknown = sorted(set(filters) - set(FILTERS))
    if unknown:
        raise ValueError(f"unknown filter {', '.join(unknown)}; one of: {', '.join(FILTERS)}")
    given = {name: filters.get(name) for name in FILTERS}
    given["latest"] = bool(given["latest"])
    given["unrestricted"] = bool(given["unrestricted"])
    return where_clauses(**given)


# The filters a list is counted by, value by value: each value's SQL expression on `d`, and
# for a headline, the join that gives one row per headline met (`hm`).
COUNTED = {
    "outcome": (
        f"CASE {_IN_FORCE} WHEN 1 THEN 'eligible' WHEN 0 THEN 'not_eligible'"
        " ELSE 'undetermined' END",
        "",
    ),
    "status": ("d.status", ""),
    "headline": ("hm.value", ", json_each(d.headlines_met) hm"),
    "review_status": (
        f"CASE WHEN NOT {_REVIEWED} THEN 'unreviewed'"
        f" WHEN {_IN_FORCE} IS d.eligible THEN 'confirmed' ELSE 'overridden' END",
        "",
    ),
    "ruleset": ("d.ruleset_id || '@' || d.ruleset_version", ""),
}


def counts_query(filters: dict[str, Any]) -> tuple[str, list[Any]]:
    """One query giving rows (counted, value, n): for each filter of `COUNTED`, how many
    decisions the *other* filters leave with each value of it (so a person sees what choosing
    that value would give), and a row ("total", NULL, n) for all the filters together."""
    parts: list[str] = []
    args: list[Any] = []

    def add(name: str, value: str, join: str, given: dict[str, Any]) -> None:
        where, values = filter_clauses(given)
        clause = f" WHERE {' AND '.join(where)}" if where else ""
        group = " GROUP BY value" if name != "total" else ""
        parts.append(
            f"SELECT '{name}' AS counted, {value} AS value, count(*) AS n"
            f" FROM decisions d{join}{clause}{group}"
        )
        args.extend(values)

    add("total", "NULL", "", filters)
    for name, (value, join) in COUNTED.items():
        add(name, value, join, {k: v for k, v in filters.items() if k != name})
    return " UNION ALL ".join(parts), args
