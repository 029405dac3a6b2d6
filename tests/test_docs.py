"""The README's examples still hold: console examples that name existing files are re-run, and
every line they show must appear in today's output."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest
from click.testing import CliRunner

from tfp_rules.cli import main

ROOT = Path(__file__).parent.parent
README = (ROOT / "README.md").read_text()


def console_examples() -> list[tuple[list[str], list[str]]]:
    examples = []
    for block in re.findall(r"```console\n(.*?)```", README, re.S):
        command, *shown = block.strip("\n").split("\n")
        words = shlex.split(command.removeprefix("$ ").split("|")[0].split("#")[0])
        args = words[1:]
        paths = [a for a in args if "/" in a or a.endswith((".json", ".yaml"))]
        if all((ROOT / p).exists() for p in paths):  # examples about made-up files are skipped
            examples.append((args, shown))
    return examples


@pytest.mark.parametrize(("args", "shown"), console_examples(), ids=lambda v: " ".join(v)[:40])
def test_console_examples_still_print_what_the_readme_shows(args, shown, monkeypatch):
    monkeypatch.chdir(ROOT)
    result = CliRunner().invoke(main, args)
    for line in shown:
        assert line in result.output.splitlines(), line


def test_the_trace_excerpt_is_real():
    [excerpt] = re.findall(r"A line of the full trace.*?```\n(.*?)```", README, re.S)
    args = ["eval", str(ROOT / "tests/data/example_facts.json"), "--format", "text"]
    output = CliRunner().invoke(main, [*args, "--explain", "full"]).output
    for line in excerpt.strip("\n").split("\n"):
        assert line in output.splitlines(), line


def test_at_least_one_console_example_is_checked():
    assert console_examples()


FACTS_DOC = (ROOT / "docs" / "facts.md").read_text()


def test_the_facts_page_example_is_a_document_the_service_takes(library):
    from tfp_rules.intake import take_in

    [example] = [b for b in re.findall(r"```json\n(.*?)```", FACTS_DOC, re.S) if "family_ref" in b]
    intake = take_in(library, example)
    assert intake.facts.members[0].benefits[0].conditionality == "intensive_work_search"


def test_the_facts_page_names_every_flag_event_type_and_source():
    from tfp_rules.facts import EVENT_TYPES, FLAG_NAMES, SOURCES, UC_REGIMES

    for name in (*EVENT_TYPES, *FLAG_NAMES, *SOURCES, *UC_REGIMES):
        assert f"`{name}`" in FACTS_DOC, f"docs/facts.md does not mention `{name}`"
