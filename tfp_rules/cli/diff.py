"""`tfp diff A B`: what a ruleset version changes against another, in a policy officer's
words (or as JSON), a thin face of `tfp_rules.policy.diff.diff_rulesets`."""

from __future__ import annotations

import json
from pathlib import Path

import click

from ..errors import RulesetError
from ..library import RulesetLibrary, load_rulesets
from ..policy.diff import diff_rulesets
from ..ruleset import Ruleset
from .base import fail, main, refusing
from .rules import RULESETS_OPTION


def _is_path(spec: str) -> bool:
    return "@" not in spec or Path(spec).exists() or spec.endswith((".yaml", ".yml"))


class _Rulesets:
    """The rulesets directory, loaded once and only if needed."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self._library: RulesetLibrary | None = None

    def library(self) -> RulesetLibrary:
        if self._library is None:
            self._library = RulesetLibrary.from_directory(self.directory)
        return self._library

    def bases(self) -> list[Ruleset]:
        """What a local file given by path may extend (none if the directory is broken: the
        file then says its base is missing)."""
        try:
            return list(self.library())
        except RulesetError:
            return []


def _ruleset(spec: str, rulesets: _Rulesets) -> Ruleset:
    """ID@VERSION (drafts too), or a ruleset file, local ones over their base."""
    if not _is_path(spec):
        library = rulesets.library()
        ruleset = library.resolve(spec, drafts=True)
        if library.status(ruleset.ref) == "draft":
            click.echo(f"note: {ruleset.ref} is a draft, not published", err=True)
        return ruleset
    path = Path(spec)
    if not path.is_file():
        fail([f"{spec}: no such ruleset file (give ID@VERSION or a path to a .yaml file)"])
    loaded, problems = load_rulesets([path], rulesets.bases())
    if problems:
        raise RulesetError(problems)
    return loaded[0]


@main.command()
@click.argument("old", metavar="A")
@click.argument("new", metavar="B")
@click.option(
    "--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True
)
@RULESETS_OPTION
def diff(old: str, new: str, fmt: str, rulesets_dir: Path) -> None:
    """What ruleset B changes against A: parameters, indicators, conditions and more.

    A and B are ID@VERSION (drafts included) or paths to ruleset files. Exits 0 whether
    or not they differ (the output says which), 1 if either is broken or unknown.
    """
    rulesets = _Rulesets(rulesets_dir)
    with refusing(old):
        a = _ruleset(old, rulesets)
    with refusing(new):
        b = _ruleset(new, rulesets)
    changes = diff_rulesets(a, b)
    if fmt == "json":
        click.echo(json.dumps(changes.to_dict(), indent=2))
    else:
        click.echo(changes.text(), nl=False)
