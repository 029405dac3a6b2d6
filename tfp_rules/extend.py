"""Local rulesets: a council's file laid over the national ruleset it extends.

A local file (`schemas/local-ruleset.schema.json`) names the version it `extends` and may
override the values of named parameters, add local parameters, add local indicators under a
headline (`origin: local`) and give the council's own school-term dates. It is laid over the
base's document and the whole is checked as one ruleset, so local rules compile, evaluate and
explain exactly as national ones do; every problem names the local file, line and field.
"""

from __future__ import annotations

import copy
import dataclasses
import datetime as dt
import json
from collections.abc import Mapping
from functools import cache
from typing import Any

import jsonschema
from referencing import Registry, Resource

from .conditions import ConditionParser
from .errors import RulesetError, RulesetProblem, suggest
from .outcomes.plan import parse_plan
from .ruleset import (
    PROJECT_ROOT,
    SCHEMA_PATH,
    FieldPath,
    Ruleset,
    _LineMap,
    build_checked,
    check_schema,
    dotted,
    read_yaml,
    split_parameters,
)

LOCAL_SCHEMA_PATH = PROJECT_ROOT / "schemas" / "local-ruleset.schema.json"
# What the local file gives that replaces the base's outright.
_OWN_FIELDS = ("ruleset", "version", "effective_from", "description", "sources")


@cache
def _local_validator() -> jsonschema.Draft202012Validator:
    national = json.loads(SCHEMA_PATH.read_text())
    registry = Registry().with_resource(national["$id"], Resource.from_contents(national))
    schema = json.loads(LOCAL_SCHEMA_PATH.read_text())
    return jsonschema.Draft202012Validator(
        schema, registry=registry, format_checker=jsonschema.FormatChecker()
    )


def is_local(data: Mapping[str, Any]) -> bool:
    """Whether a ruleset document is a local one (it extends another)."""
    return "extends" in data


def extend(
    raw_bytes: bytes,
    display: str,
    bases: Mapping[str, Ruleset],
    local_refs: frozenset[str] = frozenset(),
    read: tuple[dict, _LineMap, list[RulesetProblem]] | None = None,
) -> Ruleset:
    """The local ruleset in `raw_bytes` laid over the one it extends, found in `bases` (by
    ID@VERSION); raises RulesetError listing every problem, each in the local file.
    `local_refs` are other local rulesets, named if this one tries to extend one; `read` is
    the file as `read_yaml` read it, if it already was."""
    data, lines, problems = read or read_yaml(raw_bytes, display)
    check_schema(_local_validator(), data, lines, display, problems)

    def report(path: FieldPath, message: str, *, key: bool = False) -> None:
        problems.append(RulesetProblem(display, lines.line(path, key=key), dotted(path), message))

    base = _base(data.get("extends"), bases, local_refs, report)
    if base is None or problems:
        raise RulesetError(problems)
    merged, origins = _lay_over(base, data, report)
    effective_from = dt.date.fromisoformat(str(data["effective_from"]))
    if effective_from < base.effective_from:
        report(
            ("effective_from",),
            f"takes effect on {effective_from.isoformat()}, before {base.ref} does "
            f"({base.effective_from.isoformat()}): a local version cannot be in force "
            "before the rules it builds on",
        )
    located = _Translated(lines, origins)

    def report_merged(path: FieldPath, message: str, *, key: bool = False) -> None:
        problems.append(
            RulesetProblem(
                display, located.line(path, key=key), dotted(located.local(path)), message
            )
        )

    ruleset = build_checked(merged, display, raw_bytes, located, problems, report=report_merged)
    plan = None
    if "outcome_plan" in data:
        plan = _plan(ruleset, data["outcome_plan"], lines, report)
        if plan is None or problems:
            raise RulesetError(problems)
    overrides = tuple(sorted((data.get("overrides") or {}).keys()))
    # The whole rules as data (what a policy officer reads back), with the local file's own
    # sections beside them: what it extends, whose, what it overrides, its outcome plan.
    document = merged | {
        k: data[k] for k in ("extends", "council", "overrides", "outcome_plan") if k in data
    }
    return dataclasses.replace(
        ruleset,
        document=document,
        extends=base,
        council=str(data["council"]),
        overrides=overrides,
        outcome_plan=plan,
    )


def _plan(ruleset: Ruleset, raw: dict[str, Any], lines: _LineMap, report: Any) -> Any:
    """The outcome plan, its conditions read with the merged parameters (None if wrong)."""
    values, lists = split_parameters(ruleset.parameters)
    parser = ConditionParser(values, report, lists, progress=True)
    return parse_plan(
        raw,
        parser,
        report,
        lambda path: (lines.line(path, key=True), dotted(path)),
        [h.id for h in ruleset.headlines],
        [i.id for i in ruleset.indicators],
    )


