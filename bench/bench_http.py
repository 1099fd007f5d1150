"""HTTP: gunicorn serving the API on loopback over the national-scale data, under the load generator
(bench/loadgen.py): many schools at once (one API token per school administrator), keep-alive
clients, 80% reads (lists, a paragraph's outcomes, an outcome's paragraphs, another school's paragraph)
and 20% writes (alignment create/delete, a paragraph's set replaced). Requests per second and
p50/p95/p99 latency; every response is checked against its school (foreign rows: target 0).

Closed-loop latency on a shared machine is mostly queueing, and req/s moves with other people's load,
so the run also reports the CPU time spent per request: the gunicorn processes' (master and workers,
utime + stime from /proc/<pid>/stat) and PostgreSQL's (the backends serving this database, found in
pg_stat_activity, read from /proc the same way), both as deltas over the measured run, and the
machine's load average (os.getloadavg) before and after it.
"""

import os
import secrets
import subprocess
import sys
import tempfile
from functools import cache
from pathlib import Path

from django.conf import settings
from django.db import connection, connections

from bench.common import figure
from bench.loadgen import gunicorn, prepare_schools, run_load
from bench.scale import national_data
from tenants.context import super_admin_context

SCHOOLS = int(os.environ.get("BENCH_HTTP_SCHOOLS", "100"))
REQUESTS = int(os.environ.get("BENCH_HTTP_REQUESTS", "6000"))
CONCURRENCY = int(os.environ.get("BENCH_HTTP_CONCURRENCY", "32"))
MAX_SECONDS = float(os.environ.get("BENCH_HTTP_MAX_SECONDS", "180"))
WORKERS, THREADS = 2, 8  # gunicorn gthread workers for a 2-core machine


def _database_url(alias: str) -> str:
    database = settings.DATABASES[alias]
    return (f"postgresql://{database['USER']}:{database['PASSWORD']}@{database['HOST']}:{database['PORT']}"
            f"/{database['NAME']}")


def _server_env() -> dict:
    # Production-like: DEBUG off (no query log), persistent connections with health checks.
    return {
        **os.environ,
        "ENV_FILE": "/dev/null",
        "DATABASE_URL": _database_url("default"),
        "DATABASE_OWNER_URL": _database_url("owner"),
        "SECRET_KEY": secrets.token_urlsafe(40),
        "DEBUG": "false",
        "SECURE_SSL_REDIRECT": "false",  # plain HTTP on loopback
        "ALLOWED_HOSTS": ".localhost,localhost,127.0.0.1",
        "CONN_MAX_AGE": "60",
        "LOG_LEVEL": "WARNING",
        "GUNICORN_CMD_ARGS": " ".join(filter(None, [os.environ.get("GUNICORN_CMD_ARGS", ""), _gunicorn_options()])),
    }


@cache
def _gunicorn_options() -> str:
    """gunicorn 23+ binds a control socket at a path shared machine-wide; switch it off if it can be."""
    help_text = subprocess.run([sys.executable, "-m", "gunicorn", "--help"], capture_output=True, text=True).stdout
    return "--no-control-socket" if "--no-control-socket" in help_text else ""


CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def _cpu_seconds(pid: int) -> float | None:
    """utime + stime of a live process (its own, not its children's), or None if it is gone or unreadable."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS  # fields 14 and 15 of proc(5)


def _children(pid: int) -> list[int]:
    children = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1]) == pid:
                    children.append(int(entry.name))
            except (OSError, ValueError, IndexError):
                continue
    return children


def _backend_pids() -> list[int]:
    """The PostgreSQL backends connected to this database, except the benchmark's own connections."""
    own = set()
    for alias in ("default", "owner"):
        with connections[alias].cursor() as cursor:
            cursor.execute("SELECT pg_backend_pid()")
            own.add(cursor.fetchone()[0])
    with connection.cursor() as cursor:
        cursor.execute("SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
                       "AND backend_type = 'client backend'")
        return [pid for (pid,) in cursor.fetchall() if pid not in own]


def _cpu_snapshot(server_pid: int) -> dict:
    server = {pid: _cpu_seconds(pid) for pid in [server_pid, *_children(server_pid)]}
    postgres = {pid: _cpu_seconds(pid) for pid in _backend_pids()}
    return {"server": {pid: cpu for pid, cpu in server.items() if cpu is not None},
            "postgres": {pid: cpu for pid, cpu in postgres.items() if cpu is not None},
            "postgres_pids": len(postgres)}


