"""Issue 19's targets read from the benchmarks' JSON, and `docs/benchmarks.md` rendered from them.

Pure: takes the parsed JSON of each benchmark (None when it did not run) and the run's
facts, returns rows and Markdown; `benchmarks/report.py` runs the benchmarks around it.
A target is "met" when the median of the rounds meets it; the min is shown beside it.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

Results = dict[str, Any]  # benchmark name -> its JSON (None: not run or failed)

NOT_MEASURED = "not measured"
MARKERS = ("{{machine}}", "{{targets}}", "{{configs}}")


@dataclass(frozen=True)
class Figure:
    """What one target's benchmark measured: the figure (median; min where rounds vary),
    what it was measured against in the same run, and any caveat."""

    median: float
    min: float | None = None
    against: str = ""
    note: str = ""
    met_override: bool | None = None  # when the figure alone cannot say (e.g. not at full size)
    label: str = "median"  # what `median` is: "median" of rounds, or "peak", "pooled", ...
    min_label: str = "min"


@dataclass(frozen=True)
class Target:
    key: str
    text: str  # as issue 19 words it
    goal: float
    at_least: bool  # True: figure >= goal; False: figure <= goal
    unit: str  # "ratio", "KiB", "s", "MB", "x"
    bench: str  # which benchmark measures it
    read: Callable[[Results, str | None], Figure | None]  # (results, make run's config)


def _get(doc: Any, *path: str) -> Any:
    for key in path:
        if not isinstance(doc, dict) or key not in doc:
            return None
        doc = doc[key]
    return doc


def _engine_ratio(name: str) -> Callable[[Any], Figure | None]:
    def read(doc: Any) -> Figure | None:
        ratio = _get(doc, "timing", name)
        if ratio is None:
            return None
        top, bottom = {
            "end_to_end_engine_over_baseline": ("engine_e2e", "baseline_e2e"),
            "decision_only_engine_over_baseline": ("engine", "baseline"),
            "engine_over_plain_firing": ("engine_e2e", "plain_firing_e2e"),
        }[name]
        rate = _get(doc, "timing", top, "families_per_second_median")
        base = _get(doc, "timing", bottom, "families_per_second_median")
        against = f"{top} {rate:,.0f}/s against {bottom} {base:,.0f}/s" if rate and base else ""
        return Figure(ratio["median"], ratio["min"], against)

    return read


def _decision_size(doc: Any) -> Figure | None:
    sizes = _get(doc, "decision_bytes")
    if sizes is None:
        return None
    stored = sizes.get("stored")
    if stored is None:  # a run from before the compact trace: the full line is what was kept
        return Figure(
            sizes["median"] / 1024,
            None,
            f"max {sizes['max'] / 1024:.1f} KiB over {sizes['decisions']:,} decisions",
            "the orjson line `tfp batch` writes per family",
        )
    return Figure(
        stored["median"] / 1024,
        None,
        f"max {stored['max'] / 1024:.1f} KiB over {stored['sampled']:,} decisions (every"
        f" 100th of {sizes['decisions']:,}); the full trace: median"
        f" {sizes['median'] / 1024:.1f} KiB",
        "the JSON the store keeps (compact trace), before sealing",
    )


def _save_decision(results: Results, _make_run: str | None = None) -> Figure | None:
    ratio = _get(results.get("store"), "ratio")
    if isinstance(ratio, dict):
        return Figure(ratio["median"], ratio.get("min"), "raw durable insert, same bytes")
    store = _get(results.get("service"), "store")
    if store is None:
        return None
    return Figure(
        store["ratio"],
        None,
        f"raw insert {store['raw']['writes_per_second']:,.0f}/s",
        "one round, from the service benchmark's store lines (benchmarks/store.py absent)",
    )


def reference_config(doc: Any, make_run: str | None = None) -> dict[str, Any] | None:
    """The service benchmark's configuration named `make_run` (the one `make run` starts),
    else its first."""
    configs = _get(doc, "configs") or []
    named = [c for c in configs if c["name"] == make_run]
    return (named or configs or [None])[0]


def _post_over_raw(doc: Any, make_run: str | None) -> Figure | None:
    ref = reference_config(doc, make_run)
    if ref is None:
        return None
    raw = doc["store"]["raw"]["writes_per_second"]
    against = f"{ref['post_per_second']['median']:,.0f} POST/s against raw insert {raw:,.0f}/s"
    return Figure(ref["ratio_raw"], ref["ratio_raw_min"], against, f"{ref['name']}")


def _p99(doc: Any, make_run: str | None) -> Figure | None:
    ref = reference_config(doc, make_run)
    if ref is None:
        return None
    post = ref["http"]["POST /v1/evaluations"]
    against = f"p50 {post['p50_ms']:.1f} ms, p99 {post['p99_ms']:.1f} ms"
    return Figure(ref["p99_over_p50"], None, against, f"{ref['name']}", label="all phases pooled")


def _batch_run(doc: Any, label: str) -> dict[str, Any] | None:
    runs = [r for r in _get(doc, "runs") or [] if r["label"] == label]
    return runs[0] if runs else None


def _speedup(doc: Any) -> Figure | None:
    two, one = _batch_run(doc, "2 worker(s)"), _batch_run(doc, "1 worker(s)")
    if two is None or one is None:
        return None
    against = f"1 worker {one['rate']:,.0f}/s, 2 workers {two['rate']:,.0f}/s"
    return Figure(
        two["speedup_median"], two["speedup"], against, f"{two['families']:,} families",
        min_label="fastest rounds",
    )  # fmt: skip


def _batch_seconds(doc: Any) -> Figure | None:
    two = _batch_run(doc, "2 worker(s)")
    if two is None:
        return None
    full = two["families"] >= 100_000
    note = "on this shared machine, not an idle one"
    if not full:
        note = f"only {two['families']:,} families: not the target's size"
    return Figure(
        two["median_s"] * 100_000 / two["families"],
        two["min_s"] * 100_000 / two["families"],
        f"{two['families']:,} families in {two['median_s']:.1f} s",
        note,
        None if full else False,
    )


def _rss(doc: Any) -> Figure | None:
    runs = _get(doc, "runs")
    if not runs:
        return None
    peak = max(max(r["parent_mb"], r["worker_mb"]) for r in runs)
    largest = max(r["families"] for r in runs)
    flat = largest >= 1_000_000
    note = "" if flat else f"largest run {largest:,} families; 1,000,000 not run, so flat unknown"
    return Figure(
        peak, None, "parent and largest worker", note, None if flat else False, label="peak"
    )


def _startup(doc: Any) -> Figure | None:
    found = _stat(doc, "eval")
    if found is None:
        return None
    base = _stat(doc, "pass") or _stat(doc, "baseline")
    against = f"`python -c pass` {base['median']:.3f} s" if base else ""
    return Figure(found["median"], found.get("min"), against)


def _stat(doc: Any, word: str) -> dict[str, float] | None:
    """The first {"min", "median"} object under a key containing `word`, seconds."""
    if not isinstance(doc, dict):
        return None
    for key, value in doc.items():
        if isinstance(value, dict):
            if word in key and "median" in value:
                return value
            if (inner := _stat(value, word)) is not None:
                return inner
    return None


def _on(bench: str, read: Callable[..., Figure | None], *, config: bool = False) -> Callable:
    """A reader of one benchmark's JSON; with `config`, also given make run's configuration."""
    if config:
        return lambda results, make_run: read(results.get(bench), make_run)
    return lambda results, _make_run: read(results.get(bench))


TARGETS = (
    Target(
        "end_to_end",
        "end to end per family (parse + evaluate with full trace + serialise), engine / "
        "hand-written decision-only baseline",
        0.35, True, "ratio", "engine",
        _on("engine", _engine_ratio("end_to_end_engine_over_baseline")),
    ),
    Target(
        "decision_only",
        "decision only, engine / baseline",
        0.1, True, "ratio", "engine",
        _on("engine", _engine_ratio("decision_only_engine_over_baseline")),
    ),
    Target(
        "plain_firing",
        "end to end, engine / the same pipeline fired in plain Python",
        0.9, True, "ratio", "engine",
        _on("engine", _engine_ratio("engine_over_plain_firing")),
    ),
    Target(
        "decision_size",
        "stored decision, median (full trace still exact)",
        10.0, False, "KiB", "batch",
        _on("batch", _decision_size),
    ),
    Target(
        "save_decision",
        "`Store.save_decision` / raw durable insert of the same bytes",
        0.5, True, "ratio", "store",
        _save_decision,
    ),
    Target(
        "post_over_raw",
        "POST /v1/evaluations / raw insert rate, same machine, same run",
        0.25, True, "ratio", "service",
        _on("service", _post_over_raw, config=True),
    ),
    Target(
        "p99",
        "POST p99 / p50 under 8 connections",
        5.0, False, "x", "service",
        _on("service", _p99, config=True),
    ),
    Target(
        "batch_speedup",
        "batch, 2 workers / 1 worker (100,000 families, full traces)",
        1.8, True, "x", "batch",
        _on("batch", _speedup),
    ),
    Target(
        "batch_seconds",
        "batch, 100,000 families on 2 workers (under 60 s on an idle machine)",
        60.0, False, "s", "batch",
        _on("batch", _batch_seconds),
    ),
    Target(
        "batch_rss",
        "batch, peak RSS (and flat from 100,000 to 1,000,000 families)",
        300.0, False, "MB", "batch",
        _on("batch", _rss),
    ),
    Target(
        "startup",
        "`tfp eval` start-up (well under half a second)",
        0.5, False, "s", "startup",
        _on("startup", _startup),
    ),
)  # fmt: skip


@dataclass(frozen=True)
class Row:
    target: Target
    figure: Figure | None
    met: bool | None  # None: not measured
    command: str


def _meets(target: Target, value: float) -> bool:
    if math.isnan(value):
        return False
    return value >= target.goal if target.at_least else value <= target.goal


def evaluate_targets(
    results: Results, commands: dict[str, str], make_run: str | None = None
) -> list[Row]:
    """Every target, with what was measured and whether the median meets it; the service's
    on the configuration named `make_run` (else the first measured)."""
    rows = []
    for target in TARGETS:
        figure = target.read(results, make_run)
        met = None
        if figure is not None:
            met = _meets(target, figure.median)
            if figure.met_override is not None:
                met = met and figure.met_override
        bench = target.bench
        if bench == "store" and results.get("store") is None and figure is not None:
            bench = "service"
        rows.append(Row(target, figure, met, commands.get(bench, "")))
    return rows


def _num(value: float, unit: str) -> str:
    if unit == "ratio":
        return f"{value:.3f}"
    if unit in ("x", "KiB", "s"):
        return f"{value:,.2f}" if value < 100 else f"{value:,.0f}"
    return f"{value:,.0f}"


def goal_text(target: Target) -> str:
    sign = "≥" if target.at_least else "≤"
    unit = "" if target.unit == "ratio" else f" {target.unit}"
    return f"{sign} {_num(target.goal, target.unit)}{unit}"


def measured_text(row: Row) -> str:
    f, unit = row.figure, row.target.unit
    if f is None:
        return NOT_MEASURED
    text = f"{f.label} {_num(f.median, unit)}"
    if f.min is not None:
        text += f", {f.min_label} {_num(f.min, unit)}"
    return text + ("" if unit == "ratio" else f" {unit}")


def met_text(row: Row) -> str:
    return "—" if row.met is None else ("yes" if row.met else "**no**")


def targets_table(rows: list[Row]) -> str:
    lines = [
        "| target (issue 19) | goal | measured | against, in the same run | met? | command |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for row in rows:
        f = row.figure
        against = "; ".join(x for x in (f.against, f.note) if x) if f else ""
        command = f"`{row.command}`" if row.command else ""
        lines.append(
            f"| {row.target.text} | {goal_text(row.target)} | {measured_text(row)} | "
            f"{against} | {met_text(row)} | {command} |"
        )
    return "\n".join(lines)


def configs_table(service: Any, make_run: str | None = None) -> str:
    """The service benchmark's gunicorn configurations side by side."""
    configs = _get(service, "configs")
    if not configs:
        return f"The service benchmark did not run: {NOT_MEASURED}."
    raw = service["store"]["raw"]["writes_per_second"]
    lines = [
        f"`POST /v1/evaluations` under {service['settings']['connections']} keep-alive "
        f"connections, phases of {service['settings']['seconds']:g} s, "
        f"{service['settings']['rounds']} per endpoint, every server up at once and each "
        f"round visiting them all in turn; raw durable insert {raw:,.0f}/s in the same run. POST/s is the median "
        '(min) of the phases; p50 and p99 pool all phases; "others" is the cores other '
        "processes used meanwhile. In bold, the configuration `make run` starts.",
        "",
        "| gunicorn | POST/s | p50 ms | p99 ms | p99 / p50 | POST / `/healthz` | POST / raw "
        "insert | errors | others |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for c in configs:
        post, hz = c["http"]["POST /v1/evaluations"], c["http"]["GET /healthz"]
        rate = c["post_per_second"]
        name = f"**{c['name']}**" if c["name"] == make_run else c["name"]
        lines.append(
            f"| {name} | {rate['median']:,.0f} ({rate['min']:,.0f}) | "
            f"{post['p50_ms']:.1f} | {post['p99_ms']:.1f} | {c['p99_over_p50']:.2f} | "
            f"{c['ratio_healthz']:.3f} | {c['ratio_raw']:.3f} | "
            f"{post['errors'] + hz['errors']:,} | {c['other_processes_cores']:.2f} |"
        )
    return "\n".join(lines)


def machine_text(machine: dict[str, Any]) -> str:
    load = machine.get("others") or {}
    per = ", ".join(f"{name} {cores:.2f}" for name, cores in load.items())
    overall = machine.get("others_overall")
    busy = f"{overall:.2f} cores on average ({per})" if overall is not None else NOT_MEASURED
    return "\n".join(
        [
            f"- date: {machine['date']} ({machine['mode']} run, {machine['seconds'] / 60:.1f} min)",
            f"- machine: {machine['cores']} cores, {machine['cpu']}; {machine['platform']}",
            f"- Python: {machine['python']}",
            f"- git commit: {machine['commit']}",
            f"- load from other processes during the run: {busy}",
        ]
    )


def render(template: str, results: Results, commands: dict[str, str], machine: dict) -> str:
    """`template` with its markers replaced by the run's figures; the rest of it (the
    hand-written sections) kept as it is."""
    missing = [m for m in MARKERS if m not in template]
    if missing:
        raise ValueError(f"the template lacks {', '.join(missing)}")
    make_run = machine.get("make_run")
    rows = evaluate_targets(results, commands, make_run)
    return (
        template.replace("{{machine}}", machine_text(machine))
        .replace("{{targets}}", targets_table(rows))
        .replace("{{configs}}", configs_table(results.get("service"), make_run))
    )


def summary(rows: list[Row]) -> str:
    """A few lines for the terminal: each target, its figure and its baseline."""
    lines = []
    for row in rows:
        f = row.figure
        flag = {None: "  -  ", True: " met ", False: "MISS "}[row.met]
        against = f"   ({f.against})" if f and f.against else ""
        lines.append(
            f"{flag} {row.target.key:<14} {measured_text(row):<28} goal "
            f"{goal_text(row.target):<10}{against}"
        )
    return "\n".join(lines)
