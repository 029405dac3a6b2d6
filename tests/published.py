"""Publishing a test's own rulesets directory, so the library decides with its versions."""

from __future__ import annotations

from pathlib import Path

from tfp_rules.library import load_rulesets, ruleset_files
from tfp_rules.policy.register import record


def publish_all(directory: Path) -> Path:
    """Record every ruleset version under `directory` as published, as they are now."""
    loaded, problems = load_rulesets(ruleset_files(directory))
    assert not problems, problems
    for ruleset in loaded:
        record(directory, ruleset, tests="published by a test", by="tests")
    return directory
