"""Benchmark the rules engine against a hand-written plain-Python baseline.

    .venv/bin/python benchmarks/engine.py [--families N] [--memory-families M]
                                          [--repeats R] [--seed S] [--json PATH]

1. Generates N random family facts documents (benchmarks/families.py), parses
   each once with `intake.take_in` (every check the service makes) and compiles the national ruleset once; neither
   is timed.
2. Checks, before timing anything, that the engine (`tfp_rules.evaluate`) and
   the baseline (benchmarks/baseline.py) agree on every family: eligibility,
   headlines met, and for every indicator the set of subjects that met it
   (the engine's `met_by`). Any disagreement, or an engine error on a valid
   document, aborts the run with exit status 1: it is a bug in one of them.
   It also checks that `fire_plain` (below: the same firing done in plain Python
   instead of durable_rules) gives every family exactly the engine's decision.
3. Times five sides over the same families, R rounds, rotating which side goes
   first, with `perf_counter_ns` around every call; every result is serialised
   with orjson:
   - end to end (parse + evaluate + serialise), each from the document's JSON
     bytes through `intake.take_in` (every check the service makes):
     the engine (decision with its full trace), the baseline (`evaluate_plain`,
     decision only), and plain firing (the engine's measures and full trace,
     the firing done by `fire_plain` instead of durable_rules);
   - decision only (facts parsed beforehand): the engine (`evaluate`) and the
     baseline (`evaluate_plain`).
   Ratios are of median throughputs, with the min and median of each side.
4. Runs M engine evaluations (cycling through the N families) and samples the
   resident set size every 10,000 to show whether memory grows.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
# Run as a script, Python puts benchmarks/ first on sys.path, where this file would
# shadow any top-level module called "engine"; import from the project root instead.
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != ROOT / "benchmarks"]
sys.path.insert(0, str(ROOT))

import orjson  # noqa: E402

from benchmarks.baseline import evaluate_plain  # noqa: E402
from benchmarks.families import generate  # noqa: E402
from tfp_rules.compile import CompiledRuleset, compile_ruleset  # noqa: E402
from tfp_rules.conditions import could_hold, holds  # noqa: E402
from tfp_rules.evaluate import (  # noqa: E402
    Firing,
    _decision,
    evaluate,
    fire,
    measure_family,
    unchecked_sources,
)
from tfp_rules.facts import FamilyFacts  # noqa: E402
from tfp_rules.intake import take_in  # noqa: E402
from tfp_rules.library import RulesetLibrary  # noqa: E402

RULESET = "national@2015.1"  # the version the baseline hard-codes
SAMPLE_EVERY = 10_000
FLAT_MB = 5.0
MAX_SHOWN = 10


# --------------------------------------------------------------------------- machine


def _machine() -> dict[str, Any]:
    cpu = platform.processor() or ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    try:
        from importlib.metadata import version

        durable = version("durable-rules")
    except Exception:
        durable = "unknown"
    return {
        "platform": platform.platform(),
        "python": f"{platform.python_implementation()} {platform.python_version()}",
        "cpu_count": os.cpu_count(),
        "cpu": cpu,
        "durable_rules": durable,
    }


def _git() -> str:
    def git(*args: str) -> str:
        done = subprocess.run(
            ["git", *args], cwd=ROOT, capture_output=True, text=True, timeout=10, check=True
        )
        return done.stdout.strip()

    try:
        commit = git("rev-parse", "--short", "HEAD")
    except (OSError, subprocess.SubprocessError):
        return "unknown (git rev-parse failed)"
    try:
        dirty = bool(git("status", "--porcelain"))
    except (OSError, subprocess.SubprocessError):
        return commit
    return f"{commit} + uncommitted changes" if dirty else commit


def _rss_mb() -> float:
    """Current resident set size, from /proc/self/statm."""
    pages = int(Path("/proc/self/statm").read_text().split()[1])
    return pages * os.sysconf("SC_PAGE_SIZE") / 2**20


def _peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


# --------------------------------------------------------------------------- agreement


def _engine_view(decision: dict[str, Any]) -> dict[str, Any]:
    indicators = {
        ind["id"]: sorted(ind["met_by"])
        for headline in decision["trace"]["headlines"]
        for ind in headline["indicators"]
    }
    return {
        "eligible": decision["eligible"],
        "headlines_met": sorted(decision["headlines_met"]),
        "indicators": indicators,
    }


def _differences(engine: dict[str, Any], plain: dict[str, Any]) -> list[str]:
    out = []
    for key in ("eligible", "headlines_met"):
        if engine[key] != plain[key]:
            out.append(f"{key}: engine {engine[key]}, baseline {plain[key]}")
    for ind in sorted(set(engine["indicators"]) | set(plain["indicators"])):
        e, p = engine["indicators"].get(ind), plain["indicators"].get(ind)
        if e != p:
            e_text = "(no such indicator)" if e is None else e
            p_text = "(no such indicator)" if p is None else p
            out.append(f"{ind}: engine met_by {e_text}, baseline {p_text}")
    return out


def check_agreement(
    compiled: CompiledRuleset, docs: list[dict[str, Any]], facts: list[FamilyFacts]
) -> float:
    """Abort (exit 1) unless engine and baseline agree on every family; return the eligible share."""
    failures: list[tuple[int, str, list[str]]] = []
    eligible = 0
    for i, f in enumerate(facts):
        plain = evaluate_plain(f)
        try:
            decision = evaluate(compiled, f)
        except Exception as exc:
            message = f"{type(exc).__name__}: {exc}"
            if len(message) > 300:
                message = message[:300] + f"... ({len(message)} characters)"
            failures.append((i, "engine raised on a valid document", [message]))
            continue
        eligible += decision["eligible"]
        diffs = _differences(_engine_view(decision), plain)
        if diffs:
            failures.append((i, "disagreement", diffs))
    if not failures:
        return eligible / len(facts)

    raised = sum(1 for _, kind, _ in failures if kind != "disagreement")
    print(
        f"\nABORTED: engine and baseline do not agree on {len(failures)} of {len(facts)} families "
        f"({len(failures) - raised} disagreements, {raised} engine errors). This is a bug in "
        "tfp_rules or in benchmarks/baseline.py; nothing was timed.",
        file=sys.stdout,
    )
    for i, kind, diffs in failures[:MAX_SHOWN]:
        print(f"- {facts[i].family_ref}: {kind}")
        for d in diffs:
            print(f"    {d}")
    if len(failures) > MAX_SHOWN:
        print(f"  ... and {len(failures) - MAX_SHOWN} more")
    dump = Path(tempfile.gettempdir()) / "tfp-benchmark-failures.json"
    dump.write_text(json.dumps([docs[i] for i, _, _ in failures], indent=1) + "\n")
    print(f"The {len(failures)} failing facts documents are in {dump}")
    sys.exit(1)


# --------------------------------------------------------------------------- plain firing


def fire_plain(compiled: CompiledRuleset, facts: FamilyFacts) -> Firing:
    """What `evaluate.fire` concludes, with the rule work done in plain Python instead of
    durable_rules (benchmark only): the same measures and engine facts, each indicator's,
    the family rule's and the eligibility rules' reading of the same compiled ruleset by
    `conditions.holds` and `could_hold`."""
    ruleset = compiled.ruleset
    assert ruleset.family is not None
    unchecked = unchecked_sources(facts)
    people, measured, reach, engine_facts = measure_family(
        compiled, facts, with_reach=bool(unchecked)
    )
    firing = Firing(people, measured, reach, {}, set(), False, unchecked=unchecked)
    reachable: set[str] = set()
    values = {s.ref: {k: m.value for k, m in measured[s.ref].items()} for s in people}
    for ind in ruleset.indicators:
        open_to = bool(unchecked & set(ind.data_sources))
        for subject in people:
            if not subject.applies(ind.applies_to):
                continue
            key = (ind.id, subject.ref)
            if holds(ind.when, values[subject.ref]):
                firing.met.setdefault(key, set()).add("rule")
                firing.headlines.add(ind.headline)
                reachable.add(ind.headline)
            elif open_to and could_hold(ind.when, reach[subject.ref]):
                firing.unknown.add(key)
                reachable.add(ind.headline)
    for f in engine_facts:
        if f["kind"] == "judgement":
            firing.met.setdefault((f["indicator"], f["subject"]), set()).add("judgement")
            firing.headlines.add(f["headline"])
            reachable.add(f["headline"])
    family_open = bool(unchecked & set(ruleset.family.data_sources))
    for subject in people:
        if subject.kind != "member":
            continue
        if holds(ruleset.family.when, values[subject.ref]):
            firing.family[subject.ref] = "met"
        elif family_open and could_hold(ruleset.family.when, reach[subject.ref]):
            firing.family[subject.ref] = "unknown"
    required = ruleset.headlines_required
    firing.eligible = len(firing.headlines) >= required and "met" in firing.family.values()
    firing.reachable = len(reachable) >= required and bool(firing.family)
    return firing


def evaluate_plain_firing(compiled: CompiledRuleset, facts: FamilyFacts) -> dict[str, Any]:
    """The engine's decision with its full trace, fired by `fire_plain`."""
    return _decision(compiled, facts, fire_plain(compiled, facts))


