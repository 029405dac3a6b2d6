"""What sealing personal data at rest costs: POST /v1/evaluations with data keys against the
same requests in development mode (stored as plain text), in one run.

    .venv/bin/python benchmarks/sealing.py [--families N] [--rounds R] [--seed S]

Two apps in this process (Flask's test client, no HTTP, so the difference is not lost in
network noise), each on its own fresh WAL database with synchronous=FULL; the same N
generated families posted to each, R rounds, alternating which goes first. The baseline is
the plain app; the figure is the sealed app's time per POST as a ratio of it (min and
median of the rounds). Also the cost of sealing and opening one stored decision alone.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != ROOT / "benchmarks"]
sys.path.insert(0, str(ROOT))

from benchmarks.families import generate  # noqa: E402
from service import create_app  # noqa: E402
from tfp_rules.privacy.datakeys import DataKeys  # noqa: E402
from tfp_rules.store import Store  # noqa: E402

UNLIMITED = "100000 per second"


def _app(workdir: Path, name: str, keys: DataKeys | None) -> tuple[Any, dict[str, str]]:
    """A test client on its own database, and the headers of a submitter's key."""
    database = workdir / f"{name}.sqlite"
    app = create_app({"DATABASE": str(database), "DATA_KEYS": keys, "RATE_LIMIT": UNLIMITED})
    with Store(database, keys=keys) as store:
        _, token = store.create_key("submitter", f"bench-{name}")
    return app.test_client(), {"Authorization": f"Bearer {token}"}


def _post_all(client: Any, headers: dict[str, str], bodies: list[bytes]) -> float:
    """Seconds per POST over every body, each answered 201."""
    start = time.perf_counter()
    for body in bodies:
        r = client.post("/v1/evaluations", data=body, headers=headers,
                        content_type="application/json")  # fmt: skip
        if r.status_code != 201:
            raise SystemExit(f"POST answered {r.status_code}: {r.get_data(as_text=True)[:300]}")
    return (time.perf_counter() - start) / len(bodies)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--families", type=int, default=300)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)
    docs = generate(args.families, seed=args.seed)
    bodies = [json.dumps(d).encode() for d in docs]
    keys = DataKeys.generate()
    with tempfile.TemporaryDirectory(prefix="tfp-sealing-") as tmp:
        workdir = Path(tmp)
        plain, sealed = _app(workdir, "plain", None), _app(workdir, "sealed", keys)
        _post_all(*plain, bodies[:20]), _post_all(*sealed, bodies[:20])  # warm up
        times: dict[str, list[float]] = {"plain": [], "sealed": []}
        for n in range(args.rounds):
            order = [("plain", plain), ("sealed", sealed)]
            for name, (client, headers) in order if n % 2 == 0 else order[::-1]:
                times[name].append(_post_all(client, headers, bodies))
        with Store(workdir / "sealed.sqlite", keys=keys) as store:
            latest = store.list_decisions(limit=1)[0][0]
            decision = json.dumps(store.get_decision(latest.id).decision)
    ratios = [s / p for s, p in zip(times["sealed"], times["plain"], strict=True)]
    started = time.perf_counter()
    for i in range(1000):
        keys.open(keys.seal(decision, f"d/{i}"), f"d/{i}")
    each = (time.perf_counter() - started) / 1000
    print(f"POST /v1/evaluations, {args.families} families x {args.rounds} rounds, in process")
    for name in ("plain", "sealed"):
        ms = [t * 1000 for t in times[name]]
        print(f"  {name:<7} min {min(ms):7.2f} ms  median {statistics.median(ms):7.2f} ms per POST")
    print(f"  ratio sealed / plain time per POST: min {min(ratios):.3f}"
          f"  median {statistics.median(ratios):.3f}")  # fmt: skip
    print(f"  seal + open of one stored decision ({len(decision) / 1024:.1f} KiB): "
          f"{each * 1e6:.0f} us")  # fmt: skip
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
