"""The compact trace: a decision's trace with what is the same for every family left out,
and put back exactly.

Most of a trace is static: indicator names, measure descriptions, comparators, thresholds,
parameters, which are the same for every family judged by the same ruleset version. A
`TraceTemplate`, built once per compiled ruleset, holds those parts; `compact` keeps only
what varies per family (statuses, values, evidence, windows, reach) and `expand` rebuilds
the full decision from the two, equal to the original down to its key order, so its JSON
text and its plain-English rendering are the same.

Conservative by construction: a node is compacted only when every part left out is the
template's (type-exact, key order included) and every part recomputed on expansion (a
combinator's `met`, an indicator's `met_by`) is what the node says; anything else is kept
as it is, in full. A decision whose trace is already full passes through `expand`
unchanged, so decisions stored before the compact trace still read.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import orjson

from .compile import CompiledRuleset
from .errors import TraceTemplateError
from .evaluate import no_member_note
from .trace import skeleton

TRACE_FORMAT = "compact/1"
TEMPLATE_FORMAT = "template/1"
_LEAF_KEYS = (
    "met",
    "measure",
    "detail",
    "value",
    "comparator",
    "threshold",
    "parameters",
    "evidence",
    "measured",
)
_INDICATOR_KEYS = (
    "id",
    "name",
    "origin",
    "applies_to",
    "data_sources",
    "status",
    "met",
    "met_by",
    "subjects",
)
_INDICATOR_STATIC = ("name", "origin", "applies_to", "data_sources")
_FAMILY_KEYS = ("name", "source", "data_sources", "status", "met", "met_by", "subjects")
_FAMILY_STATIC = ("name", "source", "data_sources")
_HEADLINE_KEYS = ("id", "name", "status", "met", "indicators_met", "indicators")


@dataclass(frozen=True)
class TraceTemplate:
    """The static parts of every trace one ruleset version writes, and their content hash
    (sha256 of the canonical JSON), by which a compact decision names its template."""

    sha256: str
    body: dict[str, Any]
    # per comparison shape (by id: the body is never changed), what checking and rebuilding
    # its nodes needs, worked out once (`_plan`)
    _plans: dict[int, _Plan] = field(default_factory=dict, compare=False, repr=False)

    def plan(self, shape: Mapping[str, Any]) -> _Plan:
        """What compacting and expanding a comparison node of `shape` needs."""
        found = self._plans.get(id(shape))
        if found is None:
            found = self._plans[id(shape)] = _Plan.of(shape)
        return found

    @classmethod
    def of(cls, body: Mapping[str, Any]) -> TraceTemplate:
        """A template from its body, hashed; the body as JSON reads it back (key order kept:
        an expanded node's keys come in the template's order), so a template built here and
        one read from a store are the same."""
        kept = json.loads(json.dumps(body, ensure_ascii=False))
        digest = hashlib.sha256(canonical(kept).encode("utf-8")).hexdigest()
        return cls(digest, kept)

    @classmethod
    def from_json(cls, text: str) -> TraceTemplate:
        """A stored template (`to_json`'s text); TraceTemplateError if it is not one."""
        try:
            body = json.loads(text)
        except ValueError as exc:
            raise TraceTemplateError(f"a trace template is not JSON: {exc}") from exc
        if not isinstance(body, dict) or body.get("template_format") != TEMPLATE_FORMAT:
            raise TraceTemplateError(f"not a trace template of format {TEMPLATE_FORMAT!r}")
        return cls.of(body)

    def to_json(self) -> str:
        """The template as stored: its keys in order (the hash reads it canonically, keys
        sorted, so the hash does not depend on how it was written)."""
        return json.dumps(self.body, ensure_ascii=False, separators=(",", ":"))


@dataclass(frozen=True)
class _Plan:
    """One comparison shape's static parts as JSON text, to check a node against (one
    encoding, not a walk) and to copy for each node rebuilt (one decoding)."""

    keys: tuple[tuple[str, ...], tuple[str, ...]]  # a node's keys, without and with could_be
    static: bytes  # [measure, comparator, threshold, parameters, unit, measured data's values]
    data_keys: list[str]
    fresh: bytes  # [measure, comparator, threshold, parameters, measured data]
    unit: str | None

    @classmethod
    def of(cls, shape: Mapping[str, Any]) -> _Plan:
        unit = shape.get("unit")
        expected = _LEAF_KEYS + (("unit",) if "unit" in shape else ())
        data = shape["measured"]
        return cls(
            keys=(expected, (*expected, "could_be")),
            static=_text(
                [
                    shape["measure"],
                    shape["comparator"],
                    shape["threshold"],
                    shape["parameters"],
                    unit,
                    list(data.values()),
                ]
            ),
            data_keys=list(data),
            fresh=_text(
                [
                    shape["measure"],
                    shape["comparator"],
                    shape["threshold"],
                    shape["parameters"],
                    data,
                ]
            ),
            unit=unit,
        )


def canonical(value: Any) -> str:
    """Canonical JSON: sorted keys, no whitespace, UTF-8 (what the template hash reads)."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


_TEMPLATES: dict[int, tuple[CompiledRuleset, TraceTemplate]] = {}


def template_for(compiled: CompiledRuleset) -> TraceTemplate:
    """The trace template of a compiled ruleset, built once per compiled ruleset."""
    cached = _TEMPLATES.get(id(compiled))
    if cached is None or cached[0] is not compiled:
        cached = (compiled, TraceTemplate.of(_template_body(compiled)))
        _TEMPLATES[id(compiled)] = cached
    return cached[1]


def _template_body(compiled: CompiledRuleset) -> dict[str, Any]:
    ruleset = compiled.ruleset
    assert ruleset.family is not None
    rule = ruleset.family
    return {
        "template_format": TEMPLATE_FORMAT,
        "ruleset": ruleset.identity(),
        "family": {
            "name": rule.name,
            "source": rule.source,
            "data_sources": list(rule.data_sources),
            "condition": skeleton(rule.when),
        },
        "headlines": [
            {
                "id": h.id,
                "name": h.name,
                "indicators": [
                    {
                        "id": i.id,
                        "name": i.name,
                        "origin": i.origin,
                        "applies_to": i.applies_to,
                        "data_sources": list(i.data_sources),
                        "note": no_member_note(i.applies_to),
                        "condition": skeleton(i.when),
                    }
                    for i in h.indicators
                ],
            }
            for h in ruleset.headlines
        ],
    }


def is_compact(decision: Mapping[str, Any]) -> bool:
    """Whether a decision carries a compact trace (else a full one, or none once erased)."""
    trace = decision.get("trace")
    return isinstance(trace, Mapping) and trace.get("trace_format") == TRACE_FORMAT


def template_of(decision: Mapping[str, Any]) -> str | None:
    """The hash of the template a compact decision needs (None for a full one)."""
    return decision["trace"]["template"] if is_compact(decision) else None


# --------------------------------------------------------------------------- compacting


def _same(a: Any, b: Any) -> bool:
    """Equal as JSON text would be: same types (1 is not 1.0 nor True), same key order."""
    if type(a) is not type(b):
        return False
    if isinstance(a, dict):
        return list(a) == list(b) and all(_same(v, b[k]) for k, v in a.items())
    if isinstance(a, list):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))
    return bool(a == b)


class _Keep(Exception):
    """This node cannot be compacted exactly: keep it in full."""


class _Shared:
    """Values many comparisons of one decision repeat (a window and its wording, the
    records behind a measure), each kept once and named by its index; and the template
    compacted against."""

    def __init__(self, template: TraceTemplate) -> None:
        self.template = template
        self.contexts: list[list[Any]] = []
        self.evidence: list[Any] = []
        self._index: dict[tuple[int, bytes], int] = {}

    def ref(self, table: int, value: Any) -> int:
        # the JSON text tells 1 from 1.0 and True, and keeps key order: equal text, same value
        key = (table, _text(value))
        at = self._index.get(key)
        if at is None:
            values = self.contexts if table == 0 else self.evidence
            at = self._index[key] = len(values)
            values.append(value)
        return at


def _text(value: Any) -> bytes:
    try:
        return orjson.dumps(value)
    except (orjson.JSONEncodeError, TypeError):
        return json.dumps(value).encode()


def _leaves(node: Any, shape: Mapping[str, Any], out: list[list[Any]], shared: _Shared) -> bool:
    """Append the per-family parts of every comparison under `node` (in tree order) to
    `out`, checking that everything else is `shape`'s (equal as JSON text: NaN, which
    JSON has not, never reaches a trace); returns the node's `met`."""
    if not isinstance(node, dict):
        raise _Keep
    if "comparator" in shape:
        plan = shared.template.plan(shape)
        if tuple(node) not in plan.keys:
            raise _Keep
        measured, data = node["measured"], plan.data_keys
        if not isinstance(measured, dict) or list(measured)[: len(data)] != data:
            raise _Keep
        static = [
            node["measure"],
            node["comparator"],
            node["threshold"],
            node["parameters"],
            node.get("unit"),
            [measured[k] for k in data],
        ]
        if _text(static) != plan.static:
            raise _Keep
        parts = dict(list(measured.items())[len(data) :])
        if type(node["met"]) is not bool:
            raise _Keep
        context = shared.ref(0, [node["detail"], parts])
        leaf = [node["met"], node["value"], context, shared.ref(1, node["evidence"])]
        if "could_be" in node:
            leaf.append(node["could_be"])
        out.append(leaf)
        return node["met"]
    (key,) = shape
    if list(node) != ["met", key]:
        raise _Keep
    if key == "not":
        met = not _leaves(node["not"], shape["not"], out, shared)
    else:
        items, shapes = node[key], shape[key]
        if not isinstance(items, list) or len(items) != len(shapes):
            raise _Keep
        held = [_leaves(i, s, out, shared) for i, s in zip(items, shapes, strict=True)]
        met = all(held) if key == "all" else any(held)
    if node["met"] is not met:
        raise _Keep
    return met