def check_plain_firing(compiled: CompiledRuleset, facts: list[FamilyFacts]) -> None:
    """Abort (exit 1) unless plain firing gives every family exactly the engine's decision."""
    differ = [
        f.family_ref
        for f in facts
        if orjson.dumps(evaluate_plain_firing(compiled, f)) != orjson.dumps(evaluate(compiled, f))
    ]
    if differ:
        print(
            f"\nABORTED: plain firing and durable_rules decide {len(differ)} of {len(facts)} "
            f"families differently (e.g. {', '.join(differ[:MAX_SHOWN])}); nothing was timed."
        )
        sys.exit(1)


# --------------------------------------------------------------------------- timing


SIDES = (
    "engine_e2e",
    "baseline_e2e",
    "plain_firing_e2e",
    "engine",
    "baseline",
)
LABELS = {
    "engine_e2e": "engine, end to end: parse + durable_rules + full trace + orjson",
    "baseline_e2e": "baseline, end to end: parse + hand-written decision + orjson",
    "plain_firing_e2e": "plain firing, end to end: parse + Python firing + full trace + orjson",
    "engine": "engine, decision only: durable_rules + full trace + orjson",
    "baseline": "baseline, decision only: hand-written decision + orjson",
}


def _calls(compiled: CompiledRuleset, library: RulesetLibrary) -> dict[str, Callable[[Any], bytes]]:
    """Each timed side as a call on one family (its JSON bytes for end to end, else its
    parsed facts)."""

    def engine_e2e(raw: bytes) -> bytes:
        return orjson.dumps(evaluate(compiled, take_in(library, raw, RULESET).facts))

    def baseline_e2e(raw: bytes) -> bytes:
        return orjson.dumps(evaluate_plain(take_in(library, raw, RULESET).facts))

    def plain_firing_e2e(raw: bytes) -> bytes:
        return orjson.dumps(evaluate_plain_firing(compiled, take_in(library, raw, RULESET).facts))

    return {
        "engine_e2e": engine_e2e,
        "baseline_e2e": baseline_e2e,
        "plain_firing_e2e": plain_firing_e2e,
        "engine": lambda f: orjson.dumps(evaluate(compiled, f)),
        "baseline": lambda f: orjson.dumps(evaluate_plain(f)),
    }


