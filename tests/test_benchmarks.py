"""`make bench`'s report: docs/benchmarks.md rendered from canned benchmark JSON (no
benchmark runs, no timing), and the service benchmark's gunicorn configurations."""

from __future__ import annotations

import copy
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from benchmarks.load import _tree_ticks
from benchmarks.service import Config, parse_configs
from benchmarks.targets import NOT_MEASURED, TARGETS, evaluate_targets, render
from service.run import gunicorn_command

ROOT = Path(__file__).resolve().parent.parent
TEMPLATE = (ROOT / "benchmarks" / "benchmarks.md.in").read_text()
HAND_WRITTEN = "## Why the misses"


def _config(name: str, post: float, p50: float, p99: float, raw: float) -> dict:
    return {
        "name": name,
        "http": {
            "POST /v1/evaluations": {"p50_ms": p50, "p99_ms": p99, "errors": 0},
            "GET /healthz": {"errors": 0},
        },
        "post_per_second": {"median": post, "min": post * 0.9},
        "p99_over_p50": p99 / p50,
        "ratio_healthz": 0.1,
        "ratio_raw": post / raw,
        "ratio_raw_min": post * 0.9 / raw,
        "other_processes_cores": 0.1,
    }


RESULTS = {
    "engine": {
        "timing": {
            "engine_e2e": {"families_per_second_median": 400.0},
            "baseline_e2e": {"families_per_second_median": 1000.0},
            "plain_firing_e2e": {"families_per_second_median": 500.0},
            "engine": {"families_per_second_median": 450.0},
            "baseline": {"families_per_second_median": 9000.0},
            "end_to_end_engine_over_baseline": {"median": 0.40, "min": 0.30},  # met
            "decision_only_engine_over_baseline": {"median": 0.05, "min": 0.04},  # missed
            "engine_over_plain_firing": {"median": 0.80, "min": 0.70},  # missed
        }
    },
    "batch": {
        "runs": [
            {
                "label": "1 worker(s)",
                "families": 100_000,
                "rate": 250.0,
                "min_s": 400.0,
                "median_s": 410.0,
                "parent_mb": 60.0,
                "worker_mb": 0.0,
                "speedup": 1.0,
                "speedup_median": 1.0,
            },
            {
                "label": "2 worker(s)",
                "families": 100_000,
                "rate": 480.0,
                "min_s": 208.0,
                "median_s": 210.0,
                "parent_mb": 64.0,
                "worker_mb": 70.0,
                "speedup": 1.92,
                "speedup_median": 1.95,
            },
        ],
        "decision_bytes": {"median": 9 * 1024, "max": 20 * 1024, "decisions": 100_000},
    },
    "service": {
        "settings": {"connections": 8, "rounds": 2, "seconds": 5.0},
        "configs": [
            _config("gthread 2x4", 120, 50, 400, 2000),
            _config("sync 4", 150, 45, 90, 2000),
        ],
        "store": {"raw": {"writes_per_second": 2000.0}, "ratio": 0.2},
    },
    "store": {
        "save_decision_per_s": {"min": 900, "median": 1000},
        "raw_insert_per_s": {"min": 1500, "median": 1600},
        "ratio": {"min": 0.55, "median": 0.6},
    },
    "startup": None,  # absent
}
MACHINE = {
    "date": "2026-12-02 20:00 UTC", "mode": "full", "seconds": 1200.0, "cores": 2,
    "cpu": "a CPU", "platform": "Linux", "python": "CPython 3.11.7", "commit": "abc1234",
    "others": {"engine": 0.5, "batch": 0.7},
    "make_run": "gthread 2x4", "others_overall": 0.6,
}  # fmt: skip
COMMANDS = {name: f"bench {name}" for name in ("engine", "batch", "service", "store", "startup")}


def _met() -> dict[str, bool | None]:
    return {row.target.key: row.met for row in evaluate_targets(RESULTS, COMMANDS)}


def test_every_target_is_judged_against_its_goal():
    assert _met() == {
        "end_to_end": True,
        "decision_only": False,
        "plain_firing": False,
        "decision_size": True,
        "save_decision": True,
        "post_over_raw": False,  # 120 / 2000 = 0.06
        "p99": False,  # 400 / 50 = 8
        "batch_speedup": True,
        "batch_seconds": False,  # 210 s
        "batch_rss": False,  # under 300 MB, but 1,000,000 families not run: flat unknown
        "startup": None,
    }


