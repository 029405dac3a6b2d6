"""Extracts are destroyed after five years, by the store's clock (one the test moves):
nothing younger is touched, everything older is gone, and the register says so."""

from __future__ import annotations

from datetime import timedelta

from click.testing import CliRunner

from tfp_rules.cli import main
from tfp_rules.privacy.pseudonyms import load_secret
from tfp_rules.privacy.research import RESEARCH_RETENTION, destroy_extracts, export_extract

from .conftest import seed


def make_extracts(store, library, secret_file, tmp_path, clock):
    """Three extracts: made 2026-11-25, 2027-11-25 and 2029-11-25."""
    seed(store, library, n_families=1)
    made = []
    for year in (2026, 2027, 2029):
        clock.now = clock.now.replace(year=year)
        out = tmp_path / f"extract-{year}"
        made.append(export_extract(store, out, load_secret(secret_file), actor="cli:analyst"))
    return [r.extract for r in made]


def test_destroy_deletes_what_is_past_five_years_and_nothing_younger(
    store, library, secret_file, tmp_path, clock
):
    old, middle, young = make_extracts(store, library, secret_file, tmp_path, clock)
    clock.now = clock.now.replace(year=2032, month=11, day=25, hour=9, minute=0, second=0)
    clock.step = timedelta(0)  # the clock stands at 2032-11-25T09:00:00
    done = destroy_extracts(store, RESEARCH_RETENTION, actor="cli:dpo")
    # 2026's is past five years; 2027's was made a few seconds after 09:00, so not yet
    assert [(d.extract.id, d.action) for d in done] == [(old.id, "deleted")]
    register = {e.id: e for e in store.list_extracts()}
    assert register[old.id].destruction == "deleted" and register[old.id].destroyed_by == "cli:dpo"
    assert register[old.id].destroyed_at.startswith("2032-11-25T09:00:00")
    assert register[middle.id].destroyed_at is None and register[young.id].destroyed_at is None
    assert not (tmp_path / "extract-2026").exists()
    assert (tmp_path / "extract-2027" / "manifest.json").exists()
    assert (tmp_path / "extract-2029" / "manifest.json").exists()
    rows, _ = store.list_audit(action="research.destroy")
    assert [(r["actor"], r["target"], r["detail"]) for r in rows] == [
        ("cli:dpo", old.id, "destruction=deleted")
    ]
    clock.now += timedelta(days=1)
    done = destroy_extracts(store, RESEARCH_RETENTION, actor="cli:dpo")
    assert [(d.extract.id, d.action) for d in done] == [(middle.id, "deleted")]
    assert not (tmp_path / "extract-2027").exists()


def test_a_dry_run_changes_nothing(store, library, secret_file, tmp_path, clock):
    make_extracts(store, library, secret_file, tmp_path, clock)
    clock.now = clock.now.replace(year=2040)
    done = destroy_extracts(store, RESEARCH_RETENTION, actor="cli:dpo", dry_run=True)
    assert [d.action for d in done] == ["deleted"] * 3
    assert all(e.destroyed_at is None for e in store.list_extracts())
    assert (tmp_path / "extract-2026").exists()
    assert store.list_audit(action="research.destroy")[0] == []


def test_an_extract_already_gone_is_recorded_as_such(store, library, secret_file, tmp_path, clock):
    import shutil

    old, _, _ = make_extracts(store, library, secret_file, tmp_path, clock)
    shutil.rmtree(tmp_path / "extract-2026")
    clock.now = clock.now.replace(year=2032, month=1)
    [done] = destroy_extracts(store, RESEARCH_RETENTION, actor="cli:dpo")
    assert (done.extract.id, done.action) == (old.id, "already_gone")
    assert store.get_extract(old.id).destruction == "already_gone"


def test_a_directory_that_does_not_hold_the_extract_is_not_touched(
    store, library, secret_file, tmp_path, clock
):
    old, _, _ = make_extracts(store, library, secret_file, tmp_path, clock)
    directory = tmp_path / "extract-2026"
    (directory / "manifest.json").write_text('{"extract_id": "someone else"}')
    clock.now = clock.now.replace(year=2032, month=1)
    [done] = destroy_extracts(store, RESEARCH_RETENTION, actor="cli:dpo")
    assert done.action == "refused" and directory.exists()
    assert store.get_extract(old.id).destroyed_at is None


def test_the_command_line_exports_lists_and_destroys(tmp_path, secret_file, monkeypatch):
    runner = CliRunner()
    database = tmp_path / "tfp.sqlite"
    out = tmp_path / "extract"
    result = runner.invoke(
        main,
        [
            "research",
            "export",
            "--out",
            str(out),
            "--secret-file",
            str(secret_file),
            "--database",
            str(database),
        ],
    )
    assert result.exit_code == 0, result.output
    assert "records/decisions.csv\t0 rows" in result.output
    listed = runner.invoke(main, ["research", "list", "--database", str(database)])
    assert listed.exit_code == 0 and "\theld" in listed.output and str(out) in listed.output
    dry = runner.invoke(
        main,
        ["research", "destroy", "--older-than", "0d", "--dry-run", "--database", str(database)],
    )
    assert dry.exit_code == 0 and "would delete" in dry.output and out.exists()
    none = runner.invoke(main, ["research", "destroy", "--database", str(database)])
    assert none.exit_code == 0 and "no extract is older than 5y" in none.output
    gone = runner.invoke(
        main, ["research", "destroy", "--older-than", "0d", "--database", str(database)]
    )
    assert gone.exit_code == 0 and "\tdeleted\t" in gone.output and not out.exists()
    listed = runner.invoke(main, ["research", "list", "--database", str(database)])
    assert "destroyed " in listed.output and "(deleted)" in listed.output


def test_export_refuses_without_a_secret_and_says_how_to_make_one(tmp_path, monkeypatch):
    monkeypatch.delenv("TFP_RESEARCH_SECRET_FILE", raising=False)
    database = tmp_path / "tfp.sqlite"
    out = tmp_path / "extract"
    result = CliRunner().invoke(
        main, ["research", "export", "--out", str(out), "--database", str(database)]
    )
    assert result.exit_code == 1
    assert "needs a secret file" in result.output and "secrets.token_hex(32)" in result.output
    assert not out.exists()


def test_export_refuses_a_short_or_shared_secret(tmp_path, monkeypatch):
    short = tmp_path / "short.secret"
    short.write_text("tooshort")
    short.chmod(0o600)
    shared = tmp_path / "shared.secret"
    shared.write_text("x" * 64)
    shared.chmod(0o644)
    for path, message in ((short, "fewer than 32"), (shared, "readable by others")):
        monkeypatch.setenv("TFP_RESEARCH_SECRET_FILE", str(path))
        result = CliRunner().invoke(
            main,
            [
                "research",
                "export",
                "--out",
                str(tmp_path / "x"),
                "--database",
                str(tmp_path / "tfp.sqlite"),
            ],
        )
        assert result.exit_code == 1 and message in result.output
