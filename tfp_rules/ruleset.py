"""Load ruleset YAML files, check them against `schemas/ruleset.schema.json` and their own
cross-references, and pick the version in force on a date.

Every mistake is reported with file, line and field, all at once, so a policy
officer can fix a file in one pass.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

import jsonschema
import yaml

from .conditions import Condition, ConditionParser
from .errors import RulesetError, RulesetProblem, suggest
from .terms import CENSUS_CALENDAR, TermCalendar

if TYPE_CHECKING:
    from .outcomes.plan import OutcomePlan

PROJECT_ROOT = Path(__file__).resolve().parent.parent
SCHEMA_PATH = PROJECT_ROOT / "schemas" / "ruleset.schema.json"
DEFAULT_RULESETS_DIR = PROJECT_ROOT / "rulesets"
DEFAULT_RULESET_ID = "national"

FieldPath = tuple[str | int, ...]


@dataclass(frozen=True)
class Parameter:
    """A named, sourced value: a number (threshold, window, age) or a list of names."""

    name: str
    value: float | int | tuple[str, ...]
    description: str
    source: str
    unit: str | None = None
    review_by: dt.date | None = None  # when its value must next be checked against its source


@dataclass(frozen=True)
class Indicator:
    id: str
    headline: str
    name: str
    applies_to: str
    origin: str
    source: str
    when: Condition
    data_sources: tuple[str, ...] = ()
    line: int = 0  # where its `when` is in the file
    field: str = ""  # e.g. headlines[1].indicators[0].when


@dataclass(frozen=True)
class FamilyRule:
    """Who counts as a family: a household where some member meets `when`."""

    name: str
    source: str
    data_sources: tuple[str, ...]
    when: Condition
    line: int = 0
    field: str = "family.when"


@dataclass(frozen=True)
class Headline:
    id: str
    name: str
    indicators: tuple[Indicator, ...]


@dataclass(frozen=True)
class Ruleset:
    """One version of a ruleset, fully checked; immutable once loaded."""

    id: str
    version: str
    effective_from: dt.date
    description: str
    sources: tuple[str, ...]
    parameters: dict[str, Parameter]
    headlines_required: int
    headlines_required_param: str | None
    headlines: tuple[Headline, ...]
    path: str
    sha256: str = field(repr=False)
    family: FamilyRule | None = None  # None only while a file is being checked
    terms: TermCalendar = CENSUS_CALENDAR
    # Line of each top-level field in the file, for problems found across files.
    lines: dict[str, int] = field(default_factory=dict, repr=False, compare=False)
    # The file's content as plain data (YAML dates as ISO text), for showing the rules as written.
    document: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)
    # A local ruleset: the ruleset it extends, its council, and the parameters it overrides.
    extends: Ruleset | None = field(default=None, repr=False, compare=False)
    council: str = ""
    overrides: tuple[str, ...] = ()
    outcome_plan: OutcomePlan | None = field(default=None, repr=False, compare=False)

    @property
    def ref(self) -> str:
        """`id@version`, the form used on the command line and in the API."""
        return f"{self.id}@{self.version}"

    @property
    def indicators(self) -> Iterator[Indicator]:
        for headline in self.headlines:
            yield from headline.indicators

    def indicator(self, indicator_id: str) -> Indicator | None:
        return next((i for i in self.indicators if i.id == indicator_id), None)

    def identity(self) -> dict[str, Any]:
        """What a decision records about the rules that made it: for a local ruleset, the
        version and hash of the ruleset it extends too."""
        out: dict[str, Any] = {"id": self.id, "version": self.version, "sha256": self.sha256}
        if self.extends is not None:
            out["extends"] = self.extends.identity()
        return out


# --------------------------------------------------------------------------- YAML with lines


class _LineMap:
    """Line numbers (1-based) of every value and mapping key, by field path."""

    def __init__(self) -> None:
        self.values: dict[FieldPath, int] = {}
        self.keys: dict[FieldPath, int] = {}

    def line(self, path: FieldPath, *, key: bool = False) -> int:
        """The line of `path`, falling back to its nearest located ancestor."""
        if key and path in self.keys:
            return self.keys[path]
        while path:
            if path in self.values:
                return self.values[path]
            path = path[:-1]
        return self.values.get((), 1)


def _construct(node: yaml.Node, path: FieldPath, lines: _LineMap, problems: list) -> Any:
    """Build plain Python data from a composed YAML node, recording lines and duplicate keys."""
    lines.values[path] = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        out: dict[str, Any] = {}
        for key_node, value_node in node.value:
            key = (
                yaml.safe_load(yaml.serialize(key_node))
                if not isinstance(key_node, yaml.ScalarNode)
                else key_node.value
            )
            key = str(key)
            line = key_node.start_mark.line + 1
            if key in out:
                problems.append(((*path, key), line, f"'{key}' appears twice in the same block"))
                continue
            lines.keys[(*path, key)] = line
            out[key] = _construct(value_node, (*path, key), lines, problems)
        return out
    if isinstance(node, yaml.SequenceNode):
        return [_construct(item, (*path, i), lines, problems) for i, item in enumerate(node.value)]
    try:
        value = yaml.safe_load(yaml.serialize(node))
    except (yaml.YAMLError, ValueError):
        value = node.value  # e.g. 2020-02-30 looks like a date but is none: the schema says so
    # YAML reads 2015-04-01 as a date; the schema speaks JSON, so keep dates as ISO text.
    return value.isoformat() if isinstance(value, dt.date) else value


def dotted(path: FieldPath) -> str:
    """A field path as a policy officer reads it: headlines[1].indicators[0].when."""
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


@cache
def _schema_validator() -> jsonschema.Draft202012Validator:
    schema = json.loads(SCHEMA_PATH.read_text())
    return jsonschema.Draft202012Validator(schema, format_checker=jsonschema.FormatChecker())


def _schema_message(error: jsonschema.ValidationError) -> tuple[FieldPath, str, bool]:
    """A policy-officer sentence for a schema error: (path, message, points at a key)."""
    path = tuple(error.absolute_path)
    v = error.validator
    if v == "additionalProperties":
        allowed = list(error.schema.get("properties", {}))
        extra = sorted(set(error.instance) - set(allowed))
        key = extra[0] if extra else ""
        return (*path, key), f"unknown field '{key}'{suggest(key, allowed)}", True
    if v == "required":
        missing = error.message.split("'")[1] if "'" in error.message else error.message
        return path, f"missing required field '{missing}'", False
    if v == "enum":
        allowed = error.validator_value
        return (
            path,
            f"{error.instance!r} is not one of: {', '.join(map(str, allowed))}{suggest(error.instance, allowed)}",
            False,
        )
    if v == "type":
        expected = error.validator_value
        expected = " or ".join(expected) if isinstance(expected, list) else expected
        return path, f"expected {expected}, got {json.dumps(error.instance)}", False
    if v == "minItems" and path and path[-1] == "indicators":
        return path, "a headline needs at least one indicator", False
    if v == "minItems":
        return path, f"needs at least {error.validator_value} item(s)", False
    if v == "pattern":
        hint = {
            "id": "an indicator id looks like H2.persistent_absence",
            "version": "a version is letters, digits, '.', '_' or '-', e.g. \"2015.1\"",
            "ruleset": "a ruleset id is lower-case letters, digits, '_' or '-', e.g. national",
        }.get(str(path[-1]) if path else "", f"does not match {error.validator_value}")
        return path, f"{error.instance!r}: {hint}", False
    if v == "format":
        return path, f"{error.instance!r} is not a date (YYYY-MM-DD)", False
    if v == "anyOf" and path and path[-1] == "value":
        got = json.dumps(error.instance)
        return path, f"expected a number or a list of names (letters, digits, _), got {got}", False
    return path, error.message, False


# --------------------------------------------------------------------------- loading


def load_ruleset(path: str | Path) -> Ruleset:
    """Load and fully check one ruleset file; raise RulesetError listing every problem."""
    path = Path(path)
    display = display_path(path)
    try:
        raw_bytes = path.read_bytes()
    except OSError as exc:
        raise RulesetError(
            [RulesetProblem(display, 0, "", f"cannot read file: {exc.strerror}")]
        ) from exc
    return parse_ruleset(raw_bytes, display)


def parse_ruleset(raw_bytes: bytes, display: str) -> Ruleset:
    """Check ruleset YAML text (as bytes, so the hash is of exactly what was read).

    A local ruleset (one that `extends` another) needs the one it extends: load it with
    `load_rulesets`, or `tfp_rules.extend.extend` given its base."""
    return parse_read(raw_bytes, display, read_yaml(raw_bytes, display))


def parse_read(
    raw_bytes: bytes, display: str, read: tuple[dict, _LineMap, list[RulesetProblem]]
) -> Ruleset:
    """`parse_ruleset` of a file already read with `read_yaml` (so it is parsed once)."""
    data, lines, problems = read
    if "extends" in data:
        raise RulesetError(
            [
                RulesetProblem(
                    display,
                    lines.line(("extends",), key=True),
                    "extends",
                    f"a local ruleset: it extends {data['extends']}, so it is loaded with the "
                    "rulesets it builds on",
                )
            ]
        )
    check_schema(_schema_validator(), data, lines, display, problems)
    return build_checked(data, display, raw_bytes, lines, problems)


def read_yaml(raw_bytes: bytes, display: str) -> tuple[dict, _LineMap, list[RulesetProblem]]:
    """A ruleset file's YAML as plain data with the line of every field; problems so far
    (keys given twice). Raises RulesetError if it is not a YAML mapping at all."""
    problems: list[RulesetProblem] = []
    lines = _LineMap()
    try:
        node = yaml.compose(raw_bytes.decode("utf-8"))
    except RecursionError:
        raise RulesetError(
            [RulesetProblem(display, 0, "", "not valid YAML: nested too deeply")]
        ) from None
    except UnicodeDecodeError as exc:
        raise RulesetError(
            [RulesetProblem(display, 0, "", f"not UTF-8 text: {exc.reason}")]
        ) from exc
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark else 0
        reason = getattr(exc, "problem", None) or str(exc)
        raise RulesetError(
            [RulesetProblem(display, line, "", f"not valid YAML: {reason}")]
        ) from exc
    if node is None:
        raise RulesetError([RulesetProblem(display, 1, "", "the file is empty")])
    duplicates: list = []
    data = _construct(node, (), lines, duplicates)
    for dup_path, line, message in duplicates:
        problems.append(RulesetProblem(display, line, dotted(dup_path), message))
    if not isinstance(data, dict):
        raise RulesetError(
            [*problems, RulesetProblem(display, 1, "", "a ruleset is a mapping of fields")]
        )
    return data, lines, problems


def check_schema(
    validator: jsonschema.Draft202012Validator,
    data: dict,
    lines: _LineMap,
    display: str,
    problems: list[RulesetProblem],
) -> None:
    """Add a policy officer's sentence, with line and field, for every schema error."""
    try:
        for error in validator.iter_errors(data):
            where, message, is_key = _schema_message(error)
            problems.append(
                RulesetProblem(display, lines.line(where, key=is_key), dotted(where), message)
            )
    except RecursionError:
        raise RulesetError([RulesetProblem(display, 1, "", "nested too deeply")]) from None


