"""`tfp batch`: decisions equal `tfp eval`'s, in input order on several workers, bad lines
reported with their numbers without stopping the rest, exit statuses, store and stdout.

Constant memory is by design, not asserted: `batch.jsonl.read_lines` is a generator over
the file and the pool keeps a bounded number of chunks in flight (`tfp_rules.pool`)."""

from __future__ import annotations

import json
from pathlib import Path

import orjson
import pytest
from click.testing import CliRunner

from tfp_rules.batch.jsonl import read_lines
from tfp_rules.cli import main
from tfp_rules.compact import is_compact
from tfp_rules.store import Store

ROOT = Path(__file__).resolve().parents[1]
FAMILIES = sorted((ROOT / "fixtures" / "families").glob("*.json"))


def _line(path: Path) -> str:
    return json.dumps(json.loads(path.read_text()))


@pytest.fixture(scope="module")
def good_lines() -> list[str]:
    return [_line(p) for p in FAMILIES]


def _eval_json(path: Path) -> dict:
    result = CliRunner().invoke(main, ["eval", str(path), "--format", "json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_decisions_equal_tfp_eval_on_the_fixtures(tmp_path: Path, good_lines: list[str]) -> None:
    facts = tmp_path / "in.jsonl"
    facts.write_text("\n".join(good_lines) + "\n")
    out = tmp_path / "out.jsonl"
    result = CliRunner().invoke(main, ["batch", str(facts), "--out", str(out), "--workers", "1"])
    assert result.exit_code == 0, result.output
    decisions = out.read_bytes().splitlines()
    assert len(decisions) == len(FAMILIES)
    for path, line in zip(FAMILIES, decisions, strict=True):
        assert b"\n" not in line  # one compact line each
        assert orjson.loads(line) == _eval_json(path)
    assert not (tmp_path / "out.jsonl.errors.jsonl").exists()
    assert f"{len(FAMILIES)} families: {len(FAMILIES)} decided, 0 invalid" in result.stderr


def test_order_is_kept_on_several_workers(tmp_path: Path, good_lines: list[str]) -> None:
    # many lines, a cycle of the fixtures, so chunks of several workers interleave
    lines = [good_lines[i % len(good_lines)] for i in range(300)]
    facts = tmp_path / "in.jsonl"
    facts.write_text("\n".join(lines) + "\n")
    outs = {}
    for workers in ("1", "2"):
        out = tmp_path / f"out{workers}.jsonl"
        result = CliRunner().invoke(
            main, ["batch", str(facts), "--out", str(out), "--workers", workers]
        )
        assert result.exit_code == 0, result.output
        outs[workers] = out.read_bytes()
    assert outs["1"] == outs["2"]
    refs = [orjson.loads(line)["family_ref"] for line in outs["2"].splitlines()]
    assert refs == [json.loads(line)["family_ref"] for line in lines]


def test_bad_lines_are_reported_with_their_numbers_and_do_not_stop_the_rest(
    tmp_path: Path, good_lines: list[str]
) -> None:
    invalid = json.loads(good_lines[0])
    invalid["family_ref"] = "BAD-1"
    del invalid["assessment_date"]
    unknown = json.loads(good_lines[1])
    lines = [
        good_lines[0],  # 1
        "",  # 2: blank, skipped
        "this is not json",  # 3
        json.dumps(invalid),  # 4
        good_lines[1],  # 5
        "[1, 2]",  # 6: JSON, not an object
        json.dumps(unknown),  # 7: no such ruleset (below)
    ]
    facts = tmp_path / "in.jsonl"
    facts.write_text("\n".join(lines) + "\n")
    out = tmp_path / "out.jsonl"
    result = CliRunner().invoke(
        main, ["batch", str(facts), "--out", str(out), "--workers", "2", "--ruleset", "nosuch"]
    )
    # every line names a missing ruleset except those that fail before choosing one
    assert result.exit_code == 1
    errors = [
        orjson.loads(x) for x in (tmp_path / "out.jsonl.errors.jsonl").read_bytes().splitlines()
    ]
    assert [e["line"] for e in errors] == [1, 3, 4, 5, 6, 7]
    assert "malformed JSON" in errors[1]["problems"][0]
    assert errors[2]["family_ref"] == "BAD-1"
    assert any("assessment_date" in p for p in errors[2]["problems"])
    assert "nosuch" in errors[0]["problems"][0]

    result = CliRunner().invoke(main, ["batch", str(facts), "--out", str(out)])
    assert result.exit_code == 1
    errors = [
        orjson.loads(x) for x in (tmp_path / "out.jsonl.errors.jsonl").read_bytes().splitlines()
    ]
    assert [e["line"] for e in errors] == [3, 4, 6]
    assert [orjson.loads(x)["family_ref"] for x in out.read_bytes().splitlines()] == [
        json.loads(lines[i])["family_ref"] for i in (0, 4, 6)
    ]
    assert "6 families: 3 decided, 3 invalid" in result.stderr


def test_a_clean_run_removes_a_stale_errors_file(tmp_path: Path, good_lines: list[str]) -> None:
    facts = tmp_path / "in.jsonl"
    facts.write_text(good_lines[0] + "\n")
    errors = tmp_path / "errs.jsonl"
    errors.write_text('{"line": 9, "problems": ["old"]}\n')
    result = CliRunner().invoke(
        main, ["batch", str(facts), "--out", str(tmp_path / "o.jsonl"), "--errors", str(errors)]
    )
    assert result.exit_code == 0, result.output
    assert not errors.exists()


def test_stdout_is_the_default_output(tmp_path: Path, good_lines: list[str]) -> None:
    facts = tmp_path / "in.jsonl"
    facts.write_text("\n".join(good_lines[:3]) + "\n")
    result = CliRunner().invoke(main, ["batch", str(facts), "--out", "-"])
    assert result.exit_code == 0, result.output
    decisions = [orjson.loads(x) for x in result.stdout_bytes.splitlines()]
    assert [d["family_ref"] for d in decisions] == [
        json.loads(x)["family_ref"] for x in good_lines[:3]
    ]


def test_store_saves_every_decision_with_its_facts(tmp_path: Path, good_lines: list[str]) -> None:
    facts = tmp_path / "in.jsonl"
    facts.write_text("\n".join(good_lines[:4]) + "\nnot json\n")
    database = tmp_path / "tfp.sqlite"
    result = CliRunner().invoke(
        main,
        ["batch", str(facts), "--store", str(database), "--errors", str(tmp_path / "e.jsonl")],
    )
    assert result.exit_code == 1
    assert result.stdout == ""  # with --store and no --out, only the store gets decisions
    with Store(database) as store:
        stored = list(store.iter_latest_facts())
    assert sorted(json.loads(s.facts)["family_ref"] for s in stored) == sorted(
        json.loads(x)["family_ref"] for x in good_lines[:4]
    )
    # stored as the service stores them: compact, read back in full as `tfp batch` writes them
    out = tmp_path / "out.jsonl"
    CliRunner().invoke(
        main, ["batch", str(facts), "--out", str(out), "--errors", str(tmp_path / "e2.jsonl")]
    )
    written = {d["family_ref"]: d for d in map(json.loads, out.read_text().splitlines())}
    with Store(database) as store:
        for decision in store.list_decisions()[0]:
            assert is_compact(store.get_decision(decision.id, trace="compact").decision)
            assert store.get_decision(decision.id).decision == written[decision.family_ref]


def test_usage_errors_exit_2(tmp_path: Path) -> None:
    facts = tmp_path / "in.jsonl"
    facts.write_text("{}\n")
    result = CliRunner().invoke(main, ["batch", str(facts), "--workers", "0"])
    assert result.exit_code == 2
    result = CliRunner().invoke(
        main, ["batch", str(facts), "--workers", "2", "--dask", "tcp://127.0.0.1:1"]
    )
    assert result.exit_code == 2


def test_a_missing_input_file_is_a_clear_error(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["batch", str(tmp_path / "nope.jsonl")])
    assert result.exit_code == 1
    assert "cannot open" in result.stderr
    assert "Traceback" not in result.output


def test_lines_are_read_lazily_with_their_numbers() -> None:
    class Endless:
        """A stream that never ends: reading lazily is the only way to take two lines."""

        def __iter__(self):
            n = 0
            while True:
                n += 1
                yield b"\n" if n % 2 else b"{}\n"

    lines = read_lines(Endless())  # type: ignore[arg-type]
    assert [next(lines), next(lines)] == [(2, b"{}\n"), (4, b"{}\n")]
