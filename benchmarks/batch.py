"""Benchmark `tfp batch`: realistic families decided with full traces on 1 and 2 workers.

    .venv/bin/python benchmarks/batch.py [--families N] [--workers 1,2] [--flat]
                                         [--rounds R] [--dask] [--seed S] [--json PATH]

1. Writes a JSON Lines file of N families (3-6 members, the record mixes of
   `benchmarks/families.py`), generated one at a time (`iter_families`).
2. Runs `tfp batch FILE --out FILE.out --workers W` in a fresh process for each W, R
   rounds each (min and median reported), and for each run its families/s, the speed-up
   against 1 worker measured in the same run, and peak RSS of the parent process and of
   the largest worker (`resource.getrusage`, RUSAGE_SELF and RUSAGE_CHILDREN).
3. With --flat, the same at 10N on the largest W: memory should not grow with the file.
4. With --dask, once more on a LocalCluster of two single-threaded worker processes.
5. The size of each decision `tfp batch` wrote (bytes of its orjson line, newline
   excluded), median and max over the N families: the stored decision of issue 19.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import orjson

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.families import iter_families  # noqa: E402

# Runs `tfp batch` in this child and prints its own and its children's peak RSS (KiB).
_RUNNER = """
import json, resource, sys
from tfp_rules.cli import main
try:
    main(sys.argv[1:], standalone_mode=True)
except SystemExit as exc:
    code = exc.code
print(json.dumps({
    "code": code,
    "parent_kib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
    "worker_kib": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss,
}), file=sys.stderr)
"""


def write_families(path: Path, n: int, seed: int) -> None:
    with path.open("wb") as f:
        for family in iter_families(n, seed):
            f.write(orjson.dumps(family) + b"\n")


def run(facts: Path, args: list[str]) -> dict[str, float]:
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    start = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-c", _RUNNER, "batch", str(facts), "--out", f"{facts}.out", *args],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    seconds = time.perf_counter() - start
    usage = json.loads(done.stderr.strip().splitlines()[-1])
    if usage["code"] not in (0, None):
        raise SystemExit(f"tfp batch failed: {done.stderr}")
    return {
        "seconds": seconds,
        "parent_mb": usage["parent_kib"] / 1024,
        "worker_mb": usage["worker_kib"] / 1024,
    }


STORED_SAMPLE = 100  # the stored (compact) form is measured on every 100th decision


def decision_sizes(out: Path) -> dict[str, Any]:
    """Median and max bytes of the decisions in a `tfp batch` output file, one a line (the
    full trace), and of the form the store keeps (the compact trace, as
    `store.encoding.encoded` writes it before sealing), on every STORED_SAMPLE-th line."""
    from tfp_rules.compact import compact, template_for
    from tfp_rules.compile import compile_ruleset
    from tfp_rules.library import RulesetLibrary
    from tfp_rules.store.encoding import encoded

    library, templates = RulesetLibrary.from_directory(), {}
    sizes, stored = [], []
    with out.open("rb") as f:
        for number, line in enumerate(f):
            sizes.append(len(line.rstrip(b"\n")))
            if number % STORED_SAMPLE:
                continue
            decision = orjson.loads(line)
            ref = f"{decision['ruleset']['id']}@{decision['ruleset']['version']}"
            if ref not in templates:
                templates[ref] = template_for(compile_ruleset(library.resolve(ref)))
            stored.append(len(encoded(compact(decision, templates[ref])).encode()))
    if not sizes:
        raise SystemExit(f"tfp batch wrote no decisions to {out}")
    return {
        "median": statistics.median(sizes),
        "max": max(sizes),
        "decisions": len(sizes),
        "stored": {"median": statistics.median(stored), "max": max(stored), "sampled": len(stored)},
    }


def measure(facts: Path, n: int, label: str, args: list[str], rounds: int) -> dict:
    runs = [run(facts, args) for _ in range(rounds)]
    times = [r["seconds"] for r in runs]
    return {
        "label": label,
        "families": n,
        "min_s": min(times),
        "median_s": statistics.median(times),
        "rate": n / min(times),
        "parent_mb": max(r["parent_mb"] for r in runs),
        "worker_mb": max(r["worker_mb"] for r in runs),
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--families", type=int, default=20_000)
    parser.add_argument("--workers", default="1,2", help="Comma-separated worker counts.")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--flat", action="store_true", help="Also run 10N, for memory.")
    parser.add_argument("--dask", action="store_true", help="Also on a LocalCluster.")
    parser.add_argument("--seed", type=int, default=19)
    parser.add_argument("--json", type=Path, help="Write the results here too.")
    opts = parser.parse_args(argv)
    if opts.families < 1 or opts.rounds < 1:
        parser.error("--families and --rounds must be at least 1")
    counts = [int(w) for w in opts.workers.split(",")]
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        facts = Path(tmp) / "families.jsonl"
        write_families(facts, opts.families, opts.seed)
        for w in counts:
            rows.append(
                measure(facts, opts.families, f"{w} worker(s)", ["--workers", str(w)], opts.rounds)
            )
        sizes = decision_sizes(Path(f"{facts}.out"))
        if opts.dask:
            from distributed import LocalCluster

            with LocalCluster(
                n_workers=2, processes=True, threads_per_worker=1, dashboard_address=None
            ) as cluster:
                rows.append(
                    measure(
                        facts,
                        opts.families,
                        "dask, 2 workers",
                        ["--dask", cluster.scheduler_address],
                        opts.rounds,
                    )
                )
        if opts.flat:
            big = Path(tmp) / "families10.jsonl"
            write_families(big, 10 * opts.families, opts.seed)
            facts.unlink()
            rows.append(
                measure(
                    big,
                    10 * opts.families,
                    f"{max(counts)} worker(s)",
                    ["--workers", str(max(counts))],
                    1,
                )
            )
    base, base_median = rows[0]["rate"], rows[0]["median_s"]
    print(
        f"{'run':<18}{'families':>10}{'min s':>9}{'median s':>10}{'fam/s':>9}"
        f"{'x 1 worker':>11}{'parent MB':>11}{'worker MB':>11}"
    )
    for r in rows:
        r["speedup"] = r["rate"] / base  # of the fastest rounds
        r["speedup_median"] = base_median / r["median_s"] * rows[0]["families"] / r["families"]
        print(
            f"{r['label']:<18}{r['families']:>10,}{r['min_s']:>9.1f}{r['median_s']:>10.1f}"
            f"{r['rate']:>9,.0f}{r['speedup']:>11.2f}{r['parent_mb']:>11.0f}{r['worker_mb']:>11.0f}"
        )
    print(
        f"decisions written: median {sizes['median'] / 1024:.1f} KiB, "
        f"max {sizes['max'] / 1024:.1f} KiB (orjson, one a line, {sizes['decisions']:,});"
        f" stored (compact trace): median {sizes['stored']['median'] / 1024:.1f} KiB,"
        f" max {sizes['stored']['max'] / 1024:.1f} KiB ({sizes['stored']['sampled']:,} sampled)"
    )
    print(f"cores: {os.cpu_count()}, python {sys.version.split()[0]}")
    if opts.json:
        figures = {"families": opts.families, "rounds": opts.rounds, "seed": opts.seed}
        figures |= {"runs": rows, "decision_bytes": sizes}
        opts.json.write_text(json.dumps(figures, indent=2) + "\n")


if __name__ == "__main__":
    main()