def build_checked(
    data: dict,
    display: str,
    raw_bytes: bytes,
    lines: _LineMap,
    problems: list[RulesetProblem],
    report: Any = None,
) -> Ruleset:
    """The Ruleset of a whole document (a national one, or a local one laid over its base),
    after the cross-reference checks; raises RulesetError with every problem found."""

    def located(path: FieldPath, message: str, *, key: bool = False) -> None:
        problems.append(RulesetProblem(display, lines.line(path, key=key), dotted(path), message))

    faulted = bool(problems)
    try:
        ruleset = _build(
            data, display, report or located, hashlib.sha256(raw_bytes).hexdigest(), lines
        )
    except (TypeError, AttributeError, ValueError, KeyError):
        # The cross-reference pass reads what the schema allows; over a document the schema
        # has faulted it may trip, and the schema's problems are the answer. Otherwise a bug.
        if not faulted:
            raise
        ruleset = None
    if problems or ruleset is None:
        raise RulesetError(problems)
    ruleset.lines.update(
        {str(path[0]): line for path, line in lines.keys.items() if len(path) == 1}
    )
    # each parameter where it is written (a local file's override, where it overrides it)
    ruleset.lines.update(
        {
            f"parameters.{name}": lines.line(("parameters", name), key=True)
            for name in ruleset.parameters
        }
    )
    return ruleset