def _compact_condition(node: Any, shape: Mapping[str, Any], shared: _Shared) -> Any:
    """A condition node as the list of its comparisons' per-family parts, or itself."""
    out: list[list[Any]] = []
    try:
        _leaves(node, shape, out, shared)
    except _Keep:
        return node
    return out


def _compact_subjects(results: Any, shape: Mapping[str, Any], shared: _Shared) -> list[Any]:
    """Each subject's result with its condition compacted, and without `met` where it is
    what its status says (always, as evaluate writes it)."""
    if not isinstance(results, list):
        raise _Keep
    out = []
    for r in results:
        if not isinstance(r, dict) or type(r.get("met")) is not bool or "subject" not in r:
            raise _Keep
        if "condition" in r:
            r = {**r, "condition": _compact_condition(r["condition"], shape, shared)}
        if list(r)[:3] == ["subject", "status", "met"] and r["met"] is (r["status"] == "met"):
            r = {k: v for k, v in r.items() if k != "met"}
            if list(r) == ["subject", "status", "condition"]:
                r = [r["subject"], r["status"], r["condition"]]  # the common case, positional
        out.append(r)
    return out


def _met_by(results: list[dict[str, Any]]) -> list[Any]:
    return [r["subject"] for r in results if r["met"]]


def _compact_group(
    node: Any,
    tmpl: Mapping[str, Any],
    keys: tuple[str, ...],
    static: tuple[str, ...],
    shared: _Shared,
) -> dict[str, Any]:
    """An indicator or the family rule: status, subjects (and missing sources) kept; the
    rest checked against the template and `met_by` against the subjects."""
    if not isinstance(node, dict):
        raise _Keep
    extra = [k for k in node if k not in keys]
    if list(node)[: len(keys)] != list(keys) or not set(extra) <= {"missing_sources", "note"}:
        raise _Keep
    for key in static:
        if not _same(node[key], tmpl[key]):
            raise _Keep
    if node["met"] is not (node["status"] == "met"):
        raise _Keep
    subjects = node["subjects"]
    if not isinstance(subjects, list) or any(not isinstance(r, dict) for r in subjects):
        raise _Keep
    if not _same(node["met_by"], _met_by(subjects)):
        raise _Keep
    if "note" in node and (subjects or not _same(node["note"], tmpl.get("note"))):
        raise _Keep
    if "note" not in node and not subjects and "note" in tmpl:
        raise _Keep
    if extra != [k for k in ("missing_sources", "note") if k in node]:
        raise _Keep
    out = {
        "status": node["status"],
        "subjects": _compact_subjects(subjects, tmpl["condition"], shared),
    }
    if "missing_sources" in node:
        out["missing_sources"] = node["missing_sources"]
    return out


