"""Benchmark `tfp impact` over a store of stored decisions, on 1 and 2 worker processes.

    .venv/bin/python benchmarks/impact.py [--decisions N] [--one-worker N1] [--workers W]
                                          [--from A] [--to B] [--seed S] [--json PATH]

1. Builds a store of N synthetic stored decisions quickly: the fixtures' families
   (`fixtures/families/*.json`) varied (family refs, event dates moved by up to 30 days,
   events dropped or repeated, absence and exclusion counts moved), one latest decision per
   family and, for every tenth family, an older one it superseded (history, which impact
   skips). Rows go in with one raw SQLite transaction after the Store has created the
   schema; the decision payload is a stub (impact reads only the facts).
2. The baseline, in the same run: the same families' facts evaluated once each under the
   "from" version, in this process (parse + evaluate with full trace), over the first N1.
   An impact run evaluates each family twice (both versions), so one worker at 0.5 of the
   baseline would mean the pool costs nothing.
3. `run_impact` over the store (stream, pool, aggregation) on 1 worker over the first N1
   families (by decision id) and on W workers over all N; reports families/s, each against
   the baseline, the 1 -> W speed-up and the time for 100,000 families.

Each run also reports the CPU it used per family (this process and its workers) and the
cores that other processes on the machine used meanwhile (/proc/stat): a speed-up from more
workers needs free cores, and on a shared machine the second figure says whether there were.
"""

from __future__ import annotations

import argparse
import contextlib
import copy
import datetime as dt
import json
import os
import platform
import random
import resource
import sqlite3
import subprocess
import sys
import tempfile
import time
import uuid
from itertools import islice
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
# Run as a script, Python puts benchmarks/ first on sys.path; import from the project root.
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != ROOT / "benchmarks"]
sys.path.insert(0, str(ROOT))

from tfp_rules.compile import compile_ruleset  # noqa: E402
from tfp_rules.errors import FactsError  # noqa: E402
from tfp_rules.evaluate import evaluate  # noqa: E402
from tfp_rules.intake import take_in  # noqa: E402
from tfp_rules.library import RulesetLibrary  # noqa: E402
from tfp_rules.policy.impact import Family, run_impact  # noqa: E402
from tfp_rules.ruleset import DEFAULT_RULESETS_DIR  # noqa: E402
from tfp_rules.store import Store  # noqa: E402

FIXTURES = ROOT / "fixtures" / "families"


def _git() -> str:
    try:
        out = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True
        )
        dirty = subprocess.run(
            ["git", "status", "--porcelain"], cwd=ROOT, capture_output=True, text=True
        )
    except OSError:
        return "unknown"
    return out.stdout.strip() + (" + uncommitted changes" if dirty.stdout.strip() else "")


