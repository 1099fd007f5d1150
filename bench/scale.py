"""The national-scale data the benchmarks run on (bench/scale_data.py, default sizes).

Generated on first use in a benchmark run and kept in the benchmark database, so later runs only check
it (a second generation does nothing). Two figures, never mixed: the real generation time (only when
this run generated data; otherwise reported as not measured) and the time of the "already there"
check, measured separately right after.
"""

import time
from functools import cache

from bench.common import figure
from bench.scale_data import PRESETS, scale_data_generate

NATIONAL = PRESETS["national"]


def _load_average() -> str:
    try:
        return " / ".join(open("/proc/loadavg").read().split()[:3])
    except OSError:
        return "unknown"


def _generate() -> tuple[dict, float]:
    started = time.perf_counter()
    report = scale_data_generate(sizes=NATIONAL, log=lambda line: print(f"    generate_scale_data: {line}", flush=True))
    return report, round(time.perf_counter() - started, 1)


@cache
def national_data() -> tuple[dict, ...]:
    """Make sure the national-scale data exists; the generation and check figures (once per run)."""
    load_before = _load_average()
    report, generation_seconds = _generate()
    check_report, check_seconds = _generate()  # now complete: only the check
    if check_report:
        raise RuntimeError(f"the scale data is still incomplete after generation: {check_report}")
    sizes = ", ".join(f"{name} {value:,}" for name, value in vars(NATIONAL).items())
    if report:
        generation = figure(
            "generate_scale_data (national sizes): generation", generation_seconds, "s", None, True,
            note=f"{sizes}; generated in this run: " + "; ".join(
                f"{name} {rows:,} rows in {took} s" + ("" if cpu is None else f" (PostgreSQL CPU {cpu} s)")
                for name, (rows, took, cpu) in report.items()
            ) + f"; load average before: {load_before}",
        )
    else:
        generation = figure(
            "generate_scale_data (national sizes): generation", "not measured", "", None, True,
            note=f"{sizes}; the data was already in the benchmark database, so this run did not generate it "
                 "(drop the goso_bench database to measure a generation)",
        )
    check = figure("generate_scale_data (national sizes): check that the data is there", check_seconds, "s", None, True,
                   note="a second call with the same sizes: counts only, inserts nothing")
    return generation, check