def _build(data: dict, display: str, report: Any, sha256: str, lines: _LineMap) -> Ruleset | None:
    """Cross-reference checks and model building; None if anything was wrong."""
    parameters = _parameters(data.get("parameters"))
    # Names with a broken value stay known (None), so they are reported once, not at every use.
    raw_parameters = data.get("parameters") if isinstance(data.get("parameters"), dict) else {}
    numbers, lists = split_parameters(parameters)
    values = {name: numbers.get(name) for name in raw_parameters if name not in lists}
    if isinstance(data.get("parameters"), dict) and "adult_age" not in data["parameters"]:
        report(
            ("parameters",),
            "missing parameter 'adult_age': the age from which a member is an adult",
            key=True,
        )
    parser = ConditionParser(values, report, lists)
    family = _family(data.get("family"), parser, lines.line(("family", "when"), key=True))
    terms = _terms(data.get("school_terms"), report)

    required = (
        data.get("eligibility", {}).get("headlines_required")
        if isinstance(data.get("eligibility"), dict)
        else None
    )
    required_param = required if isinstance(required, str) else None
    required_path: FieldPath = ("eligibility", "headlines_required")
    if isinstance(required, str):
        if required not in values:
            report(required_path, f"unknown parameter '{required}'{suggest(required, values)}")
        required = values.get(required)
    if (
        isinstance(required, int | float)
        and not isinstance(required, bool)
        and not float(required).is_integer()
    ):
        report(required_path, f"headlines required must be a whole number, got {required}")

    headlines: list[Headline] = []
    seen_headlines: dict[str, int] = {}
    seen_indicators: dict[str, FieldPath] = {}
    for h_index, h in enumerate(data.get("headlines") or []):
        if not isinstance(h, dict):
            continue
        hid = h.get("id")
        if hid in seen_headlines:
            report(("headlines", h_index, "id"), f"headline {hid} is defined twice")
        seen_headlines[str(hid)] = h_index
        indicators = []
        for i_index, ind in enumerate(h.get("indicators") or []):
            if not isinstance(ind, dict):
                continue
            at: FieldPath = ("headlines", h_index, "indicators", i_index)
            iid = ind.get("id")
            if isinstance(iid, str):
                if iid in seen_indicators:
                    report(
                        (*at, "id"),
                        f"indicator id '{iid}' is used twice (first at {dotted(seen_indicators[iid])})",
                    )
                else:
                    seen_indicators[iid] = (*at, "id")
                if isinstance(hid, str) and not iid.startswith(hid + "."):
                    report(
                        (*at, "id"),
                        f"indicator '{iid}' sits under headline {hid}; its id must start with '{hid}.'",
                    )
            applies_to = ind.get("applies_to")
            when = (
                parser.parse(ind.get("when"), (*at, "when"), applies_to)
                if isinstance(applies_to, str)
                else None
            )
            if when is not None and isinstance(iid, str):
                indicators.append(
                    Indicator(
                        iid,
                        str(hid),
                        str(ind.get("name", "")),
                        applies_to,
                        str(ind.get("origin", "national")),
                        str(ind.get("source", "")),
                        when,
                        tuple(ind.get("data_sources") or ()),
                        lines.line((*at, "when"), key=True),
                        dotted((*at, "when")),
                    )
                )
        headlines.append(Headline(str(hid), str(h.get("name", "")), tuple(indicators)))

    if isinstance(required, int | float) and headlines and required > len(headlines):
        report(
            required_path,
            f"{int(required)} headlines required, but the ruleset defines only {len(headlines)}",
        )
    if isinstance(required, int | float) and required < 1:
        report(required_path, "at least one headline must be required")

    try:
        effective_from = dt.date.fromisoformat(str(data.get("effective_from")))
    except ValueError:
        return None
    if not isinstance(required, int | float) or family is None or terms is None:
        return None
    return Ruleset(
        id=str(data.get("ruleset")),
        version=str(data.get("version")),
        effective_from=effective_from,
        description=str(data.get("description", "")),
        sources=tuple(data.get("sources") or ()),
        parameters=parameters,
        headlines_required=int(required),
        headlines_required_param=required_param,
        headlines=tuple(headlines),
        path=display,
        sha256=sha256,
        document=data,
        family=family,
        terms=terms,
    )


