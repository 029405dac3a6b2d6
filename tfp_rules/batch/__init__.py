"""Batch evaluation: a JSON Lines stream of families decided on every core, or on Dask.

`jsonl` reads lines lazily with their numbers, `work` is the pool work that decides one
line, `run` writes decisions in input order (and invalid lines to an errors file), and
`dask` runs the same work on a Dask distributed cluster.
"""

from __future__ import annotations

from .run import BatchSummary, run_batch
from .work import Decided, EvaluateLine, Invalid

__all__ = ["BatchSummary", "Decided", "EvaluateLine", "Invalid", "run_batch"]
