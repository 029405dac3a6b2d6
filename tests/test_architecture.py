"""The direction of dependencies, read from the imports: the core knows nothing of Flask or
SQLite, durable_rules is touched in one module only, and the library never imports the service."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).parent.parent / "tfp_rules"
MODULES = sorted(PACKAGE.rglob("*.py"))
IDS = [str(p.relative_to(PACKAGE).with_suffix("")) for p in MODULES]


def imports_of(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module.split(".")[0])
    return names


@pytest.mark.parametrize("path", MODULES, ids=IDS)
def test_core_modules_import_neither_flask_sqlite_nor_the_service(path):
    forbidden = {"flask", "werkzeug", "service"}
    if path.relative_to(PACKAGE).parts[0] != "store":  # the store package, and only it
        forbidden |= {"sqlite3", "sqlite_utils"}
    assert imports_of(path) & forbidden == set()


def test_only_engine_imports_durable_rules():
    users = {p.stem for p in MODULES if imports_of(p) & {"durable", "durable_rules_engine"}}
    assert users == {"engine"}


def test_evaluation_does_no_io():
    # evaluation is a pure function of (ruleset, facts); intake and the calendar read no files
    pure = ("evaluate", "compile", "measures", "conditions", "trace", "engine", "prospects")
    outcomes = tuple(
        f"outcomes/{m}" for m in ("plan", "progress", "check", "explain", "employment")
    )
    for stem in (*pure, *outcomes, "extend", "intake", "terms", "text", "merge"):
        assert (
            imports_of(PACKAGE / f"{stem}.py") & {"os", "pathlib", "sqlite3", "requests", "io"}
            == set()
        ), stem


SERVICE = sorted((Path(__file__).parent.parent / "service").glob("*.py"))


@pytest.mark.parametrize("path", SERVICE, ids=[p.stem for p in SERVICE])
def test_the_service_reaches_storage_and_rules_only_through_the_core(path):
    assert (
        imports_of(path) & {"sqlite3", "sqlite_utils", "durable", "durable_rules_engine"} == set()
    )