def split_parameters(
    parameters: Mapping[str, Parameter],
) -> tuple[dict[str, float | int | None], dict[str, tuple[str, ...]]]:
    """The parameters as conditions read them: (numbers by name, lists of names by name)."""
    numbers: dict[str, float | int | None] = {}
    lists: dict[str, tuple[str, ...]] = {}
    for name, p in parameters.items():
        if isinstance(p.value, tuple):
            lists[name] = p.value
        else:
            numbers[name] = p.value
    return numbers, lists


def _parameters(raw: Any) -> dict[str, Parameter]:
    """The parameters whose values are well formed (the schema reports the others)."""
    out: dict[str, Parameter] = {}
    for name, spec in (raw or {}).items() if isinstance(raw, dict) else ():
        if not isinstance(spec, dict):
            continue
        value = spec.get("value")
        if isinstance(value, list) and value and all(isinstance(v, str) for v in value):
            value = tuple(value)
        elif not isinstance(value, int | float) or isinstance(value, bool):
            continue
        out[name] = Parameter(
            name,
            value,
            str(spec.get("description", "")),
            str(spec.get("source", "")),
            spec.get("unit"),
            _date_or_none(spec.get("review_by")),
        )
    return out


def _date_or_none(value: Any) -> dt.date | None:
    """A YAML date, or ISO text of one (as a local file's merged document holds it)."""
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value)) if value is not None else None
    except ValueError:
        return None  # the schema has reported it


