"""The same batch on a Dask distributed cluster: the input cut into blocks of lines, each
block a task, at most a few blocks per worker in flight, results gathered in input order.

Each Dask worker process loads the rulesets directory and prepares the work once (a
module-level cache keyed by directory and work), so every worker needs the same tfp-rules
and the same rulesets at the same path. Dask does the distributing; nothing here is
home-made beyond cutting the stream into blocks.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

from ..errors import TfpError
from ..library import RulesetLibrary
from ..pool import chunks
from .jsonl import Line
from .work import EvaluateLine, Result

DEFAULT_BLOCK = 512

# On each Dask worker: (rulesets directory, work) -> the prepared per-line function.
_PREPARED: dict[tuple[str, EvaluateLine], Callable[[Line], Result]] = {}


class DaskError(TfpError):
    """The Dask cluster could not be reached or a task failed."""


def _decide_block(rulesets_dir: str, work: EvaluateLine, block: list[Line]) -> list[Result]:
    """A Dask task: one block of lines decided on the worker it lands on."""
    key = (rulesets_dir, work)
    if key not in _PREPARED:
        _PREPARED[key] = work.prepare(RulesetLibrary.from_directory(rulesets_dir))
    apply = _PREPARED[key]
    return [apply(item) for item in block]


def dask_results(
    address: str,
    work: EvaluateLine,
    rulesets_dir: str | Path,
    lines: Iterable[Line],
    *,
    block_size: int = DEFAULT_BLOCK,
    in_flight: int | None = None,
) -> Iterator[Result]:
    """Every line's result, in input order, from the Dask scheduler at `address`."""
    from distributed import Client  # only a --dask run needs it

    try:
        client = Client(address, timeout=30)
    except OSError as exc:
        raise DaskError(f"cannot reach the Dask scheduler at {address}: {exc}") from exc
    directory = str(Path(rulesets_dir).resolve())
    try:
        limit = in_flight or 2 * max(1, sum(client.nthreads().values()))
        pending: deque[Any] = deque()
        for block in chunks(lines, block_size):
            pending.append(client.submit(_decide_block, directory, work, block, pure=False))
            if len(pending) >= limit:
                yield from _gather(pending.popleft())
        while pending:
            yield from _gather(pending.popleft())
    finally:
        client.close()


def _gather(future: Any) -> list[Result]:
    try:
        return future.result()
    except TfpError:
        raise
    except Exception as exc:
        raise DaskError(f"a Dask task failed: {exc}") from exc