def _cpu_delta(before: dict, after: dict, side: str) -> float:
    """CPU seconds spent between the snapshots by the processes alive at the end (a process started
    in between counts whole; one that ended in between is lost, which only under-counts)."""
    return sum(cpu - before[side].get(pid, 0.0) for pid, cpu in after[side].items())


def _remove_created(result):
    """Leave the benchmark data as it was: delete the alignments the load created and kept."""
    ids = [alignment_id for ids in result.created_left.values() for alignment_id in ids]
    if ids:
        with super_admin_context(), connection.cursor() as cursor:
            cursor.execute("DELETE FROM paragraph_outcomes WHERE id = ANY(%s)", [ids])


def run() -> list[dict]:
    national_data()
    with super_admin_context(), connection.cursor() as cursor:
        schools = prepare_schools(cursor, count=SCHOOLS)
    with tempfile.TemporaryDirectory() as directory, gunicorn(
        _server_env(), Path(directory) / "gunicorn.log", workers=WORKERS, threads=THREADS
    ) as server:
        warm_up = run_load(port=server.port, schools=schools, requests=500, concurrency=CONCURRENCY, max_seconds=60)
        load_before, cpu_before = os.getloadavg(), _cpu_snapshot(server.process.pid)
        result = run_load(port=server.port, schools=schools, requests=REQUESTS, concurrency=CONCURRENCY,
                          max_seconds=MAX_SECONDS, seed=23)
        cpu_after, load_after = _cpu_snapshot(server.process.pid), os.getloadavg()
        log_tail = server.log_tail()
    _remove_created(warm_up)
    _remove_created(result)
    print(f"    {result.summary()}", flush=True)
    setup = (f"gunicorn {WORKERS} workers x {THREADS} threads {_gunicorn_options()} on 127.0.0.1, {CONCURRENCY} keep-alive clients, "
             f"{len(result.schools)} schools, {result.requests} requests (after 500 warm-up), 80% reads / 20% writes")
    errors = result.unexpected_count
    requests = max(result.requests, 1)
    server_ms = round(_cpu_delta(cpu_before, cpu_after, "server") * 1000 / requests, 2)
    postgres_ms = round(_cpu_delta(cpu_before, cpu_after, "postgres") * 1000 / requests, 2)
    load = (f"load average (1/5/15 min) {'/'.join(f'{value:.2f}' for value in load_before)} before the measured run, "
            f"{'/'.join(f'{value:.2f}' for value in load_after)} after it, on {os.cpu_count()} cores")
    cpu_note = (f"CPU time (utime + stime from /proc) over the measured run divided by its {result.requests} requests; "
                f"server: gunicorn master + {len(cpu_after['server']) - 1} workers; PostgreSQL: "
                f"{len(cpu_after['postgres'])} backends of this database; {load}")
    return [
        figure("HTTP CPU per request (gunicorn)", server_ms, "ms", None, True, note=cpu_note),
        figure("HTTP CPU per request (PostgreSQL backends)", postgres_ms, "ms", None, True),
        figure("HTTP CPU per request (server + PostgreSQL)", round(server_ms + postgres_ms, 2), "ms", None, True),
        figure("machine load average (1 min) before / after the HTTP run",
               f"{load_before[0]:.2f} / {load_after[0]:.2f}", "", None, True),
        figure("HTTP throughput", result.requests_per_second, "req/s", None, True, note=f"{setup}; statuses {dict(sorted(result.statuses.items()))}"),
        figure("HTTP latency p50", result.percentile_ms(50), "ms", None, True,
               note=f"latency includes queueing ({CONCURRENCY} clients share {WORKERS * THREADS} server threads on the "
                    f"same cores as the clients); median per kind of request (ms): {result.kind_medians_ms()}"),
        figure("HTTP latency p95", result.percentile_ms(95), "ms", None, True),
        figure("HTTP latency p99", result.percentile_ms(99), "ms", None, True),
        figure("HTTP unexpected responses (5xx, wrong status)", errors, "responses", "0", errors == 0,
               note="; ".join(str(item) for item in result.unexpected[:3]) + (f"; server log: {log_tail[-500:]}" if errors else "") or None),
        figure("HTTP foreign rows in responses", result.foreign_rows, "rows", "0", result.foreign_rows == 0),
    ]