def _family(raw: Any, parser: ConditionParser, line: int) -> FamilyRule | None:
    """The family rule: a condition on members, like an indicator that applies to any member."""
    if not isinstance(raw, dict):
        return None
    when = parser.parse(raw.get("when"), ("family", "when"), "any_member")
    if when is None:
        return None
    return FamilyRule(
        str(raw.get("name", "")),
        str(raw.get("source", "")),
        tuple(raw.get("data_sources") or ()),
        when,
        line,
    )


def _terms(raw: Any, report: Any) -> TermCalendar | None:
    """The school-term calendar (census by default), its dated terms checked for sense."""
    if raw is None:
        return CENSUS_CALENDAR
    if not isinstance(raw, dict) or raw.get("rule") != "census":
        return None
    dates = []
    for i, item in enumerate(raw.get("dates") or []):
        try:
            first = dt.date.fromisoformat(str(item["from"]))
            last = dt.date.fromisoformat(str(item["to"]))
            dates.append((str(item["term"]), first, last, i))
        except (KeyError, TypeError, ValueError):
            return None  # the schema has reported it
    calendar = TermCalendar(
        "census", tuple((t, a, b) for t, a, b, _ in dates), str(raw.get("source", ""))
    )
    broken = False
    for index, message in calendar.problems():
        report(("school_terms", "dates", dates[index][3]), message)
        broken = True
    return None if broken else calendar


def display_path(path: Path) -> str:
    """Paths relative to the working directory when possible, so messages stay short."""
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)
