"""Policy officers' test files (`schemas/ruleset-tests.schema.json`): read, checked against
the ruleset they name, and turned into cases.

A tests file sits beside its ruleset (`national/2015.1.tests.yaml`, or the files of a
folder `national/2015.1.tests/`). Every mistake is located by file, line and field, as a
ruleset's are, with a suggestion where one is close: an indicator the ruleset lacks, a
member the facts do not have, a status that does not exist. A case's facts are only
parsed when it runs: facts that fail are that case's error, not the file's.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema

from ..errors import RulesetError, RulesetProblem, UnknownRulesetError, suggest
from ..library import RulesetLibrary
from ..ruleset import (
    DEFAULT_RULESETS_DIR,
    PROJECT_ROOT,
    FieldPath,
    Ruleset,
    check_schema,
    display_path,
    dotted,
    read_yaml,
)
from .register import REGISTER_NAME

TESTS_SCHEMA_PATH = PROJECT_ROOT / "schemas" / "ruleset-tests.schema.json"
TESTS_SUFFIX = ".tests"
HOUSEHOLD = "household"
# Fixture expected files give these; an override may replace any of them.
FIXTURE_FIELDS = ("status", "headlines_met", "headlines_unknown", "indicators_met")


@dataclass(frozen=True)
class Expectation:
    """What a case expects; None (or empty) where it says nothing. Statuses are the decision
    JSON's own words (`not_eligible`, `not_met`)."""

    status: str
    headlines_met: tuple[str, ...] | None = None
    headlines_unknown: tuple[str, ...] | None = None
    headlines: tuple[tuple[str, str], ...] = ()  # (headline id, result)
    family: str | None = None
    # exactly these indicators met, each by exactly these subjects
    indicators_met: tuple[tuple[str, tuple[str, ...]], ...] | None = None
    indicators: tuple[tuple[str, str, str], ...] = ()  # (subject, indicator id, result)


@dataclass(frozen=True)
class TestCase:
    """One family and what its ruleset should decide for it."""

    __test__ = False  # not a pytest class, whatever its name

    name: str
    facts: Mapping[str, Any] | bytes  # a document written inline, or a file's bytes
    expect: Expectation
    file: str  # the tests file it is written in
    line: int
    facts_from: str = ""  # the facts file, when the facts are not inline
    because: str = ""  # a fixture override's reason


@dataclass(frozen=True)
class TestsFile:
    """A tests file as read: the ruleset it names, its cases, and what is wrong with it."""

    __test__ = False

    path: str
    ruleset: str | None
    cases: tuple[TestCase, ...] = ()
    problems: tuple[RulesetProblem, ...] = field(default=())


@cache
def _validator() -> jsonschema.Draft202012Validator:
    schema = json.loads(TESTS_SCHEMA_PATH.read_text())
    return jsonschema.Draft202012Validator(schema, format_checker=jsonschema.FormatChecker())


def find_tests(ruleset: Ruleset) -> list[Path]:
    """The tests files beside a ruleset's file: `<version>.tests.yaml` and every `*.yaml` in
    a folder `<version>.tests/`."""
    path = Path(ruleset.path)
    stem = path.name.removesuffix(path.suffix)
    single = path.with_name(stem + TESTS_SUFFIX + ".yaml")
    folder = path.with_name(stem + TESTS_SUFFIX)
    found = [single] if single.is_file() else []
    if folder.is_dir():
        found += sorted(folder.rglob("*.yaml"))
    return found


def tests_files_under(directory: Path) -> list[Path]:
    """Every tests file below a folder: `*.tests.yaml`, and the `*.yaml` of `*.tests`
    folders (the folder itself included)."""
    root = Path(directory)
    out = []
    for p in sorted(root.rglob("*.yaml")):
        parts = p.relative_to(root).parts[:-1]
        in_tests_folder = root.name.endswith(TESTS_SUFFIX) or any(
            part.endswith(TESTS_SUFFIX) for part in parts
        )
        if p.name.endswith(TESTS_SUFFIX + ".yaml") or in_tests_folder:
            out.append(p)
    return out


