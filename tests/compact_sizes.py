"""Stored decision sizes, full trace against compact: `python -m tests.compact_sizes`.

Over the decisions `tests/identical_output.py` pins (every fixture family and the
generated ones, under every ruleset that accepts them), the bytes of the JSON the store
writes (`store.encoding.encoded`, before sealing) with the full trace and with the compact
one, median and max, and the time compacting and expanding one takes.
"""

from __future__ import annotations

import statistics
import sys
import time

from tests.identical_output import pinned_decisions
from tfp_rules.compact import compact, expand, template_for
from tfp_rules.library import RulesetLibrary
from tfp_rules.store.encoding import encoded


def main() -> int:
    library = RulesetLibrary.from_directory()
    full: list[int] = []
    small: list[int] = []
    compacting = expanding = 0.0
    for _where, compiled, decision in pinned_decisions(library):
        template = template_for(compiled)
        start = time.perf_counter()
        stored = compact(decision, template)
        middle = time.perf_counter()
        again = expand(stored, template)
        compacting += middle - start
        expanding += time.perf_counter() - middle
        assert again == decision
        full.append(len(encoded(decision).encode()))
        small.append(len(encoded(stored).encode()))
    n = len(full)
    print(f"{n} decisions (fixtures and generated families, every ruleset accepting them)")
    for label, sizes in (("full trace", full), ("compact trace", small)):
        print(
            f"  {label:14} median {statistics.median(sizes) / 1024:5.1f} KiB"
            f"  max {max(sizes) / 1024:5.1f} KiB"
        )
    print(
        f"  compact {compacting / n * 1e6:.0f} us, expand {expanding / n * 1e6:.0f} us a decision"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
