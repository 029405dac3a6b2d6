"""The core's typed exceptions: each carries every problem found, not just the first."""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any


def suggest(word: Any, choices: Iterable[Any]) -> str:
    """' (did you mean 'x'?)' when a close match exists among `choices`, else ''."""
    close = difflib.get_close_matches(str(word), [str(c) for c in choices], n=1, cutoff=0.6)
    return f" (did you mean '{close[0]}'?)" if close else ""


class TfpError(Exception):
    """Base class for every error the core raises on purpose."""


@dataclass(frozen=True, order=True)
class FactProblem:
    """One thing wrong with a facts document, located by JSON Pointer (RFC 6901)."""

    pointer: str
    message: str

    def __str__(self) -> str:
        return f"{self.pointer or '/'}: {self.message}"

    def to_dict(self) -> dict[str, str]:
        return {"pointer": self.pointer, "message": self.message}


class FactsError(TfpError):
    """A facts document failed validation; `problems` lists every offending field."""

    def __init__(self, problems: Iterable[FactProblem]):
        self.problems = sorted(set(problems))
        super().__init__(
            f"{len(self.problems)} problem(s) in family facts:\n"
            + "\n".join(f"  {p}" for p in self.problems)
        )


class MalformedJSONError(FactsError):
    """The document is not JSON at all (as opposed to JSON with the wrong content)."""


@dataclass(frozen=True, order=True)
class RulesetProblem:
    """One mistake in a ruleset file, located by file, line and field path."""

    file: str
    line: int
    field: str
    message: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        return f"{where}: {self.field or '(top)'}: {self.message}"

    def to_dict(self) -> dict[str, str | int]:
        return {"file": self.file, "line": self.line, "field": self.field, "message": self.message}


class RulesetError(TfpError):
    """A ruleset could not be loaded; `problems` lists every mistake found, in file order."""

    def __init__(self, problems: Iterable[RulesetProblem]):
        self.problems = sorted(set(problems))
        super().__init__(
            f"{len(self.problems)} problem(s) in ruleset:\n"
            + "\n".join(f"  {p}" for p in self.problems)
        )


class OtherFamilyError(TfpError):
    """Facts for one family sent to add to another family's decision."""


class UnknownRulesetError(TfpError):
    """No loaded ruleset matches the requested id, version or date."""

    def __init__(self, message: str, available: Iterable[str] = ()):
        self.available = sorted(available)
        super().__init__(message)


class DraftRulesetError(UnknownRulesetError):
    """The ruleset asked for is a draft (or only drafts exist): not used to decide."""


class EngineError(TfpError):
    """The rules engine failed or disagreed with the reference evaluation: a bug, not bad input."""


class TraceTemplateError(TfpError):
    """A compact trace cannot be expanded: its template is missing, not a template, or not
    the one the decision names."""