def _library_for(path: Path) -> RulesetLibrary:
    """The rulesets a tests file is read against when no library is given: those of the
    nearest folder above it holding a publication register, else the project's."""
    for parent in path.resolve().parents:
        if (parent / REGISTER_NAME).is_file():
            return RulesetLibrary.from_directory(parent)
    return RulesetLibrary.from_directory(DEFAULT_RULESETS_DIR)


def check_tests_file(
    path: str | Path, library: RulesetLibrary | None = None
) -> list[RulesetProblem]:
    """Every problem of a tests file (empty if it is sound), as `tfp validate` reports them.
    Without `library`, against the rulesets of the folder the file sits in."""
    path = Path(path)
    if library is None:
        try:
            library = _library_for(path)
        except RulesetError as exc:
            return list(exc.problems)
    return list(load_tests_file(path, library).problems)


def load_tests_file(
    path: str | Path, library: RulesetLibrary, beside: Ruleset | None = None
) -> TestsFile:
    """Read a tests file and check it against the ruleset it names (found in `library`,
    drafts included). `beside`: the ruleset it was found beside, which it must name."""
    path = Path(path)
    display = display_path(path)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        return TestsFile(
            display, None, problems=(RulesetProblem(display, 0, "", f"cannot read file: {exc}"),)
        )
    try:
        data, lines, problems = read_yaml(raw, display)
    except RulesetError as exc:
        return TestsFile(display, None, problems=tuple(_as_tests_file(exc.problems)))
    check_schema(_validator(), data, lines, display, problems)
    if problems:
        return TestsFile(display, data.get("ruleset"), problems=tuple(problems))
    reader = _Reader(path, display, lines, library, problems)
    ref = data["ruleset"]
    ruleset = reader.ruleset(ref, beside)
    cases: list[TestCase] = []
    if ruleset is not None:
        if "fixtures" in data:
            cases += reader.fixtures(data["fixtures"], ruleset)
        for i, test in enumerate(data.get("tests") or []):
            case = reader.test(test, ("tests", i), ruleset)
            if case is not None:
                cases.append(case)
        if "fixtures" not in data and not data.get("tests"):
            reader.report((), "no cases: give `tests:`, `fixtures:`, or both")
    reader.unique_names(cases)
    return TestsFile(display, ref, tuple(cases), tuple(sorted(set(problems))))


def _as_tests_file(problems: Iterable[RulesetProblem]) -> list[RulesetProblem]:
    """read_yaml's problems, worded for a tests file."""
    return [
        RulesetProblem(p.file, p.line, p.field, "a tests file is a mapping of fields")
        if p.message == "a ruleset is a mapping of fields"
        else p
        for p in problems
    ]


def _result(word: str) -> str:
    """A status as the decision JSON spells it ('not met' -> 'not_met')."""
    return word.replace(" ", "_")


