"""Benchmark `Store.save_decision` against a raw durable SQLite insert of the same bytes.

    .venv/bin/python benchmarks/store.py [--families N] [--seconds S] [--rounds R]
        [--seed SEED] [--json PATH] [--profile K]

N realistic families (`benchmarks/families.py`) are decided once up front. Then R rounds,
each two phases of S seconds on fresh WAL databases with synchronous=FULL, in alternating
order: `Store.save_decision` as the service runs it (sealed with a data key, an
idempotency key and request hash per call), and a raw sqlite3 INSERT of the same JSON text
a payload row holds (facts and decision), one transaction per row. The figure is the ratio
of the two rates in each round (min and median of the rounds): both pay the same fsyncs, so
the ratio is what the store adds on top of the disk.

With --profile K: K more saves under cProfile (the top functions by own time), and the
SQL statements one save runs (sqlite3's trace callback). Count fsyncs with
`strace -c -f -e trace=fsync,fdatasync` around a run.
"""

from __future__ import annotations

import argparse
import cProfile
import json
import platform
import pstats
import sqlite3
import statistics
import sys
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != ROOT / "benchmarks"]
sys.path.insert(0, str(ROOT))

from benchmarks.families import generate  # noqa: E402
from tfp_rules.evaluate import decide  # noqa: E402
from tfp_rules.intake import take_in  # noqa: E402
from tfp_rules.library import RulesetLibrary  # noqa: E402
from tfp_rules.privacy.datakeys import DataKeys  # noqa: E402
from tfp_rules.store import Store, request_hash_of  # noqa: E402
from tfp_rules.store.encoding import encoded  # noqa: E402

WARMUP = 20  # untimed writes at the start of each phase


class Workload:
    """The decided families and what each write needs, made once."""

    def __init__(self, families: int, seed: int):
        library = RulesetLibrary.from_directory()
        self.facts = generate(families, seed)
        bodies = [json.dumps(f).encode() for f in self.facts]
        self.decisions = [decide(library, take_in(library, b).facts) for b in bodies]
        self.hashes = [request_hash_of(json.loads(b)) for b in bodies]  # as the service does
        # the JSON text a payload row holds (before sealing)
        self.texts = [
            (encoded(f), encoded(d)) for f, d in zip(self.facts, self.decisions, strict=True)
        ]
        self.run = uuid.uuid4().hex[:8]

    def __len__(self) -> int:
        return len(self.facts)


def _rate(write: Callable[[int], object], seconds: float) -> tuple[float, float]:
    """(writes per second, CPU microseconds per write) of write(i), i = 0, 1, ..., for
    `seconds`, after WARMUP untimed. The CPU time (this process's, waiting on the disk not
    counted) is the steadier figure when other work shares the disk."""
    for i in range(-WARMUP, 0):
        write(i)
    clock, count = time.perf_counter, 0
    cpu = time.process_time()
    start = end = clock()
    while end - start < seconds:
        write(count)
        count += 1
        end = clock()
    return count / (end - start), (time.process_time() - cpu) * 1e6 / count


def raw_rate(path: Path, work: Workload, seconds: float) -> tuple[float, float]:
    """A raw durable INSERT of the payload's JSON text, one transaction per row."""
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("PRAGMA synchronous = FULL")
    conn.execute("CREATE TABLE payloads (id INTEGER PRIMARY KEY, facts TEXT, decision TEXT)")
    n = len(work)

    def write(i: int) -> None:
        conn.execute("BEGIN IMMEDIATE")
        conn.execute("INSERT INTO payloads VALUES (NULL, ?, ?)", work.texts[i % n])
        conn.execute("COMMIT")

    try:
        return _rate(write, seconds)
    finally:
        conn.close()


def _saver(store: Store, work: Workload, tag: str) -> Callable[[int], object]:
    key, _ = store.create_key("submitter", "benchmark")
    n = len(work)

    def write(i: int) -> object:
        return store.save_decision(
            work.decisions[i % n],
            work.facts[i % n],
            submitted_by=key.client_id,
            idempotency_key=f"bench-{work.run}-{tag}-{i}",
            request_hash=work.hashes[i % n],
        )

    return write


def save_rate(path: Path, work: Workload, seconds: float) -> tuple[float, float]:
    """`Store.save_decision` as the service runs it: sealed, with an idempotency key."""
    with Store(path, keys=DataKeys.generate()) as store:
        return _rate(_saver(store, work, path.stem), seconds)


