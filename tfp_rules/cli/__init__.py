"""`tfp`: command-line tools for policy officers and operators, a thin face over the library.

One module per command group, each registering its commands on `main`: `rules` (validate,
eval, rulesets), the ruleset lifecycle (`testing`: test, `diff`, `impact`, `publish`),
`outcomes` (progress), `keys` (API keys) and `datakeys` (the data keys that seal personal
data at rest), `audit`, `claims` (results claims), `research` (the
pseudonymised extract for the national evaluation), `retention` (retention by record type)
and `subject` (subject access, erasure, restriction).
Exit codes are part of the contract: 0 done, 1 invalid input (facts or ruleset; every
problem on stderr), 2 wrong usage.
"""

from __future__ import annotations

from . import (
    audit,
    batch,
    claims,
    datakeys,
    diff,
    impact,
    keys,
    outcomes,
    publish,
    research,
    retention,
    rules,
    subject,
    testing,
)
from .base import main

__all__ = [
    "audit",
    "batch",
    "claims",
    "datakeys",
    "diff",
    "impact",
    "keys",
    "main",
    "outcomes",
    "publish",
    "research",
    "retention",
    "rules",
    "subject",
    "testing",
]