def _compact_headline(node: Any, tmpl: Mapping[str, Any], shared: _Shared) -> Any:
    """A headline as its status and compact indicators, or itself in full."""
    try:
        if not isinstance(node, dict) or list(node) != list(_HEADLINE_KEYS):
            raise _Keep
        if not _same(node["id"], tmpl["id"]) or not _same(node["name"], tmpl["name"]):
            raise _Keep
        indicators = node["indicators"]
        if not isinstance(indicators, list) or len(indicators) != len(tmpl["indicators"]):
            raise _Keep
        if node["met"] is not (node["status"] == "met"):
            raise _Keep
        if any(not isinstance(i, dict) or "met" not in i for i in indicators):
            raise _Keep
        if not _same(node["indicators_met"], [i.get("id") for i in indicators if i["met"]]):
            raise _Keep
        for i, t in zip(indicators, tmpl["indicators"], strict=True):
            if not _same(i.get("id"), t["id"]):
                raise _Keep
        compacted = []
        for i, t in zip(indicators, tmpl["indicators"], strict=True):
            try:
                compacted.append(_compact_group(i, t, _INDICATOR_KEYS, _INDICATOR_STATIC, shared))
            except _Keep:
                compacted.append(i)
        return {"status": node["status"], "indicators": compacted}
    except _Keep:
        return node