def _base(
    ref: Any, bases: Mapping[str, Ruleset], local_refs: frozenset[str], report: Any
) -> Ruleset | None:
    """The ruleset `extends` names, if it is loaded and is not itself a local one."""
    if not isinstance(ref, str):
        return None  # the schema has reported it
    base = bases.get(ref)
    if ref in local_refs or (base is not None and base.extends is not None):
        report(
            ("extends",),
            f"extends {ref}, which is itself a local ruleset: a local ruleset extends a "
            "national one",
        )
        return None
    if base is None:
        known = sorted(bases)
        listed = ", ".join(known) if known else "none"
        report(
            ("extends",),
            f"extends {ref}, which does not exist{suggest(ref, known)} (loaded: {listed})",
        )
        return None
    return base


def _lay_over(
    base: Ruleset, data: dict[str, Any], report: Any
) -> tuple[dict[str, Any], dict[FieldPath, FieldPath]]:
    """The base's document with the local file's choices laid over it, and where each part
    of it that came from the local file is in that file (merged path -> local path)."""
    merged = copy.deepcopy(base.document)
    origins: dict[FieldPath, FieldPath] = {}
    for key in _OWN_FIELDS:
        merged[key] = data[key]
        origins[(key,)] = (key,)
    parameters = merged["parameters"]
    for name, spec in (data.get("overrides") or {}).items():
        at: FieldPath = ("overrides", name)
        if name not in parameters:
            report(
                at,
                f"overrides parameter '{name}', which {base.ref} does not have"
                f"{suggest(name, parameters)}",
                key=True,
            )
            continue
        national = parameters[name]["value"]
        if isinstance(national, list) != isinstance(spec["value"], list):
            kind = "a list of names" if isinstance(national, list) else "a number"
            report((*at, "value"), f"{base.ref} gives '{name}' as {kind}; so must an override")
            continue
        # an override answers for its own value: the national review date is not the council's
        parameters[name] = {
            **{k: v for k, v in parameters[name].items() if k != "review_by"},
            **{k: spec[k] for k in ("value", "source", "review_by") if k in spec},
        }
        origins[("parameters", name)] = at
    for name, spec in (data.get("parameters") or {}).items():
        if name in parameters:
            report(
                ("parameters", name),
                f"'{name}' is a parameter of {base.ref}: to change its value, put it under "
                "overrides",
                key=True,
            )
            continue
        parameters[name] = spec
        origins[("parameters", name)] = ("parameters", name)
    if "school_terms" in data:
        merged["school_terms"] = data["school_terms"]
        origins[("school_terms",)] = ("school_terms",)
    _add_indicators(base, data.get("indicators") or [], merged, origins, report)
    return merged, origins


def _add_indicators(
    base: Ruleset,
    indicators: list[dict[str, Any]],
    merged: dict[str, Any],
    origins: dict[FieldPath, FieldPath],
    report: Any,
) -> None:
    """Each local indicator appended to its headline as `origin: local`; an id the base
    has, or another local indicator has, is refused."""
    headlines = {h["id"]: i for i, h in enumerate(merged["headlines"])}
    taken = {ind.id: f"an indicator of {base.ref}" for ind in base.indicators}
    for j, indicator in enumerate(indicators):
        iid, hid = indicator["id"], indicator["headline"]
        if iid in taken:
            report(
                ("indicators", j, "id"),
                f"indicator id '{iid}' is already {taken[iid]}: a local indicator needs an id "
                "of its own",
            )
            continue
        taken[iid] = f"local indicator indicators[{j}]"
        if hid not in headlines:
            report(("indicators", j, "headline"), f"{base.ref} has no headline {hid}")
            continue
        listed = merged["headlines"][headlines[hid]]["indicators"]
        origins[("headlines", headlines[hid], "indicators", len(listed))] = ("indicators", j)
        listed.append({k: v for k, v in indicator.items() if k != "headline"} | {"origin": "local"})


class _Translated(_LineMap):
    """Lines of the merged document, read from the local file: a part laid over from it is
    found where it is written there; a part the base gave, at the local file's `extends`."""

    def __init__(self, local: _LineMap, origins: dict[FieldPath, FieldPath]) -> None:
        super().__init__()
        self.values, self.keys = local.values, local.keys
        self._local, self._origins = local, origins

    def local(self, path: FieldPath) -> FieldPath:
        for size in range(len(path), 0, -1):
            if path[:size] in self._origins:
                return (*self._origins[path[:size]], *path[size:])
        return ("extends",)

    def line(self, path: FieldPath, *, key: bool = False) -> int:
        return self._local.line(self.local(path), key=key)
