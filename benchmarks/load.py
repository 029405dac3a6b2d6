"""How many cores processes other than this one and its descendants use, sampled from /proc.

The machine the benchmarks run on is shared, so the report says how busy the rest of it
was during each benchmark. Each process of the tree counts its own and its reaped
children's CPU (utime, stime, cutime, cstime); a descendant that exits hands its total to
its parent's cutime, so what was already counted for it is taken off again. Approximate:
a descendant left to init when its parent dies is lost, and "others" then errs high.
"""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path

INTERVAL_S = 1.0


def _stat(pid: str) -> list[str]:
    """Fields of /proc/PID/stat after the command name (state first); [] once it is gone."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return []
    return text[text.rfind(")") + 2 :].split()


def _machine_busy() -> tuple[int, int]:
    """Busy and total CPU ticks of the whole machine (/proc/stat; idle and iowait not busy)."""
    cpu = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:9]]
    return sum(cpu) - cpu[3] - cpu[4], sum(cpu)


def _tree_ticks(root: int) -> dict[str, int]:
    """utime + stime + cutime + cstime of `root` and every process descended from it."""
    parent, ticks = {}, {}
    for pid in os.listdir("/proc"):
        if pid.isdigit() and (fields := _stat(pid)):
            parent[pid] = fields[1]
            ticks[pid] = sum(int(v) for v in fields[11:15])
    mine, root_s = {}, str(root)
    for pid in ticks:
        p, seen = pid, 0
        while p in parent and p != root_s and seen < 64:
            p, seen = parent[p], seen + 1
        if p == root_s:
            mine[pid] = ticks[pid]
    return mine


class OtherLoad:
    """A background sampler; `mark(label)` starts a new period, `periods()` gives the mean
    cores used by others in each."""

    def __init__(self, root: int | None = None) -> None:
        self.root = root or os.getpid()
        self._samples: dict[str, list[float]] = {}
        self._label = "start"
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def mark(self, label: str) -> None:
        self._label = label

    def _run(self) -> None:
        cores, hz = os.cpu_count() or 1, os.sysconf("SC_CLK_TCK")
        busy0, total0 = _machine_busy()
        own0, t0 = _tree_ticks(self.root), time.monotonic()
        while not self._stop.wait(INTERVAL_S):
            busy1, total1 = _machine_busy()
            own1, t1 = _tree_ticks(self.root), time.monotonic()
            box = cores * (busy1 - busy0) / max(1, total1 - total0)
            gone = sum(v for pid, v in own0.items() if pid not in own1)  # now in a cutime
            ticks = sum(v - own0.get(pid, 0) for pid, v in own1.items()) - gone
            ours = ticks / hz / (t1 - t0)
            self._samples.setdefault(self._label, []).append(max(0.0, box - ours))
            busy0, total0, own0, t0 = busy1, total1, own1, t1

    def __enter__(self) -> OtherLoad:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join()

    def periods(self) -> dict[str, float]:
        """Mean cores used by others in each marked period that got a sample."""
        return {k: sum(v) / len(v) for k, v in self._samples.items() if v}

    def overall(self) -> float | None:
        every = [x for v in self._samples.values() for x in v]
        return sum(every) / len(every) if every else None