def compact(decision: Mapping[str, Any], template: TraceTemplate) -> dict[str, Any]:
    """The decision with its trace compacted against `template`; `expand` with the same
    template gives it back exactly. A decision of another ruleset, or one whose trace
    does not have the shape the template expects, is returned as it is (full)."""
    trace = decision.get("trace")
    body = template.body
    if (
        not isinstance(trace, dict)
        or is_compact(decision)
        or not _same(decision.get("ruleset"), body["ruleset"])
        or not isinstance(trace.get("headlines"), list)
        or len(trace["headlines"]) != len(body["headlines"])
        or "trace_format" in trace
        or "template" in trace
        or "shared" in trace
    ):
        return dict(decision)
    shared = _Shared(template)
    out: dict[str, Any] = {"trace_format": TRACE_FORMAT, "template": template.sha256}
    for key, value in trace.items():
        if key == "family":
            fam = body["family"]
            with contextlib.suppress(_Keep):  # kept in full
                value = _compact_group(value, fam, _FAMILY_KEYS, _FAMILY_STATIC, shared)
        elif key == "headlines":
            value = [
                _compact_headline(h, t, shared)
                for h, t in zip(value, body["headlines"], strict=True)
            ]
        out[key] = value
    out["shared"] = {"contexts": shared.contexts, "evidence": shared.evidence}
    return {**decision, "trace": out}


# --------------------------------------------------------------------------- expanding


@dataclass(frozen=True)
class _Expanding:
    """What expanding one decision reads: its template and its shared values."""

    template: TraceTemplate
    contexts: list[list[Any]]
    evidence: list[list[str]]