def _pass(call: Callable[[Any], Any], items: list[Any]) -> tuple[int, list[int]]:
    """One timed pass: (wall ns, per-call ns)."""
    clock = time.perf_counter_ns
    latencies = []
    append = latencies.append
    gc.collect()
    start = clock()
    for item in items:
        t0 = clock()
        call(item)
        append(clock() - t0)
    return clock() - start, latencies


def _percentile(sorted_ns: list[int], q: float) -> float:
    """Nearest-rank percentile, in microseconds."""
    rank = max(1, -(-len(sorted_ns) * q // 100))
    return sorted_ns[int(rank) - 1] / 1000


RATIOS = {
    "end_to_end_engine_over_baseline": ("engine_e2e", "baseline_e2e"),
    "decision_only_engine_over_baseline": ("engine", "baseline"),
    "engine_over_plain_firing": ("engine_e2e", "plain_firing_e2e"),
}


def time_all(
    compiled: CompiledRuleset,
    library: RulesetLibrary,
    raws: list[bytes],
    facts: list[FamilyFacts],
    repeats: int,
) -> dict[str, Any]:
    """Every side over the same families, `repeats` rounds rotating which goes first."""
    sides = _calls(compiled, library)
    inputs = {name: raws if name.endswith("_e2e") else facts for name in SIDES}
    warm = min(500, len(facts))
    for name in SIDES:
        _pass(sides[name], inputs[name][:warm])
    walls: dict[str, list[int]] = {name: [] for name in SIDES}
    lats: dict[str, list[int]] = {name: [] for name in SIDES}
    for rep in range(repeats):
        for name in SIDES[rep % len(SIDES) :] + SIDES[: rep % len(SIDES)]:
            wall, latencies = _pass(sides[name], inputs[name])
            walls[name].append(wall)
            lats[name].extend(latencies)
    out: dict[str, Any] = {}
    for name in SIDES:
        rates = [len(facts) * 1e9 / w for w in walls[name]]
        ordered = sorted(lats[name])
        out[name] = {
            "families_per_second_median": statistics.median(rates),
            "families_per_second_min": min(rates),
            "families_per_second_max": max(rates),
            "latency_us_p50": _percentile(ordered, 50),
            "latency_us_p99": _percentile(ordered, 99),
            "latency_us_mean": statistics.fmean(ordered) / 1000,
            "calls": len(ordered),
        }
    for ratio, (top, bottom) in RATIOS.items():
        # per round (sides of one round ran back to back), then min and median over rounds
        per_round = [walls[bottom][i] / walls[top][i] for i in range(repeats)]
        out[ratio] = {"median": statistics.median(per_round), "min": min(per_round)}
    return out


def stages(compiled: CompiledRuleset, facts: list[FamilyFacts]) -> dict[str, float]:
    """Mean microseconds per family of each step of an engine call, by difference of
    cumulative prefixes (measures; + durable_rules; + trace; + orjson), best of 3
    passes over the first 1,000 families."""
    prefixes = {
        "measures": lambda f: measure_family(compiled, f),
        "rules": lambda f: fire(compiled, f),
        "trace": lambda f: evaluate(compiled, f),
        "json": lambda f: orjson.dumps(evaluate(compiled, f)),
    }
    sample = facts[:1000]
    # best of three passes per prefix: differences of noisy single passes can even go negative
    cumulative = {
        name: min(_pass(call, sample)[0] for _ in range(3)) / len(sample) / 1000
        for name, call in prefixes.items()
    }
    out, before = {}, 0.0
    for name, total in cumulative.items():
        out[name] = max(0.0, total - before)
        before = total
    return out


# --------------------------------------------------------------------------- memory


def memory_run(compiled: CompiledRuleset, facts: list[FamilyFacts], total: int) -> dict[str, Any]:
    samples: list[tuple[int, float]] = []
    start = time.perf_counter()
    for i in range(total):
        orjson.dumps(evaluate(compiled, facts[i % len(facts)]))
        if (i + 1) % SAMPLE_EVERY == 0:
            samples.append((i + 1, _rss_mb()))
    elapsed = time.perf_counter() - start
    growth = samples[-1][1] - samples[0][1] if len(samples) >= 2 else None
    return {
        "evaluations": total,
        "seconds": elapsed,
        "samples": [{"after": n, "rss_mb": round(mb, 2)} for n, mb in samples],
        "growth_mb": None if growth is None else round(growth, 2),
        "flat": growth is not None and growth < FLAT_MB,
        # ru_maxrss can lag the statm counter slightly; report the larger.
        "peak_rss_mb": round(max([_peak_rss_mb(), *(mb for _, mb in samples)]), 2),
    }


# --------------------------------------------------------------------------- main


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--families", type=int, default=5000, help="families to time (5000)")
    parser.add_argument(
        "--memory-families",
        type=int,
        default=100_000,
        help="engine evaluations in the memory run (100000; 0 skips it)",
    )
    parser.add_argument("--repeats", type=int, default=5, help="timed repetitions (5)")
    parser.add_argument("--seed", type=int, default=2015, help="generator seed (2015)")
    parser.add_argument("--json", type=Path, metavar="PATH", help="also write the figures here")
    args = parser.parse_args(argv)
    if args.families < 1 or args.repeats < 1 or args.memory_families < 0:
        parser.error("--families and --repeats must be at least 1, --memory-families at least 0")

    machine = _machine()
    commit = _git()
    print(f"tfp-rules benchmark: {RULESET} via durable_rules vs plain-Python baseline")
    print(
        f"machine  {machine['platform']}, {machine['python']}, {machine['cpu_count']} CPUs"
        + (f" ({machine['cpu']})" if machine["cpu"] else "")
    )
    print(f"         durable-rules {machine['durable_rules']}")
    print(f"commit   {commit}")

    docs = generate(args.families, args.seed)
    library = RulesetLibrary.from_directory()
    facts = [take_in(library, d, RULESET).facts for d in docs]
    compiled = compile_ruleset(library.resolve(RULESET))
    print(f"ruleset  {RULESET} sha256 {compiled.ruleset.sha256[:12]}, compiled once")
    print(f"families {len(facts)} generated (seed {args.seed}), parsed once (not timed)")

    eligible = check_agreement(compiled, docs, facts)
    n_ind = sum(len(h.indicators) for h in compiled.ruleset.headlines)
    print(
        f"check    engine and baseline agree on all {len(facts)} families "
        f"(eligible, headlines, who met each of {n_ind} indicators); {eligible:.1%} eligible"
    )

    check_plain_firing(compiled, facts)
    print(f"check    plain firing gives all {len(facts)} families exactly the engine's decision")

    raws = [orjson.dumps(d) for d in docs]
    timing = time_all(compiled, library, raws, facts, args.repeats)
    timing["ratio_engine_over_baseline_throughput"] = timing["decision_only_engine_over_baseline"][
        "median"
    ]
    print(
        f"\ntiming   {args.repeats} rounds x {len(facts)} families per side, rotating which "
        "side goes first;\n         every result serialised with orjson"
    )
    print(f"  {'':<70} {'families/s':>11} {'(min-max)':>15} {'p50 us':>8} {'p99 us':>8}")
    for name in SIDES:
        t = timing[name]
        span = f"{t['families_per_second_min']:,.0f}-{t['families_per_second_max']:,.0f}"
        print(
            f"  {LABELS[name]:<70} {t['families_per_second_median']:>11,.0f} "
            f"{'(' + span + ')':>15} {t['latency_us_p50']:>8,.1f} {t['latency_us_p99']:>8,.1f}"
        )
    print("  throughput ratios, per round (median, min):")
    for ratio in RATIOS:
        r = timing[ratio]
        print(f"    {ratio:<40} {r['median']:.3f} (min {r['min']:.3f})")
    steps = stages(compiled, facts)
    timing["engine_stages_us"] = steps
    print("  where an engine call's time goes (us per family, best of 3 passes):")
    labels = {
        "measures": "measures (windows, counts, rates, with provenance)",
        "rules": "durable_rules (indicator -> headline -> decision)",
        "trace": "trace (every indicator, subject and comparison)",
        "json": "orjson.dumps of the decision",
    }
    for name, us in steps.items():
        print(f"    {labels[name]:<52} {us:>8,.1f}")

    memory = None
    if args.memory_families:
        print(
            f"\nmemory   engine, {args.memory_families:,} evaluations (+ orjson.dumps) cycling "
            f"the {len(facts)} families; RSS every {SAMPLE_EVERY:,}"
        )
        memory = memory_run(compiled, facts, args.memory_families)
        for s in memory["samples"]:
            print(f"  after {s['after']:>9,}: {s['rss_mb']:8.1f} MB")
        if memory["growth_mb"] is None:
            print(f"  growth: needs at least {2 * SAMPLE_EVERY:,} evaluations to measure")
        else:
            first = memory["samples"][0]["after"]
            last = memory["samples"][-1]["after"]
            verdict = "flat" if memory["flat"] else "GROWING"
            print(
                f"  growth {first:,} -> {last:,}: {memory['growth_mb']:+.1f} MB ({verdict}; "
                f"flat means < {FLAT_MB:g} MB)"
            )
        print(
            f"  peak RSS (whole process): {memory['peak_rss_mb']:.1f} MB; "
            f"{memory['evaluations'] / memory['seconds']:,.0f} families/s over the run"
        )

    if args.json:
        figures = {
            "ruleset": RULESET,
            "ruleset_sha256": compiled.ruleset.sha256,
            "machine": machine,
            "commit": commit,
            "families": len(facts),
            "seed": args.seed,
            "eligible_share": eligible,
            "repeats": args.repeats,
            "timing": timing,
            "memory": memory,
        }
        args.json.write_text(json.dumps(figures, indent=2) + "\n")
        print(f"\nfigures written to {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
