"""Run every benchmark (bench/bench_*.py, each exposing run() -> list of figures) in one process and
write BENCHMARKS.md and bench/results.json. Called by `./dev bench` against a dedicated database.

A figure: {"name", "value", "unit", "target", "met"} (+ optional "note"). Targets are ratios or limits
measured against a baseline in the same run where the issue asks for one.
"""

import importlib
import json
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

import django

BENCH_DIR = Path(__file__).resolve().parent
ROOT = BENCH_DIR.parent


def machine() -> dict:
    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
        memory_kib = int(Path("/proc/meminfo").read_text().split()[1])
    except OSError:
        memory_kib = 0
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        (postgres,) = cursor.fetchone()
    return {
        "cpu": cpu, "cores": os.cpu_count(), "memory_gib": round(memory_kib / 1024 / 1024, 1),
        "python": platform.python_version(), "postgresql": postgres, "platform": platform.platform(),
    }


# Files the run itself writes: not part of the code it measures.
OUTPUTS = {"BENCHMARKS.md", "bench/results.json", "bench/rls_plans.txt"}


def measured_commit() -> tuple[str, list[str]]:
    """The commit the run measures (git rev-parse HEAD, taken before the first benchmark) and the files
    that differ from it, if any (then the figures are not that commit's)."""
    git = lambda *args: subprocess.run(["git", *args], capture_output=True, text=True, cwd=ROOT).stdout  # noqa: E731
    commit = git("rev-parse", "HEAD").strip() or "unknown"
    dirty = sorted(
        path for line in git("status", "--porcelain", "--untracked-files=no").splitlines()
        if (path := line[3:].strip()) not in OUTPUTS
    )
    return commit, dirty


def main(selected: list[str]) -> int:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    django.setup()
    modules = sorted(path.stem for path in BENCH_DIR.glob("bench_*.py"))
    if selected:
        modules = [name for name in modules if any(wanted in name for wanted in selected)]
    commit, dirty = measured_commit()
    figures, started = [], time.time()
    for name in modules:
        print(f"==> {name}", flush=True)
        module = importlib.import_module(f"bench.{name}")
        for figure in module.run():
            figure.setdefault("benchmark", name)
            figures.append(figure)
            print(f"    {figure['name']}: {figure['value']} {figure['unit']} (target {figure.get('target')}; "
                  f"{'met' if figure.get('met') else 'NOT met'})", flush=True)
    report = {
        "run_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "duration_s": round(time.time() - started, 1),
        "commit": commit,
        "uncommitted_changes": dirty,
        "machine": machine(),
        "figures": figures,
    }
    (BENCH_DIR / "results.json").write_text(json.dumps(report, ensure_ascii=False, indent=2) + "\n")
    (ROOT / "BENCHMARKS.md").write_text(markdown(report))
    print(f"Wrote bench/results.json and BENCHMARKS.md ({len(figures)} figures).")
    return 0


def _verdict(figure: dict) -> str:
    if figure.get("target") in (None, ""):
        return "—"  # a measurement without a target (e.g. a baseline)
    return "yes" if figure.get("met") else "**no**"


def markdown(report: dict) -> str:
    machine_info = report["machine"]
    lines = [
        "# Benchmarks",
        "",
        f"Written by `./dev bench` on {report['run_at']} ({report['duration_s']} s), measuring commit "
        f"`{report['commit']}` (`git rev-parse HEAD` at the start of the run; "
        + ("the working tree matched it)." if not report.get("uncommitted_changes") else
           f"**with uncommitted changes** to {', '.join(report['uncommitted_changes'])}, so the figures are not exactly that commit's).")
        + " Every figure comes from that one run; ratios compare against a baseline measured in the same run.",
        "",
        f"Machine: {machine_info['cpu']}, {machine_info['cores']} cores, {machine_info['memory_gib']} GiB; "
        f"Python {machine_info['python']}; PostgreSQL {machine_info['postgresql']}.",
        "",
        "| benchmark | figure | value | unit | target | met |",
        "|---|---|---|---|---|---|",
    ]
    for figure in report["figures"]:
        lines.append(
            f"| {figure['benchmark']} | {figure['name']} | {figure['value']} | {figure['unit']} | "
            f"{figure.get('target') or ''} | {_verdict(figure)} |"
        )
    notes = [f"- **{figure['name']}**: {figure['note']}" for figure in report["figures"] if figure.get("note")]
    if notes:
        lines += ["", "## Notes", "", *notes]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