def _fresh(value: Any) -> Any:
    """A copy of a template part, so a caller changing an expanded decision cannot change
    the template (shared by every decision of its ruleset)."""
    if isinstance(value, dict):
        return {k: _fresh(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_fresh(v) for v in value]
    return value


def _grow(shape: Mapping[str, Any], leaves: list[list[Any]], at: list[int], ex: _Expanding) -> Any:
    """The full condition node for `shape`, taking its comparisons' parts from `leaves`."""
    if "comparator" in shape:
        leaf = leaves[at[0]]
        at[0] += 1
        plan = ex.template.plan(shape)
        # a fresh copy of the template's parts: a caller may change what it is given
        measure, comparator, threshold, parameters, data = orjson.loads(plan.fresh)
        detail, parts = ex.contexts[leaf[2]]
        data.update(parts)
        node = {
            "met": leaf[0],
            "measure": measure,
            "detail": detail,
            "value": leaf[1],
            "comparator": comparator,
            "threshold": threshold,
            "parameters": parameters,
            "evidence": list(ex.evidence[leaf[3]]),
            "measured": data,
        }
        if plan.unit is not None:
            node["unit"] = plan.unit
        if len(leaf) > 4:
            node["could_be"] = leaf[4]
        return node
    (key,) = shape
    if key == "not":
        inner = _grow(shape["not"], leaves, at, ex)
        return {"met": not inner["met"], "not": inner}
    items = [_grow(s, leaves, at, ex) for s in shape[key]]
    held = [i["met"] for i in items]
    return {"met": all(held) if key == "all" else any(held), key: items}


def _expand_condition(node: Any, shape: Mapping[str, Any], ex: _Expanding) -> Any:
    if not isinstance(node, list):
        return node
    at = [0]
    full = _grow(shape, node, at, ex)
    if at[0] != len(node):
        raise TraceTemplateError(
            f"a compact condition has {len(node)} comparisons, its template {at[0]}"
        )
    return full


def _expand_subject(r: Any, shape: Mapping[str, Any], ex: _Expanding) -> dict[str, Any]:
    if isinstance(r, list):
        subject, status, condition = r
        out = {"subject": subject, "status": status, "met": status == "met"}
        out["condition"] = _expand_condition(condition, shape, ex)
        return out
    if "met" in r:
        out = dict(r)
    else:
        out = {"subject": r["subject"], "status": r["status"], "met": r["status"] == "met"}
        out.update(r)
    if "condition" in out:
        out["condition"] = _expand_condition(out["condition"], shape, ex)
    return out


def _expand_group(
    node: dict[str, Any], tmpl: Mapping[str, Any], head: dict[str, Any], ex: _Expanding
) -> dict[str, Any]:
    subjects = [_expand_subject(r, tmpl["condition"], ex) for r in node["subjects"]]
    out = {
        **head,
        "status": node["status"],
        "met": node["status"] == "met",
        "met_by": _met_by(subjects),
        "subjects": subjects,
    }
    if "missing_sources" in node:
        out["missing_sources"] = node["missing_sources"]
    return out


def _expand_indicator(
    node: dict[str, Any], tmpl: Mapping[str, Any], ex: _Expanding
) -> dict[str, Any]:
    if "id" in node:
        return node  # kept in full
    head = {"id": tmpl["id"], **{k: _fresh(tmpl[k]) for k in _INDICATOR_STATIC}}
    out = _expand_group(node, tmpl, head, ex)
    if not out["subjects"]:
        out["note"] = tmpl["note"]
    return out


def _expand_headline(
    node: dict[str, Any], tmpl: Mapping[str, Any], ex: _Expanding
) -> dict[str, Any]:
    if "id" in node:
        return node  # kept in full
    indicators = [
        _expand_indicator(i, t, ex)
        for i, t in zip(node["indicators"], tmpl["indicators"], strict=True)
    ]
    return {
        "id": tmpl["id"],
        "name": tmpl["name"],
        "status": node["status"],
        "met": node["status"] == "met",
        "indicators_met": [i["id"] for i in indicators if i["met"]],
        "indicators": indicators,
    }


def expand(decision: Mapping[str, Any], template: TraceTemplate) -> dict[str, Any]:
    """The full decision a compact one was made from (a full decision is returned as it
    is); TraceTemplateError if `template` is not the one it names."""
    if not is_compact(decision):
        return dict(decision)
    trace = decision["trace"]
    if trace["template"] != template.sha256:
        raise TraceTemplateError(
            f"this decision's trace needs template {trace['template']}, not {template.sha256}"
        )
    body = template.body
    ex = _Expanding(template, trace["shared"]["contexts"], trace["shared"]["evidence"])
    out: dict[str, Any] = {}
    for key, value in trace.items():
        if key in ("trace_format", "template", "shared"):
            continue
        if key == "family" and isinstance(value, dict) and "name" not in value:
            fam = body["family"]
            head = {k: _fresh(fam[k]) for k in _FAMILY_STATIC}
            value = _expand_group(value, fam, head, ex)
        elif key == "headlines":
            value = [
                _expand_headline(h, t, ex) for h, t in zip(value, body["headlines"], strict=True)
            ]
        out[key] = value
    return {**decision, "trace": out}
