"""The national-scale data the benchmarks run on (bench/scale_data.py, default sizes).

Generated on first use in a benchmark run and kept in the benchmark database, so later runs only check
it (a second generation does nothing). The figure reports what this run had to do and how long it took.
"""

import time
from functools import cache

from bench.common import figure
from bench.scale_data import PRESETS, scale_data_generate

NATIONAL = PRESETS["national"]


@cache
def national_data() -> dict:
    """Make sure the national-scale data exists; the generation figure (computed once per run)."""
    started = time.perf_counter()
    report = scale_data_generate(sizes=NATIONAL, log=lambda line: print(f"    generate_scale_data: {line}", flush=True))
    seconds = round(time.perf_counter() - started, 1)
    sizes = ", ".join(f"{name} {value:,}" for name, value in vars(NATIONAL).items())
    if report:
        note = f"{sizes}; generated in this run: " + "; ".join(
            f"{name} {rows:,} rows in {took} s" for name, (rows, took) in report.items()
        )
    else:
        note = f"{sizes}; already present, so this is only the check (a second run with the same sizes does nothing)"
    return figure("generate_scale_data (national sizes)", seconds, "s", None, True, note=note)