def profile(path: Path, work: Workload, saves: int) -> dict[str, Any]:
    """cProfile's top functions over `saves` saves, and the statements of one save."""
    with Store(path, keys=DataKeys.generate()) as store:
        write = _saver(store, work, "profile")
        for i in range(-WARMUP, 0):
            write(i)
        statements: list[str] = []
        store._conn.set_trace_callback(statements.append)
        write(0)
        store._conn.set_trace_callback(None)
        profiler = cProfile.Profile()
        start = time.perf_counter()
        profiler.enable()
        for i in range(1, saves + 1):
            write(i)
        profiler.disable()
        per_save_ms = (time.perf_counter() - start) * 1000 / saves
    kinds = Counter(s.split(None, 1)[0].upper() for s in statements)
    print(f"\nprofile  {saves} saves, {per_save_ms:.2f} ms each under cProfile")
    print(f"  one save runs {len(statements)} statements: {dict(kinds)}")
    for s in statements:
        print(f"    {s[:110]}")
    pstats.Stats(profiler).sort_stats("tottime").print_stats(18)
    return {"statements_per_save": len(statements), "statement_kinds": dict(kinds)}


def _spread(values: list[float]) -> dict[str, float]:
    return {"min": min(values), "median": statistics.median(values)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--families", type=int, default=200, help="distinct families (200)")
    parser.add_argument("--seconds", type=float, default=2.0, help="seconds per phase (2)")
    parser.add_argument("--rounds", type=int, default=5, help="rounds of both phases (5)")
    parser.add_argument("--seed", type=int, default=2015, help="generator seed (2015)")
    parser.add_argument("--json", type=Path, metavar="PATH", help="also write the figures here")
    parser.add_argument("--profile", type=int, metavar="K", default=0, help="profile K saves")
    args = parser.parse_args(argv)
    if min(args.families, args.rounds) < 1 or args.seconds <= 0 or args.profile < 0:
        parser.error("--families and --rounds at least 1, --seconds positive, --profile >= 0")

    print("tfp-rules store benchmark: Store.save_decision against a raw durable INSERT")
    print(f"machine  {platform.platform()}, Python {platform.python_version()},", end=" ")
    print(f"SQLite {sqlite3.sqlite_version}")
    work = Workload(args.families, args.seed)
    sizes = [len(f) + len(d) for f, d in work.texts]
    print(f"families {len(work)} decided (seed {args.seed}),", end=" ")
    print(f"{statistics.mean(sizes) / 1024:.1f} KiB of JSON per row on average")
    print(
        f"rounds   {args.rounds} x ({args.seconds:g} s each phase), fresh WAL databases,", end=" "
    )
    print("synchronous=FULL, one transaction per row")

    saves, raws, ratios = [], [], []
    cpu: dict[str, list[float]] = {"save": [], "raw": []}
    with tempfile.TemporaryDirectory(prefix="tfp-bench-store-") as tmp:
        workdir = Path(tmp)
        for r in range(args.rounds):
            phases = [("raw", raw_rate), ("save", save_rate)]
            if r % 2:
                phases.reverse()
            got = {
                name: measure(workdir / f"{name}-{r}.sqlite", work, args.seconds)
                for name, measure in phases
            }
            (save, save_cpu), (raw, raw_cpu) = got["save"], got["raw"]
            saves.append(save)
            raws.append(raw)
            ratios.append(save / raw)
            cpu["save"].append(save_cpu)
            cpu["raw"].append(raw_cpu)
            print(
                f"  round {r + 1}: save_decision {save:7.1f}/s ({save_cpu:4.0f} us CPU each)"
                f"   raw insert {raw:7.1f}/s ({raw_cpu:4.0f} us)   ratio {ratios[-1]:.3f}"
            )
        figures: dict[str, Any] = {
            "save_decision_per_s": _spread(saves),
            "raw_insert_per_s": _spread(raws),
            "ratio": _spread(ratios),
            "cpu_us_per_write": {k: statistics.median(v) for k, v in cpu.items()},
            "rounds": args.rounds,
            "seconds": args.seconds,
            "families": len(work),
            "mean_row_kib": statistics.mean(sizes) / 1024,
            "sqlite": sqlite3.sqlite_version,
        }
        if args.profile:
            figures["profile"] = profile(workdir / "profile.sqlite", work, args.profile)
    print(
        f"\nratio    save_decision / raw insert: min {figures['ratio']['min']:.3f},"
        f" median {figures['ratio']['median']:.3f} (target 0.5)"
    )
    mine = figures["cpu_us_per_write"]
    print(f"CPU      {mine['save']:.0f} us a save, {mine['raw']:.0f} us a raw insert (medians)")
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
