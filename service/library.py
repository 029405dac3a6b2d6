"""The rulesets the running service serves: reloaded when their files change on disk, and a
reload refused whole, naming the files, when any of them is broken.

Start-up is strict (a broken ruleset stops it, with file, line and field). After that, a
policy officer's edit reaches every worker within `check_every` seconds without a restart;
a file corrupted or half-written on disk is refused and logged, and the versions already
loaded keep serving until the files are whole again. Each worker process checks on its
own; a check is a directory listing and a stat per file, at most once per interval.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

from tfp_rules.compile import compile_ruleset
from tfp_rules.errors import RulesetError, RulesetProblem, suggest
from tfp_rules.library import RulesetLibrary
from tfp_rules.outcomes.progress import compile_plan
from tfp_rules.ruleset import DEFAULT_RULESET_ID, Ruleset

log = logging.getLogger("tfp.service")
Snapshot = tuple[tuple[str, int, int], ...]


def _snapshot(directory: Path) -> Snapshot:
    """Every ruleset file's path, modification time and size: what a change changes."""
    found = []
    for path in sorted(directory.rglob("*.yaml")):
        try:
            stat = path.stat()
        except OSError:  # removed between the listing and the stat: the next check sees it
            continue
        found.append((str(path), stat.st_mtime_ns, stat.st_size))
    return tuple(found)


def _load(directory: Path, default: str) -> RulesetLibrary:
    """Every version loaded and registered with the engine (RulesetError if any is broken,
    or if none has the id the service decides with by default)."""
    library = RulesetLibrary.from_directory(directory)
    for ruleset in library:
        compile_ruleset(ruleset)
        if ruleset.outcome_plan is not None:
            compile_plan(ruleset)  # a progress measure too complex for the engine stops it too
    ids = sorted({ruleset.id for ruleset in library.published()})
    if default not in ids:
        raise RulesetError(
            [
                RulesetProblem(
                    str(directory),
                    0,
                    "",
                    f"TFP_RULESET is '{default}', but no published ruleset has that id"
                    f"{suggest(default, ids)} (published: {', '.join(ids) or 'none'}; "
                    f"drafts: {', '.join(r for r in library.refs() if library.status(r) == 'draft') or 'none'})",
                )
            ]
        )
    return library


class LiveLibrary:
    """A `RulesetLibrary` that follows its directory (the same `resolve`, `refs` and
    iteration, each answered by the newest whole set of files)."""

    def __init__(
        self,
        directory: str | Path,
        *,
        check_every: float = 2.0,
        clock: Callable[[], float] = time.monotonic,
        default: str = DEFAULT_RULESET_ID,
    ):
        self.directory = Path(directory)
        self.default = default  # the ruleset id a request that names none is decided with
        self.check_every = check_every
        self._clock = clock
        self._lock = threading.Lock()
        self._snapshot = _snapshot(self.directory)
        self._library = _load(
            self.directory, self.default
        )  # at start-up a broken ruleset stops the service
        self._checked = clock()
        self.refused: RulesetError | None = None  # why the files on disk are not being served
        self.refused_at: str | None = None

    def current(self) -> RulesetLibrary:
        """The rulesets in force now, after reloading them if their files changed."""
        if self._clock() - self._checked >= self.check_every:
            with self._lock:
                if self._clock() - self._checked >= self.check_every:
                    self._check()
        return self._library

    def _check(self) -> None:
        self._checked = self._clock()
        snapshot = _snapshot(self.directory)
        if snapshot == self._snapshot:
            return
        try:
            library = _load(self.directory, self.default)
        except RulesetError as exc:
            if self.refused is None or exc.problems != self.refused.problems:
                log.error(
                    "rulesets not reloaded; still serving %s: %s",
                    ", ".join(self._library.refs()),
                    "; ".join(str(p) for p in exc.problems),
                )
            self.refused = exc
            self.refused_at = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
            return  # the snapshot stays old, so the next check tries again
        self._snapshot, self._library, self.refused = snapshot, library, None
        log.info("rulesets reloaded: %s", ", ".join(library.refs()))

    # the RulesetLibrary interface
    def resolve(
        self, spec: str | None = None, on: dt.date | None = None, *, drafts: bool = False
    ) -> Ruleset:
        return self.current().resolve(spec or self.default, on, drafts=drafts)

    def refs(self, *, published_only: bool = False) -> list[str]:
        return self.current().refs(published_only=published_only)

    def status(self, ref: str) -> str:
        return self.current().status(ref)

    def published(self) -> list[Ruleset]:
        return self.current().published()

    def __iter__(self) -> Iterator[Ruleset]:
        return iter(self.current())