@dataclass
class _Reader:
    """Reads the parts of one tests file, reporting every problem with its line."""

    path: Path
    display: str
    lines: Any
    library: RulesetLibrary
    problems: list[RulesetProblem]

    def report(self, at: FieldPath, message: str, *, key: bool = False) -> None:
        self.problems.append(
            RulesetProblem(self.display, self.lines.line(at, key=key), dotted(at), message)
        )

    def ruleset(self, ref: str, beside: Ruleset | None) -> Ruleset | None:
        if beside is not None and ref != beside.ref:
            self.report(
                ("ruleset",),
                f"this file sits beside {beside.ref} ({beside.path}) but names {ref}",
            )
            return None
        try:
            return self.library.resolve(ref, drafts=True)
        except UnknownRulesetError:
            refs = self.library.refs()
            self.report(
                ("ruleset",),
                f"no ruleset {ref}{suggest(ref, refs)} (loaded: {', '.join(refs) or 'none'})",
            )
            return None

    # ---------------------------------------------------------------- inline cases

    def test(self, raw: dict[str, Any], at: FieldPath, ruleset: Ruleset) -> TestCase | None:
        facts, facts_from, members = self.facts(raw["facts"], (*at, "facts"))
        expect = self.expectation(raw["expect"], (*at, "expect"), ruleset, members)
        if facts is None or expect is None:
            return None
        return TestCase(
            raw["name"], facts, expect, self.display, self.lines.line(at), facts_from=facts_from
        )

    def facts(
        self, raw: Mapping[str, Any] | str, at: FieldPath
    ) -> tuple[Mapping[str, Any] | bytes | None, str, set[str] | None]:
        """(the document or its file's bytes, the file's path or '', its member refs if
        they can be read)."""
        if isinstance(raw, Mapping):
            return raw, "", _member_refs(raw)
        target = self.path.parent / raw
        try:
            data = target.read_bytes()
        except OSError as exc:
            self.report(at, f"cannot read facts file {raw}: {exc.strerror}")
            return None, "", None
        try:
            doc = json.loads(data)
        except ValueError:
            doc = None  # the case reports it when it runs, with the facts' other problems
        return data, display_path(target), _member_refs(doc)

    def expectation(
        self,
        raw: Mapping[str, Any],
        at: FieldPath,
        ruleset: Ruleset,
        members: set[str] | None,
    ) -> Expectation | None:
        before = len(self.problems)
        headline_ids = [h.id for h in ruleset.headlines]
        for key in ("headlines_met", "headlines_unknown"):
            for k, hid in enumerate(raw.get(key) or []):
                self.headline(hid, (*at, key, k), headline_ids, ruleset)
        for hid in raw.get("headlines") or {}:
            self.headline(hid, (*at, "headlines", hid), headline_ids, ruleset, key=True)
        met = self.indicators_met(
            raw.get("indicators_met"), (*at, "indicators_met"), ruleset, members
        )
        per_subject: list[tuple[str, str, str]] = []
        for subject, results in (raw.get("indicators") or {}).items():
            where: FieldPath = (*at, "indicators", subject)
            if self.subject(subject, where, members, key=True):
                for iid, result in results.items():
                    if self.indicator(iid, (*where, iid), ruleset, subject):
                        per_subject.append((subject, iid, _result(result)))
        if len(self.problems) > before:
            return None
        return Expectation(
            status=_result(raw["status"]),
            headlines_met=_sorted_or_none(raw.get("headlines_met")),
            headlines_unknown=_sorted_or_none(raw.get("headlines_unknown")),
            headlines=tuple((h, _result(r)) for h, r in (raw.get("headlines") or {}).items()),
            family=_result(raw["family"]) if "family" in raw else None,
            indicators_met=met,
            indicators=tuple(per_subject),
        )

    def headline(
        self, hid: str, at: FieldPath, ids: list[str], ruleset: Ruleset, *, key: bool = False
    ) -> None:
        if hid not in ids:
            self.report(at, f"{ruleset.ref} has no headline {hid}{suggest(hid, ids)}", key=key)

    def indicators_met(
        self,
        raw: Mapping[str, list[str]] | None,
        at: FieldPath,
        ruleset: Ruleset,
        members: set[str] | None,
    ) -> tuple[tuple[str, tuple[str, ...]], ...] | None:
        if raw is None:
            return None
        out = []
        for iid, subjects in raw.items():
            if not self.indicator(iid, (*at, iid), ruleset, None):
                continue
            for k, subject in enumerate(subjects):
                if self.subject(subject, (*at, iid, k), members):
                    self.applies(iid, subject, (*at, iid, k), ruleset)
            out.append((iid, tuple(sorted(subjects))))
        return tuple(sorted(out))

    def indicator(self, iid: str, at: FieldPath, ruleset: Ruleset, subject: str | None) -> bool:
        """Whether `iid` is an indicator of the ruleset (and, for a subject given, one that
        can apply to it: household indicators to the household only)."""
        ids = [i.id for i in ruleset.indicators]
        if iid not in ids:
            self.report(at, f"{ruleset.ref} has no indicator '{iid}'{suggest(iid, ids)}", key=True)
            return False
        return subject is None or self.applies(iid, subject, at, ruleset, key=True)

    def applies(
        self, iid: str, subject: str, at: FieldPath, ruleset: Ruleset, *, key: bool = False
    ) -> bool:
        indicator = ruleset.indicator(iid)
        assert indicator is not None
        household = indicator.applies_to == HOUSEHOLD
        if household != (subject == HOUSEHOLD):
            what = "the household" if household else f"a member ({indicator.applies_to})"
            self.report(
                at,
                f"{iid} applies to {what}, so it is not expected of "
                + ("the household" if subject == HOUSEHOLD else f"member {subject}"),
                key=key,
            )
            return False
        return True

    def subject(
        self, subject: str, at: FieldPath, members: set[str] | None, *, key: bool = False
    ) -> bool:
        """Whether `subject` is 'household' or a member of the facts (when they can be read)."""
        if subject == HOUSEHOLD or members is None or subject in members:
            return True
        choices = [*sorted(members), HOUSEHOLD]
        self.report(
            at,
            f"no member '{subject}' in the facts{suggest(subject, choices)} "
            f"(members: {', '.join(sorted(members)) or 'none'}; or household)",
            key=key,
        )
        return False

    # ---------------------------------------------------------------- fixtures

    def fixtures(self, raw: str | Mapping[str, Any], ruleset: Ruleset) -> list[TestCase]:
        """The golden fixtures as cases, each expecting what its expected file says (or this
        file's override of it)."""
        spec = {"from": raw} if isinstance(raw, str) else raw
        at: FieldPath = ("fixtures",) if isinstance(raw, str) else ("fixtures", "from")
        folder = self.path.parent / spec["from"]
        families, expected = folder / "families", folder / "expected"
        if not families.is_dir() or not expected.is_dir():
            self.report(
                at,
                f"{spec['from']} ({display_path(folder)}) holds no families/ and expected/ "
                "folders of fixtures",
            )
            return []
        names = {p.stem: p for p in sorted(families.glob("*.json"))}
        overrides = spec.get("overrides") or {}
        for name in overrides:
            if name not in names:
                self.report(
                    ("fixtures", "overrides", name),
                    f"no fixture '{name}' in {display_path(families)}{suggest(name, names)}",
                    key=True,
                )
        cases = []
        for name, family in names.items():
            case = self.fixture(name, family, expected / family.name, overrides.get(name), ruleset)
            if case is not None:
                cases.append(case)
        return cases

    def fixture(
        self,
        name: str,
        family: Path,
        expected_path: Path,
        override: Mapping[str, Any] | None,
        ruleset: Ruleset,
    ) -> TestCase | None:
        at: FieldPath = ("fixtures", "overrides", name) if override else ("fixtures", name)
        try:
            expected = json.loads(expected_path.read_text(encoding="utf-8"))
            expected = {k: expected[k] for k in FIXTURE_FIELDS}
        except (OSError, ValueError, KeyError, TypeError) as exc:
            self.report(
                at,
                f"fixture {name}: {display_path(expected_path)} is missing or not an expected "
                f"outcome ({exc.__class__.__name__}: {exc})",
            )
            return None
        facts = family.read_bytes()
        try:
            members = _member_refs(json.loads(facts))
        except ValueError:
            members = None
        laid = {**expected, **{k: v for k, v in (override or {}).items() if k != "because"}}
        expect = self.expectation(laid, at, ruleset, members)
        if expect is None:
            return None
        return TestCase(
            name,
            facts,
            expect,
            self.display,
            self.lines.line(at, key=True),
            facts_from=display_path(family),
            because=str((override or {}).get("because", "")),
        )

    def unique_names(self, cases: list[TestCase]) -> None:
        seen: dict[str, TestCase] = {}
        for case in cases:
            if case.name in seen:
                self.problems.append(
                    RulesetProblem(
                        case.file,
                        case.line,
                        "name",
                        f"a second case named '{case.name}' (the first is at line "
                        f"{seen[case.name].line}): give each case its own name",
                    )
                )
            seen.setdefault(case.name, case)


def _sorted_or_none(value: list[str] | None) -> tuple[str, ...] | None:
    return None if value is None else tuple(sorted(value))


def _member_refs(doc: Any) -> set[str] | None:
    """The member refs of a facts document, or None if it has no readable members."""
    if not isinstance(doc, Mapping) or not isinstance(doc.get("members"), list):
        return None
    return {
        m["ref"] for m in doc["members"] if isinstance(m, Mapping) and isinstance(m.get("ref"), str)
    }
