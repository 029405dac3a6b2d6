"""Every ruleset version the service or a command works with, side by side: loaded from
files (national ones first, then the local ones that extend them), checked together, and
looked up by id and the date in force."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path

from .errors import DraftRulesetError, RulesetError, RulesetProblem, UnknownRulesetError
from .extend import extend, is_local
from .policy.register import REGISTER_NAME, Publication, check_register, read_register
from .ruleset import (
    DEFAULT_RULESET_ID,
    DEFAULT_RULESETS_DIR,
    Ruleset,
    display_path,
    parse_read,
    read_yaml,
)


def ruleset_files(directory: str | Path) -> list[Path]:
    """The ruleset files below `directory`: every `*.yaml` except the publication register
    and tests files (`*.tests.yaml`, or in a `tests` or `<version>.tests` folder)."""
    root = Path(directory)
    return sorted(
        p
        for p in root.rglob("*.yaml")
        if not is_tests_file(p.relative_to(root)) and p.relative_to(root) != Path(REGISTER_NAME)
    )


def is_tests_file(path: Path) -> bool:
    """Whether a path (below a rulesets directory) is a tests file, not a ruleset."""
    folders = path.parts[:-1]
    return path.name.endswith(".tests.yaml") or any(
        f == "tests" or f.endswith(".tests") for f in folders
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
        display = display_path(path)
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
    """Every ruleset version found under a directory, side by side, looked up by id and date.

    A version is published or a draft (`published`: the register's entries; None, for a
    library built in memory, counts every version published). Only published versions are
    in force on a date; a draft is used only when named exactly and asked for.
    """

    def __init__(
        self, rulesets: Iterable[Ruleset], published: Mapping[str, Publication] | None = None
    ):
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
        self.publications: dict[str, Publication] | None = (
            None if published is None else dict(published)
        )

    def get(self, ref: str) -> Ruleset | None:
        """The version `ID@VERSION`, draft or published, or None: a lookup, not a choice."""
        return self._by_ref.get(ref)

    def current(self) -> RulesetLibrary:
        """This library (as `service.library.LiveLibrary.current` answers with its newest)."""
        return self

    def is_published(self, ref: str) -> bool:
        return self.publications is None or ref in self.publications

    def status(self, ref: str) -> str:
        """`published` or `draft`."""
        return "published" if self.is_published(ref) else "draft"

    def published(self) -> list[Ruleset]:
        return [rs for rs in self if self.is_published(rs.ref)]

    @classmethod
    def from_directory(cls, directory: str | Path = DEFAULT_RULESETS_DIR) -> RulesetLibrary:
        """Load every ruleset file below `directory` with its publication register; one
        RulesetError lists the problems of all files, and names every published version
        whose file no longer matches its hash."""
        files = ruleset_files(directory)
        if not files:
            raise RulesetError(
                [RulesetProblem(display_path(Path(directory)), 0, "", "no *.yaml rulesets found")]
            )
        loaded, problems = load_rulesets(files)
        if problems:
            raise RulesetError(problems)
        register = read_register(directory)
        check_register(register, loaded, directory)
        return cls(loaded, register)

    def __iter__(self) -> Iterator[Ruleset]:
        return iter(
            sorted(self._by_ref.values(), key=lambda r: (r.id, r.effective_from, r.version))
        )

    def refs(self, *, published_only: bool = False) -> list[str]:
        return [rs.ref for rs in self if not published_only or self.is_published(rs.ref)]

    def resolve(
        self, spec: str | None = None, on: dt.date | None = None, *, drafts: bool = False
    ) -> Ruleset:
        """Pick a ruleset: `ID@VERSION` exactly, or `ID` (default national) in force on `on`
        (the latest published version that took effect by then). A draft only if `drafts`:
        in force by date among the published and drafts alike, or named exactly."""
        spec = spec or DEFAULT_RULESET_ID
        if "@" in spec:
            if spec not in self._by_ref:
                raise UnknownRulesetError(f"no ruleset {spec}", self.refs())
            if not drafts and not self.is_published(spec):
                raise DraftRulesetError(
                    f"{spec} is a draft: decisions are made with published versions only "
                    "(policy officers try a draft with tfp test, tfp diff and tfp impact)",
                    self.refs(published_only=True),
                )
            return self._by_ref[spec]
        every = [rs for rs in self if rs.id == spec]
        versions = [rs for rs in every if drafts or self.is_published(rs.ref)]
        if not every:
            raise UnknownRulesetError(f"no ruleset with id '{spec}'", self.refs())
        if not versions:
            raise DraftRulesetError(
                f"no version of '{spec}' is published (drafts: "
                f"{', '.join(rs.ref for rs in every)}); publish one with tfp publish",
                self.refs(published_only=True),
            )
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