def _cpu_seconds() -> float:
    """CPU time of this process and of its children that have ended (the pool's workers)."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def _machine_busy_seconds() -> float:
    """CPU seconds every process on the machine has used (from /proc/stat), 0 if unknown."""
    try:
        fields = Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]
    except OSError:
        return 0.0
    user, nice, system, _idle, _iowait, irq, softirq, steal = (int(f) for f in fields[:8])
    return (user + nice + system + irq + softirq + steal) / os.sysconf("SC_CLK_TCK")


class Meter:
    """Wall time, CPU used by this benchmark (workers included), and cores others used."""

    def __enter__(self) -> Meter:
        self.wall, self.cpu, self.busy = (
            time.perf_counter(),
            _cpu_seconds(),
            _machine_busy_seconds(),
        )
        return self

    def __exit__(self, *exc: object) -> None:
        self.seconds = time.perf_counter() - self.wall
        self.cpu_used = _cpu_seconds() - self.cpu
        busy = _machine_busy_seconds() - self.busy
        self.others = max(0.0, (busy - self.cpu_used) / self.seconds) if busy else float("nan")

    def figures(self, families: int) -> dict[str, float]:
        return {
            "seconds": self.seconds,
            "rate": families / self.seconds,
            "cpu_seconds": self.cpu_used,
            "cpu_ms_per_family": 1000 * self.cpu_used / families,
            "other_cores": self.others,
        }


def _shift(day: str, days: int, latest: dt.date) -> str:
    moved = dt.date.fromisoformat(day) + dt.timedelta(days=days)
    return min(moved, latest).isoformat()


def vary(doc: dict[str, Any], rng: random.Random, ref: str) -> dict[str, Any]:
    """A fixture family made another: its ref, event dates, record counts and school counts."""
    out = copy.deepcopy(doc)
    out["family_ref"] = ref
    on = dt.date.fromisoformat(out["assessment_date"])
    for member in out.get("members", []):
        events = member.get("events") or []
        kept = []
        for event in events:
            if rng.random() < 0.1:
                continue  # dropped
            if "date" in event and rng.random() < 0.5:
                event["date"] = _shift(event["date"], rng.randint(-30, 30), on)
            kept.append(event)
            if rng.random() < 0.1:
                kept.append(dict(event))  # the same record reported twice
        if events:
            member["events"] = kept
        for term in (member.get("school") or {}).get("terms", []):
            possible = term["possible_sessions"]
            absent = max(0, min(possible, term["absent_sessions"] + rng.randint(-4, 4)))
            term["absent_sessions"] = absent
            if "unauthorised_sessions" in term:
                term["unauthorised_sessions"] = min(term["unauthorised_sessions"], absent)
            if "fixed_term_exclusions" in term:
                term["fixed_term_exclusions"] = max(
                    0, term["fixed_term_exclusions"] + rng.choice((-1, 0, 0, 1))
                )
    return out


def build_store(path: Path, n: int, seed: int) -> dict[str, Any]:
    """N latest decisions (one per family) plus superseded history for every tenth family."""
    fixtures = [json.loads(p.read_text()) for p in sorted(FIXTURES.glob("*.json"))]
    rng = random.Random(seed)
    Store(path).close()  # the schema, migrated
    start = time.perf_counter()
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("BEGIN")
    moment = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    rows = 0
    for i in range(n):
        ref = f"BENCH-{i:06d}"
        chain = 2 if i % 10 == 0 else 1
        previous = None
        for _ in range(chain):
            doc = vary(rng.choice(fixtures), rng, ref)
            decision_id = uuid.UUID(int=rng.getrandbits(128)).hex
            moment += dt.timedelta(microseconds=1000)
            conn.execute(
                "INSERT INTO decisions (id, created_at, submitted_by, family_ref,"
                " assessment_date, eligible, headlines_met, ruleset_id, ruleset_version,"
                " ruleset_sha256, previous_id, status) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
                [
                    decision_id,
                    moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
                    "benchmark",
                    ref,
                    doc["assessment_date"],
                    0,
                    "[]",
                    "national",
                    "2015.1",
                    "0" * 64,
                    previous,
                    "not_eligible",
                ],
            )
            conn.execute(
                "INSERT INTO decision_payloads (decision_id, facts, decision) VALUES (?,?,?)",
                [decision_id, json.dumps(doc), "{}"],
            )
            previous = decision_id
            rows += 1
    conn.execute("COMMIT")
    conn.close()
    return {"decisions": rows, "families": n, "seconds": time.perf_counter() - start}


def baseline(library: RulesetLibrary, ref: str, store: Store, n: int) -> dict[str, Any]:
    """Parse + evaluate (full trace) each of the first n families once, under `ref`."""
    compiled = compile_ruleset(library.resolve(ref, drafts=True))
    stored = list(islice(store.iter_latest_facts(), n))
    with Meter() as meter:
        for s in stored:
            with contextlib.suppress(FactsError):
                evaluate(compiled, take_in(library, s.facts, ref, drafts=True).facts)
    return {"families": len(stored), **meter.figures(len(stored))}


def impact_run(
    library: RulesetLibrary, store: Store, args: argparse.Namespace, workers: int, n: int
) -> dict[str, Any]:
    families = (
        Family(s.facts, s.decision_id, s.family_ref, s.decision_id)
        for s in islice(store.iter_latest_facts(), n)
    )
    with Meter() as meter:
        report = run_impact(
            library, DEFAULT_RULESETS_DIR, args.before, args.after, families, workers=workers
        )
    return {
        "workers": workers,
        "families": report.families,
        **meter.figures(report.families),
        "evaluated": report.evaluated,
        "invalid": sum(report.invalid.values()),
        "status_changes": report.status_changes,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--decisions", type=int, default=100_000, help="families (100000)")
    parser.add_argument(
        "--one-worker", type=int, help="families for the 1-worker run (default: all)"
    )
    parser.add_argument("--workers", type=int, default=2, help="workers of the pool run (2)")
    parser.add_argument("--from", dest="before", default="national@2015.1")
    parser.add_argument("--to", dest="after", default="national@2017.1")
    parser.add_argument("--seed", type=int, default=2015)
    parser.add_argument("--json", type=Path, metavar="PATH", help="also write the figures here")
    args = parser.parse_args(argv)
    n1 = min(args.one_worker or args.decisions, args.decisions)

    print(f"tfp-rules impact benchmark: {args.before} -> {args.after} over stored decisions")
    print(
        f"machine  {platform.platform()}, {platform.python_implementation()} "
        f"{platform.python_version()}, {os.cpu_count()} CPUs; commit {_git()}"
    )
    library = RulesetLibrary.from_directory()
    with tempfile.TemporaryDirectory(prefix="tfp-bench-impact-") as tmp:
        path = Path(tmp) / "tfp.sqlite"
        built = build_store(path, args.decisions, args.seed)
        print(
            f"store    {built['decisions']:,} decisions of {built['families']:,} families "
            f"built in {built['seconds']:.1f} s ({path.stat().st_size / 2**20:,.0f} MB)"
        )
        store = Store(path)
        try:
            base = baseline(library, args.before, store, n1)
            one = impact_run(library, store, args, 1, n1)
            many = impact_run(library, store, args, args.workers, args.decisions)
        finally:
            store.close()
    print(
        f"\n  {'':<48} {'families':>9} {'seconds':>8} {'families/s':>11} {'ratio':>6}"
        f" {'CPU ms/family':>14} {'others used':>12}"
    )
    rows = [
        (f"baseline: evaluate once under {args.before}, 1 process", base),
        ("impact, 1 worker (in process)", one),
        (f"impact, {args.workers} workers", many),
    ]
    for label, r in rows:
        print(
            f"  {label:<48} {r['families']:>9,} {r['seconds']:>8.1f} {r['rate']:>11,.0f} "
            f"{r['rate'] / base['rate']:>6.3f} {r['cpu_ms_per_family']:>14.2f} "
            f"{r['other_cores']:>7.2f} cores"
        )
    speedup = many["rate"] / one["rate"]
    per_100k = 100_000 / many["rate"]
    print(f"\n  speed-up 1 -> {args.workers} workers: {speedup:.2f}x")
    print(
        "  (other processes' load shares the same cores: a speed-up needs the cores free;"
        " CPU ms per family says what a family costs however busy the machine is)"
    )
    measured = "measured" if args.decisions == 100_000 else "at that rate"
    print(f"  100,000 families on {args.workers} workers: {per_100k:.0f} s ({measured})")
    print(f"  100,000 families on 1 worker: {100_000 / one['rate']:.0f} s (at its rate)")
    print(
        f"  report: {many['evaluated']:,} evaluated, {many['invalid']:,} invalid, "
        f"{many['status_changes']:,} change status"
    )
    if args.json:
        args.json.write_text(
            json.dumps(
                {"store": built, "baseline": base, "one": one, "many": many, "speedup": speedup},
                indent=2,
            )
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
