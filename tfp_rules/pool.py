"""Many facts documents on several worker processes, each compiling its rulesets once.

`Pool(work, rulesets_dir, workers=N).map(items)` applies `work` to every item and yields
the results in input order. Each worker loads the rulesets directory and calls
`work.prepare(library)` once (its initializer: resolve and compile what it needs); then it
runs chunks of items through the function that returned. The input is read lazily and at
most `in_flight` chunks are out at a time, so a stream of 100,000 documents never sits in
the parent; what a worker sends back is whatever `work` returns, so a caller that needs a
summary asks for a summary, not a 34 KiB trace over a pipe.

Workers are started with "spawn", never "fork": durable_rules keeps a global C host
(`engine.py`), and a child forked from a process that has compiled rules (the service
always has) would share that host's memory with its parent. `workers=1` runs in the
calling process, with the library given or loaded there, and starts nothing.
"""

from __future__ import annotations

import multiprocessing
import os
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from itertools import islice
from pathlib import Path
from typing import Any, Protocol

from .errors import TfpError
from .library import RulesetLibrary

DEFAULT_CHUNK = 64


class PoolError(TfpError):
    """The pool could not run: a worker failed to start or died."""


class Work(Protocol):
    """What a pool does with each item; pickled to every worker, so a plain, small object."""

    def prepare(self, library: RulesetLibrary) -> Callable[[Any], Any]:
        """Once per worker: resolve and compile the rulesets needed; the per-item function."""
        ...


def default_workers() -> int:
    """Every core this process may use."""
    count = getattr(os, "process_cpu_count", None)  # Python 3.13+: honours the CPU affinity
    if count is not None:
        return count() or 1
    try:
        return len(os.sched_getaffinity(0)) or 1
    except AttributeError:  # pragma: no cover - not Linux
        return os.cpu_count() or 1


# The one piece of worker-process state: the prepared per-item function, or why there is none.
_WORKER: dict[str, Any] = {}


def _start(directory: str, work: Work) -> None:
    """A worker's initializer. A failure is kept and raised with the first chunk, so the
    caller sees the real error instead of a broken pool."""
    try:
        _WORKER["apply"] = work.prepare(RulesetLibrary.from_directory(directory))
    except BaseException as exc:
        _WORKER["failed"] = exc


def _run(chunk: list[Any]) -> list[Any]:
    if "failed" in _WORKER:
        raise _WORKER["failed"]
    apply = _WORKER["apply"]
    return [apply(item) for item in chunk]


def chunks(items: Iterable[Any], size: int) -> Iterator[list[Any]]:
    """`items` in lists of `size` (the last maybe shorter), read lazily."""
    it = iter(items)
    while chunk := list(islice(it, size)):
        yield chunk


class Pool:
    """Apply `work` to a stream of items on `workers` processes (default: every core).

    `library` (optional) serves `workers=1`, in process, instead of loading the directory
    again. `in_flight` bounds the chunks submitted and not yet yielded (default: two per
    worker, so none waits while the parent reads the next result).
    """

    def __init__(
        self,
        work: Work,
        rulesets_dir: str | Path,
        *,
        workers: int | None = None,
        chunk_size: int = DEFAULT_CHUNK,
        in_flight: int | None = None,
        library: RulesetLibrary | None = None,
    ):
        self.work = work
        self.directory = Path(rulesets_dir)
        self.workers = workers or default_workers()
        if self.workers < 1 or chunk_size < 1:
            raise ValueError("workers and chunk_size must be at least 1")
        self.chunk_size = chunk_size
        self.in_flight = in_flight or 2 * self.workers
        self.library = library

    def map(self, items: Iterable[Any]) -> Iterator[Any]:
        """The result of every item, in input order, read and yielded as a stream."""
        if self.workers == 1:
            return self._in_process(items)
        return self._on_workers(items)

    def _in_process(self, items: Iterable[Any]) -> Iterator[Any]:
        library = self.library or RulesetLibrary.from_directory(self.directory)
        apply = self.work.prepare(library)
        for item in items:
            yield apply(item)

    def _on_workers(self, items: Iterable[Any]) -> Iterator[Any]:
        executor = ProcessPoolExecutor(
            max_workers=self.workers,
            mp_context=multiprocessing.get_context("spawn"),
            initializer=_start,
            initargs=(str(self.directory), self.work),
        )
        pending: deque[Future[list[Any]]] = deque()
        try:
            for chunk in chunks(items, self.chunk_size):
                pending.append(executor.submit(_run, chunk))
                if len(pending) >= self.in_flight:
                    yield from _result(pending.popleft())
            while pending:
                yield from _result(pending.popleft())
        finally:
            # an early stop (the caller broke off, or a chunk failed) cancels what is queued
            executor.shutdown(wait=True, cancel_futures=True)


def _result(future: Future[list[Any]]) -> list[Any]:
    try:
        return future.result()
    except BrokenProcessPool as exc:
        raise PoolError(f"a worker process died: {exc}") from exc
