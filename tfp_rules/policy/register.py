"""The publication register: which ruleset versions are published, each pinned to the
sha256 of its file, kept in `published.yaml` beside the rulesets.

A version whose ref is not in the register is a draft. A published version's file may not
change by a byte: loading fails, naming the file, until it is restored (a change is a new
version). The register lives in the repository, so a publication is reviewed and
committed like the rule change it publishes. Only `tfp publish` writes it.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from ..errors import RulesetError, RulesetProblem
from ..ruleset import Ruleset, display_path

REGISTER_NAME = "published.yaml"
HEADER = (
    "# The published ruleset versions, each pinned to its file's sha256. Written by\n"
    "# `tfp publish ID@VERSION`, which runs the version's tests first; do not edit by hand.\n"
    "# A version not listed here is a draft: the service does not decide with it.\n"
)


@dataclass(frozen=True)
class Publication:
    """One published version: the file (relative to the rulesets directory) and its hash."""

    ref: str
    file: str
    sha256: str
    published_at: str
    published_by: str
    tests: str = ""  # what its tests said when it was published, e.g. "63 passed"

    def to_dict(self) -> dict[str, str]:
        out = {
            "file": self.file,
            "sha256": self.sha256,
            "published_at": self.published_at,
            "published_by": self.published_by,
        }
        return out | ({"tests": self.tests} if self.tests else {})


def read_register(directory: str | Path) -> dict[str, Publication]:
    """The register of `directory` (empty when it has none: every version is a draft)."""
    path = Path(directory) / REGISTER_NAME
    display = display_path(path)
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise RulesetError([RulesetProblem(display, 0, "", f"cannot read: {exc}")]) from exc
    if data is None:
        return {}
    problems, out = [], {}
    if not isinstance(data, dict):
        raise RulesetError([RulesetProblem(display, 1, "", "must map ID@VERSION to entries")])
    for ref, entry in data.items():
        fields = ("file", "sha256", "published_at", "published_by")
        if not isinstance(entry, dict) or any(not isinstance(entry.get(k), str) for k in fields):
            problems.append(
                RulesetProblem(display, 0, str(ref), f"needs text fields {', '.join(fields)}")
            )
            continue
        out[str(ref)] = Publication(
            str(ref), *(entry[k] for k in fields), tests=str(entry.get("tests", ""))
        )
    if problems:
        raise RulesetError(problems)
    return out


def check_register(
    register: Mapping[str, Publication], rulesets: Iterable[Ruleset], directory: str | Path
) -> None:
    """RulesetError naming each published version whose file changed or went missing."""
    by_ref = {rs.ref: rs for rs in rulesets}
    display = display_path(Path(directory) / REGISTER_NAME)
    problems = []
    for ref, pub in sorted(register.items()):
        rs = by_ref.get(ref)
        if rs is None:
            problems.append(
                RulesetProblem(
                    display,
                    0,
                    ref,
                    f"{ref} is published ({pub.file}) but no ruleset file defines it: decisions "
                    "made with it could no longer be explained; restore the file",
                )
            )
        elif rs.sha256 != pub.sha256:
            problems.append(
                RulesetProblem(
                    rs.path,
                    0,
                    "",
                    f"{ref} was published with sha256 {pub.sha256[:12]}, but this file now has "
                    f"{rs.sha256[:12]}: a published version cannot change; restore the file "
                    "and write the change as a new version",
                )
            )
    if problems:
        raise RulesetError(problems)


def record(
    directory: str | Path,
    ruleset: Ruleset,
    *,
    tests: str,
    by: str | None = None,
    now: dt.datetime | None = None,
) -> Publication:
    """Add `ruleset` to the register of `directory` (rewritten whole, atomically)."""
    directory = Path(directory)
    register = read_register(directory)
    file = os.path.relpath(Path(ruleset.path).resolve(), directory.resolve())
    pub = Publication(
        ruleset.ref,
        Path(file).as_posix(),
        ruleset.sha256,
        (now or dt.datetime.now(dt.UTC)).isoformat(timespec="seconds"),
        by or os.environ.get("TFP_PUBLISHED_BY") or os.environ.get("USER") or "unknown",
        tests,
    )
    register[ruleset.ref] = pub
    body: dict[str, Any] = {ref: register[ref].to_dict() for ref in sorted(register)}
    path = directory / REGISTER_NAME
    tmp = path.with_suffix(".yaml.tmp")
    tmp.write_text(HEADER + yaml.safe_dump(body, sort_keys=False), encoding="utf-8")
    tmp.replace(path)
    return pub
