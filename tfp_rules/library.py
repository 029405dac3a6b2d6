"""Every ruleset version the service or a command works with, side by side: loaded from
files (national ones first, then the local ones that extend them), checked together, and
looked up by id and the date in force."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator
from pathlib import Path

from .errors import RulesetError, RulesetProblem, UnknownRulesetError
from .extend import extend, is_local
from .ruleset import (
    DEFAULT_RULESET_ID,
    DEFAULT_RULESETS_DIR,
    Ruleset,
    _display_path,
    parse_read,
    read_yaml,
)


def load_rulesets(
    files: Iterable[Path], bases: Iterable[Ruleset] = ()
) -> tuple[list[Ruleset], list[RulesetProblem]]:
    """Each file checked on its own: national ones first, then each local one over the
    version it extends (among these files, else `bases`). Returns what loaded and every
    problem of the files that did not. Each file is read and parsed once."""
    loaded: list[Ruleset] = []
    problems: list[RulesetProblem] = []
    local: list[tuple[bytes, str, tuple]] = []
    for path in files:
        display = _display_path(path)
        try:
            raw = path.read_bytes()
            read = read_yaml(raw, display)
            if is_local(read[0]):
                local.append((raw, display, read))
            else:
                loaded.append(parse_read(raw, display, read))
        except OSError as exc:
            problems.append(RulesetProblem(display, 0, "", f"cannot read file: {exc.strerror}"))
        except RulesetError as exc:
            problems.extend(exc.problems)
    found = {rs.ref: rs for rs in bases} | {rs.ref: rs for rs in loaded}
    # how each local file names itself: to say so when one tries to extend another
    local_refs = frozenset(f"{d.get('ruleset')}@{d.get('version')}" for _, _, (d, _, _) in local)
    for raw, display, read in local:
        try:
            loaded.append(extend(raw, display, found, local_refs, read))
        except RulesetError as exc:
            problems.extend(exc.problems)
    return loaded, problems


class RulesetLibrary:
    """Every ruleset version found under a directory, side by side, looked up by id and date."""

    def __init__(self, rulesets: Iterable[Ruleset]):
        self._by_ref: dict[str, Ruleset] = {}
        problems = []
        for rs in rulesets:
            if rs.ref in self._by_ref:
                other = self._by_ref[rs.ref]
                problems.append(
                    RulesetProblem(
                        rs.path,
                        rs.lines.get("version", 1),
                        "version",
                        f"{rs.ref} is also defined in {other.path}",
                    )
                )
            self._by_ref[rs.ref] = rs
        by_date: dict[tuple[str, dt.date], Ruleset] = {}
        for rs in sorted(self._by_ref.values(), key=lambda r: (r.path, r.version)):
            other = by_date.setdefault((rs.id, rs.effective_from), rs)
            if other is not rs:
                problems.append(
                    RulesetProblem(
                        rs.path,
                        rs.lines.get("effective_from", 1),
                        "effective_from",
                        f"{rs.ref} and {other.ref} ({other.path}) both take effect on "
                        f"{rs.effective_from.isoformat()}: which is in force that day would be "
                        "a guess; give each version its own date",
                    )
                )
        if problems:
            raise RulesetError(problems)

    @classmethod
    def from_directory(cls, directory: str | Path = DEFAULT_RULESETS_DIR) -> RulesetLibrary:
        """Load every `*.yaml` below `directory`; one RulesetError lists the problems of all files."""
        files = sorted(Path(directory).rglob("*.yaml"))
        if not files:
            raise RulesetError(
                [RulesetProblem(_display_path(Path(directory)), 0, "", "no *.yaml rulesets found")]
            )
        loaded, problems = load_rulesets(files)
        if problems:
            raise RulesetError(problems)
        return cls(loaded)

    def __iter__(self) -> Iterator[Ruleset]:
        return iter(
            sorted(self._by_ref.values(), key=lambda r: (r.id, r.effective_from, r.version))
        )

    def refs(self) -> list[str]:
        return [rs.ref for rs in self]

    def resolve(self, spec: str | None = None, on: dt.date | None = None) -> Ruleset:
        """Pick a ruleset: `ID@VERSION` exactly, or `ID` (default national) in force on `on`."""
        spec = spec or DEFAULT_RULESET_ID
        if "@" in spec:
            if spec not in self._by_ref:
                raise UnknownRulesetError(f"no ruleset {spec}", self.refs())
            return self._by_ref[spec]
        versions = [rs for rs in self if rs.id == spec]
        if not versions:
            raise UnknownRulesetError(f"no ruleset with id '{spec}'", self.refs())
        if on is None:
            return versions[-1]
        in_force = [rs for rs in versions if rs.effective_from <= on]
        if not in_force:
            raise UnknownRulesetError(
                f"no version of '{spec}' is in force on {on.isoformat()}; "
                f"the earliest starts {versions[0].effective_from.isoformat()}",
                self.refs(),
            )
        return in_force[-1]