def test_the_page_has_a_row_per_target_and_keeps_the_hand_written_sections():
    page = render(TEMPLATE, RESULTS, COMMANDS, MACHINE)
    for target in TARGETS:
        rows = [line for line in page.splitlines() if line.startswith(f"| {target.text} |")]
        assert len(rows) == 1, target.key
    startup = next(line for line in page.splitlines() if "start-up" in line and "|" in line)
    assert NOT_MEASURED in startup and "— |" in startup
    e2e = next(line for line in page.splitlines() if line.startswith("| end to end per family"))
    assert "median 0.400, min 0.300" in e2e and "| yes |" in e2e and "`bench engine`" in e2e
    assert "| **no** |" in next(line for line in page.splitlines() if "decision only" in line)
    hand = TEMPLATE[TEMPLATE.index(HAND_WRITTEN) :]
    assert page.endswith(hand)
    assert "{{" not in page
    assert "abc1234" in page and "0.60 cores on average" in page


def test_the_configurations_table_has_each_server_configuration():
    page = render(TEMPLATE, RESULTS, COMMANDS, MACHINE)
    table = [line for line in page.splitlines() if re.match(r"\| (\*\*)?(gthread|sync) ", line)]
    assert [line.split(" | ")[0] for line in table] == ["| **gthread 2x4**", "| sync 4"]
    assert "| 8.00 |" in table[0] and "| 0.060 |" in table[0]  # p99/p50 and POST/raw


def test_the_service_targets_are_judged_on_make_runs_configuration():
    rows = evaluate_targets(RESULTS, COMMANDS, "sync 4")
    p99 = next(r for r in rows if r.target.key == "p99")
    assert p99.met is True and p99.figure.median == 2.0 and p99.figure.note == "sync 4"
    page = render(TEMPLATE, RESULTS, COMMANDS, MACHINE | {"make_run": "sync 4"})
    assert "| **sync 4** |" in page


def test_store_figures_come_from_the_service_benchmark_when_store_py_is_absent():
    results = copy.deepcopy(RESULTS) | {"store": None}
    row = next(r for r in evaluate_targets(results, COMMANDS) if r.target.key == "save_decision")
    assert row.figure.median == 0.2 and row.met is False and row.command == "bench service"


def test_a_benchmark_that_did_not_run_is_not_measured_not_missed():
    rows = evaluate_targets({}, COMMANDS)
    assert all(row.met is None and row.figure is None for row in rows)
    page = render(TEMPLATE, {}, COMMANDS, MACHINE | {"others": {}, "others_overall": None})
    assert page.count(NOT_MEASURED) >= len(TARGETS)


def test_a_template_without_its_markers_is_refused():
    with pytest.raises(ValueError, match="targets"):
        render(TEMPLATE.replace("{{targets}}", ""), RESULTS, COMMANDS, MACHINE)


def test_the_committed_page_was_written_from_the_template():
    page = (ROOT / "docs" / "benchmarks.md").read_text()
    assert page.endswith(TEMPLATE[TEMPLATE.index(HAND_WRITTEN) :])
    assert "{{" not in page and all(t.text in page for t in TARGETS)


def test_make_bench_runs_the_report():
    makefile = (ROOT / "Makefile").read_text()
    recipe = re.search(r"^bench:.*\n\t(.*)", makefile, re.MULTILINE).group(1)
    assert "benchmarks/report.py" in recipe and "$(if $(QUICK),--quick)" in recipe


def test_service_configurations_parse():
    assert parse_configs("gthread:2x4, sync:8,gevent:2") == [
        Config("gthread", 2, 4),
        Config("sync", 8),
        Config("gevent", 2),
    ]
    assert Config("gthread", 1, 8).name == "gthread 1x8" and Config("sync", 4).name == "sync 4"


@pytest.mark.parametrize(
    "text, message",
    [
        ("eventlet:2", "CLASS one of"),
        ("sync:2x4", "only gthread takes threads"),
        ("gthread:0x4", "at least 1"),
        ("gthread", "expected CLASS:WORKERS"),
        ("", "no configuration"),
    ],
)
def test_bad_service_configurations_say_what_is_wrong(text, message):
    with pytest.raises(ValueError, match=message):
        parse_configs(text)


def test_the_worker_class_reaches_gunicorn_only_when_set(tmp_path):
    command = gunicorn_command({"TFP_WORKER_CLASS": "sync", "TFP_THREADS": "1"}, tmp_path / "s")
    assert command[command.index("--worker-class") + 1] == "sync"
    assert "--worker-class" not in gunicorn_command({}, tmp_path / "s")


def test_the_load_sampler_counts_this_process_and_its_children_as_ours():
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(5)"])
    try:
        mine = _tree_ticks(os.getpid())
        assert str(os.getpid()) in mine and str(child.pid) in mine
        assert str(os.getppid()) not in mine  # the parent is someone else's
    finally:
        child.kill()
        child.wait()
