"""Run every benchmark of issue 19 in one go and write `docs/benchmarks.md` from its figures.

    .venv/bin/python benchmarks/report.py [--quick] [--out docs/benchmarks.md]
                                          [--template benchmarks/benchmarks.md.in]
                                          [--keep-json DIR] [--only STEPS]
    .venv/bin/python benchmarks/report.py --from-json DIR   (render a kept run again)

Runs engine.py, batch.py (100,000 families; --quick: a few hundred), service.py, and
store.py and startup.py when they exist, each as a subprocess writing `--json PATH`;
samples meanwhile how many cores other processes use (`benchmarks/load.py`); then fills
the template's generated parts (machine, targets table, server configurations) and keeps
its hand-written sections as they are. A benchmark that fails or is absent shows as "not
measured". Exit status 1 if any benchmark failed. The service's targets are judged on the
configuration `make run` starts (service/run.py's defaults, read when the page is written).
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != ROOT / "benchmarks"]
sys.path.insert(0, str(ROOT))

from benchmarks.load import OtherLoad  # noqa: E402
from benchmarks.service import Config  # noqa: E402
from benchmarks.targets import evaluate_targets, render, summary  # noqa: E402
from service.run import gunicorn_command  # noqa: E402

TEMPLATE = ROOT / "benchmarks" / "benchmarks.md.in"
OUT = ROOT / "docs" / "benchmarks.md"

# name -> (script, full-size arguments, --quick arguments); --json PATH is added to each.
STEPS: dict[str, tuple[str, list[str], list[str]]] = {
    "engine": (
        "benchmarks/engine.py",
        ["--families", "1000", "--repeats", "5", "--memory-families", "0"],
        ["--families", "60", "--repeats", "2", "--memory-families", "0"],
    ),
    "batch": (
        "benchmarks/batch.py",
        ["--families", "100000", "--rounds", "1"],
        ["--families", "60", "--rounds", "1"],
    ),
    "service": (
        "benchmarks/service.py",
        ["--rounds", "3"],
        ["--configs", "gthread:2x4,sync:2", "--seconds", "0.5", "--rounds", "1"],
    ),
    "store": ("benchmarks/store.py", [], ["--seconds", "0.5", "--rounds", "2"]),
    "startup": ("benchmarks/startup.py", [], []),
}
OPTIONAL = ("store", "startup")  # written by others; "not measured" while absent


def command(name: str, quick: bool) -> list[str]:
    script, full, small = STEPS[name]
    return [script, *(small if quick else full)]


def _git_commit() -> str:
    try:
        done = subprocess.run(
            ["git", "describe", "--always", "--exclude=*", "--dirty= + uncommitted changes"],
            cwd=ROOT, capture_output=True, text=True, check=True, timeout=10,
        )  # fmt: skip
    except (OSError, subprocess.SubprocessError):
        return "unknown (git failed)"
    return done.stdout.strip()


def _cpu() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


def make_run_config() -> str:
    """The name (as benchmarks/service.py gives it) of the configuration `make run` starts."""
    argv = gunicorn_command({}, Path("app.sock"))

    def option(name: str, default: str) -> str:
        return argv[argv.index(name) + 1] if name in argv else default

    threads = int(option("--threads", "1"))
    cls = option("--worker-class", "gthread" if threads > 1 else "sync")
    return Config(cls, int(option("--workers", "1")), threads if cls == "gthread" else 1).name


def run_step(name: str, quick: bool, json_dir: Path) -> dict[str, Any] | None:
    """One benchmark in a subprocess, its output streamed through; its JSON, or None if it
    is absent or failed."""
    script = ROOT / STEPS[name][0]
    if not script.exists():
        print(f"\n#### {name}: {STEPS[name][0]} absent: not measured", flush=True)
        return None
    out = json_dir / f"{name}.json"
    argv = [sys.executable, *command(name, quick), "--json", str(out)]
    print(f"\n#### {name}: {' '.join(argv[1:])}", flush=True)
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    done = subprocess.run(argv, cwd=ROOT, env=env, check=False)
    if done.returncode != 0 or not out.exists():
        print(f"#### {name} FAILED (exit status {done.returncode}): not measured", flush=True)
        return None
    return json.loads(out.read_text())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="small sizes, to try it out")
    parser.add_argument("--out", type=Path, default=OUT, help="page to write")
    parser.add_argument("--template", type=Path, default=TEMPLATE)
    parser.add_argument("--only", help="comma-separated steps to run (default: all)")
    parser.add_argument("--keep-json", type=Path, metavar="DIR", help="keep each JSON here")
    parser.add_argument(
        "--from-json", type=Path, metavar="DIR", help="run nothing: render a --keep-json DIR"
    )
    args = parser.parse_args(argv)
    if args.from_json:
        return rerender(args)
    names = list(STEPS)
    if args.only:
        names = [n.strip() for n in args.only.split(",")]
        unknown = [n for n in names if n not in STEPS]
        if unknown:
            parser.error(f"unknown step(s) {', '.join(unknown)}; steps: {', '.join(STEPS)}")
    template = args.template.read_text()  # before an hour of benchmarks, not after

    started, clock = datetime.datetime.now(datetime.UTC), time.monotonic()
    commit = _git_commit()  # of the code measured, before anything else changes
    results: dict[str, Any] = {}
    failed = []
    with tempfile.TemporaryDirectory(prefix="tfp-bench-report-") as tmp:
        json_dir = args.keep_json or Path(tmp)
        json_dir.mkdir(parents=True, exist_ok=True)
        with OtherLoad() as load:
            for name in names:
                load.mark(name)
                results[name] = run_step(name, args.quick, json_dir)
                if results[name] is None and (ROOT / STEPS[name][0]).exists():
                    failed.append(name)
    machine = {
        "date": started.strftime("%Y-%m-%d %H:%M UTC"),
        "mode": "quick (`make bench QUICK=1`)" if args.quick else "full (`make bench`)",
        "seconds": time.monotonic() - clock,
        "cores": os.cpu_count(),
        "cpu": _cpu(),
        "platform": platform.platform(),
        "python": f"{platform.python_implementation()} {platform.python_version()}",
        "commit": commit,
        "others": load.periods(),
        "others_overall": load.overall(),
    }
    commands = {name: ".venv/bin/python " + " ".join(command(name, args.quick)) for name in STEPS}
    if args.keep_json:
        (args.keep_json / "machine.json").write_text(json.dumps(machine, indent=2) + "\n")
    machine["make_run"] = make_run_config()
    args.out.write_text(render(template, results, commands, machine))
    print(f"\n#### summary ({machine['mode']}; others used {machine['others_overall'] or 0:.2f}")
    print(f"     cores on average; commit {machine['commit']})")
    print(summary(evaluate_targets(results, commands, machine["make_run"])))
    print(f"\nwritten to {args.out}")
    if failed:
        print(f"FAILED: {', '.join(failed)}")
    return 1 if failed else 0


def rerender(args: argparse.Namespace) -> int:
    """Write the page again from a kept run's JSON (after the template changed, say)."""
    machine = json.loads((args.from_json / "machine.json").read_text())
    quick = machine["mode"].startswith("quick")
    results = {
        name: json.loads(path.read_text()) if (path := args.from_json / f"{name}.json").exists()
        else None
        for name in STEPS
    }  # fmt: skip
    commands = {name: ".venv/bin/python " + " ".join(command(name, quick)) for name in STEPS}
    machine["make_run"] = make_run_config()
    args.out.write_text(render(args.template.read_text(), results, commands, machine))
    print(summary(evaluate_targets(results, commands, machine["make_run"])))
    print(f"\nwritten to {args.out} from {args.from_json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
