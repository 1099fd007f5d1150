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

Side by side with the commit issue 13 starts from (BENCH_HTTP_BASE_COMMIT, ba02cf0): its files are
unpacked with `git archive` into a temporary folder, migrated into a database of their own (filled by
that commit's own generate_scale_data, kept for later runs) and served by a second gunicorn with the same
workers and threads; the two sides run in alternating blocks, so a burst of other load hits both, and the
ratio of their CPU per request is the lean request path's figure (target <= 0.6). A third server runs this
commit with README's recommended threads per worker (BENCH_HTTP_RECOMMENDED_THREADS) in the same rotation: the
measurement behind that recommendation.
"""

import importlib.util
import os
import secrets
import subprocess
import sys
import tempfile
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import psycopg
from django.conf import settings
from django.db import connection, connections

from bench.common import figure
from bench.loadgen import ROOT, LoadResult, gunicorn, prepare_schools, run_load
from bench.scale import national_data
from tenants.context import super_admin_context
from tenants.database_roles import database_create

SCHOOLS = int(os.environ.get("BENCH_HTTP_SCHOOLS", "100"))
REQUESTS = int(os.environ.get("BENCH_HTTP_REQUESTS", "6000"))
CONCURRENCY = int(os.environ.get("BENCH_HTTP_CONCURRENCY", "32"))
MAX_SECONDS = float(os.environ.get("BENCH_HTTP_MAX_SECONDS", "180"))
# gunicorn gthread workers for a 2-core machine (README "Production": measured against 2 x 8).
WORKERS = int(os.environ.get("BENCH_HTTP_WORKERS", "2"))
THREADS = int(os.environ.get("BENCH_HTTP_THREADS", "8"))
BASE_COMMIT = os.environ.get("BENCH_HTTP_BASE_COMMIT", "ba02cf0")  # the commit issue 13 starts from
BLOCKS = int(os.environ.get("BENCH_HTTP_BLOCKS", "6"))  # per side, alternating
# The configuration README "Production" recommends, measured beside WORKERS x THREADS in the same blocks.
RECOMMENDED_THREADS = int(os.environ.get("BENCH_HTTP_RECOMMENDED_THREADS", "2"))


def _database_url(alias: str, *, database: str | None = None) -> str:
    config = settings.DATABASES[alias]
    return (f"postgresql://{config['USER']}:{config['PASSWORD']}@{config['HOST']}:{config['PORT']}"
            f"/{database or config['NAME']}")


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


def _backend_pids(database: str) -> list[int]:
    """The PostgreSQL backends connected to `database`, except the benchmark's own connections."""
    own = set()
    for alias in ("default", "owner"):
        with connections[alias].cursor() as cursor:
            cursor.execute("SELECT pg_backend_pid()")
            own.add(cursor.fetchone()[0])
    with connection.cursor() as cursor:
        cursor.execute("SELECT pid FROM pg_stat_activity WHERE datname = %s AND backend_type = 'client backend'",
                       [database])
        return [pid for (pid,) in cursor.fetchall() if pid not in own]


def _cpu_snapshot(server_pid: int, database: str) -> dict:
    server = {pid: _cpu_seconds(pid) for pid in [server_pid, *_children(server_pid)]}
    postgres = {pid: _cpu_seconds(pid) for pid in _backend_pids(database)}
    return {"server": {pid: cpu for pid, cpu in server.items() if cpu is not None},
            "postgres": {pid: cpu for pid, cpu in postgres.items() if cpu is not None},
            "postgres_pids": len(postgres)}


def _cpu_delta(before: dict, after: dict, side: str) -> float:
    """CPU seconds spent between the snapshots by the processes alive at the end (a process started
    in between counts whole; one that ended in between is lost, which only under-counts)."""
    return sum(cpu - before[side].get(pid, 0.0) for pid, cpu in after[side].items())


def _remove_created(result, cursor):
    """Leave the benchmark data as it was: delete the alignments the load created and kept."""
    ids = [alignment_id for ids in result.created_left.values() for alignment_id in ids]
    if ids:
        cursor.execute("DELETE FROM paragraph_outcomes WHERE id = ANY(%s)", [ids])


# ---------------------------------------------------------------------------------------------
# The commit issue 13 starts from, served side by side (its own checkout, database and gunicorn)


@contextmanager
def _base_checkout():
    """The base commit's files in a temporary folder (git archive: no worktree, nothing shared)."""
    with tempfile.TemporaryDirectory(prefix="goso-base-") as directory:
        archive = subprocess.run(["git", "archive", BASE_COMMIT], cwd=ROOT, check=True, capture_output=True).stdout
        subprocess.run(["tar", "-x", "-C", directory], input=archive, check=True)
        yield Path(directory)


def _base_env(root: Path) -> dict:
    env = _server_env()
    env.pop("PYTHONPATH", None)
    env["DATABASE_URL"] = _database_url("default", database=_base_database_name())
    env["DATABASE_OWNER_URL"] = _database_url("owner", database=_base_database_name())
    return env


def _base_database_name() -> str:
    return f"{settings.DATABASES['default']['NAME']}_base_{BASE_COMMIT[:7]}"


def _base_database(root: Path) -> None:
    """Create, migrate and fill the base commit's database with its own code, once (kept for later runs)."""
    database_create(url=_database_url("owner", database=_base_database_name()))  # as the owner role, if missing
    env = _base_env(root)
    # The generator moved from a management command into bench/ after ba02cf0.
    generate = ["-m", "bench.scale_data"] if (root / "bench" / "scale_data.py").exists() else ["manage.py", "generate_scale_data"]
    for command in (["manage.py", "migrate", "--no-input", "-v", "0"], generate):
        print(f"    base {BASE_COMMIT}: {' '.join(command[1:3])}", flush=True)
        subprocess.run([sys.executable, *command], cwd=root, env=env, check=True, timeout=3600)


def _module(path: Path):
    """A module of the base commit's tree, loaded by path (its package names are this tree's too)."""
    spec = importlib.util.spec_from_file_location(f"base_{path.stem}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@contextmanager
def _super_admin_cursor(url: str):
    with psycopg.connect(url) as conn, conn.cursor() as cursor:
        cursor.execute("SELECT set_config('app.is_super_admin', 'true', true), set_config('role', %s, true)",
                       [settings.DATABASE_SUPER_ADMIN_ROLE])
        yield cursor


@dataclass
class Side:
    name: str
    server: object
    schools: list
    database: str
    results: list = field(default_factory=list)
    server_cpu: float = 0.0
    postgres_cpu: float = 0.0
    postgres_backends: int = 0

    def block(self, requests: int, seed: int):
        before = _cpu_snapshot(self.server.process.pid, self.database)
        result = run_load(port=self.server.port, schools=self.schools, requests=requests, concurrency=CONCURRENCY,
                          max_seconds=MAX_SECONDS / BLOCKS, seed=seed)
        after = _cpu_snapshot(self.server.process.pid, self.database)
        self.results.append(result)
        self.server_cpu += _cpu_delta(before, after, "server")
        self.postgres_cpu += _cpu_delta(before, after, "postgres")
        self.postgres_backends = max(self.postgres_backends, len(after["postgres"]))

    @property
    def requests(self) -> int:
        return max(sum(result.requests for result in self.results), 1)

    def ms_per_request(self, cpu: float) -> float:
        return round(cpu * 1000 / self.requests, 2)

    @property
    def total_ms(self) -> float:
        return self.ms_per_request(self.server_cpu + self.postgres_cpu)

    def merged(self) -> LoadResult:
        merged = LoadResult()
        for result in self.results:
            merged.requests += result.requests
            merged.seconds += result.seconds
            merged.latencies += result.latencies
            for kind, values in result.kind_latencies.items():
                merged.kind_latencies.setdefault(kind, []).extend(values)
            merged.statuses.update(result.statuses)
            merged.foreign_rows += result.foreign_rows
            merged.unexpected += result.unexpected[:3]
            merged.unexpected_count += result.unexpected_count
            merged.schools |= result.schools
        return merged


def run() -> list[dict]:
    national_data()
    with super_admin_context(), connection.cursor() as cursor:
        schools = prepare_schools(cursor, count=SCHOOLS)
    with _base_checkout() as base_root:
        _base_database(base_root)
        base_url = _database_url("default", database=_base_database_name())
        with _super_admin_cursor(base_url) as cursor:  # its own way of making tokens
            base_schools = _module(base_root / "bench" / "loadgen.py").prepare_schools(cursor, count=SCHOOLS)
        with tempfile.TemporaryDirectory() as directory, \
                gunicorn(_server_env(), Path(directory) / "gunicorn.log", workers=WORKERS, threads=THREADS) as server, \
                gunicorn(_base_env(base_root), Path(directory) / "gunicorn-base.log", workers=WORKERS, threads=THREADS,
                         root=base_root) as base_server, \
                gunicorn(_server_env(), Path(directory) / "gunicorn-recommended.log", workers=WORKERS,
                         threads=RECOMMENDED_THREADS) as recommended_server:
            database = settings.DATABASES["default"]["NAME"]
            sides = [Side("this commit", server, schools, database),
                     Side(f"base {BASE_COMMIT}", base_server, base_schools, _base_database_name()),
                     Side(f"this commit, {WORKERS} x {RECOMMENDED_THREADS}", recommended_server, schools, database)]
            warm_ups = [run_load(port=side.server.port, schools=side.schools, requests=500, concurrency=CONCURRENCY,
                                 max_seconds=60) for side in sides]
            load_before = os.getloadavg()
            for block in range(BLOCKS):  # rotate, each side first in turn: a burst of load hits all alike
                for side in sides[block % len(sides):] + sides[:block % len(sides)]:
                    side.block(REQUESTS // BLOCKS, seed=23 + block)
            load_after = os.getloadavg()
            log_tail = server.log_tail() + base_server.log_tail() + recommended_server.log_tail()
    current, base, recommended = sides
    with super_admin_context(), connection.cursor() as cursor:
        for result in [warm_ups[0], warm_ups[2], *current.results, *recommended.results]:
            _remove_created(result, cursor)
    with _super_admin_cursor(base_url) as cursor:
        for result in [warm_ups[1], *base.results]:
            _remove_created(result, cursor)
    result = current.merged()
    print(f"    this commit: {result.summary()}", flush=True)
    print(f"    base {BASE_COMMIT}: {base.merged().summary()}", flush=True)
    setup = (f"gunicorn {WORKERS} workers x {THREADS} threads {_gunicorn_options()} on 127.0.0.1, {CONCURRENCY} keep-alive clients, "
             f"{len(result.schools)} schools, {result.requests} requests (after 500 warm-up), 80% reads / 20% writes")
    errors = result.unexpected_count + base.merged().unexpected_count + recommended.merged().unexpected_count
    load = (f"load average (1/5/15 min) {'/'.join(f'{value:.2f}' for value in load_before)} before the measured run, "
            f"{'/'.join(f'{value:.2f}' for value in load_after)} after it, on {os.cpu_count()} cores")
    cpu_note = (f"CPU time (utime + stime from /proc) over the measured blocks divided by their requests; server: gunicorn "
                f"master + workers; PostgreSQL: up to {current.postgres_backends} backends of this database; {load}")
    ratio = round(current.total_ms / base.total_ms, 2) if base.total_ms else None
    base_note = (f"the commit issue 13 starts from, checked out with git archive into a temporary folder, migrated into its "
                 f"own database ({_base_database_name()}, filled by its own generate_scale_data) and served by its own "
                 f"gunicorn ({WORKERS} x {THREADS}) on another port; {BLOCKS} blocks of {REQUESTS // BLOCKS} requests per side, "
                 f"alternating which side goes first; base throughput {base.merged().requests_per_second} req/s, p50 "
                 f"{base.merged().percentile_ms(50)} ms, p99 {base.merged().percentile_ms(99)} ms")
    return [
        figure("HTTP CPU per request (gunicorn)", current.ms_per_request(current.server_cpu), "ms", None, True, note=cpu_note),
        figure("HTTP CPU per request (PostgreSQL backends)", current.ms_per_request(current.postgres_cpu), "ms", None, True),
        figure("HTTP CPU per request (server + PostgreSQL)", current.total_ms, "ms", None, True),
        figure(f"HTTP CPU per request (server + PostgreSQL), base {BASE_COMMIT}", base.total_ms, "ms", None, True,
               note=f"{base_note}; gunicorn {base.ms_per_request(base.server_cpu)} ms + PostgreSQL "
                    f"{base.ms_per_request(base.postgres_cpu)} ms"),
        figure(f"HTTP CPU per request: this commit / base {BASE_COMMIT}", ratio, "x", "<= 0.6",
               ratio is not None and ratio <= 0.6),
        figure("machine load average (1 min) before / after the HTTP run",
               f"{load_before[0]:.2f} / {load_after[0]:.2f}", "", None, True),
        figure("HTTP throughput", result.requests_per_second, "req/s", None, True, note=f"{setup}; statuses {dict(sorted(result.statuses.items()))}"),
        figure("HTTP latency p50", result.percentile_ms(50), "ms", None, True,
               note=f"latency includes queueing ({CONCURRENCY} clients share {WORKERS * THREADS} server threads on the "
                    f"same cores as the clients); median per kind of request (ms): {result.kind_medians_ms()}"),
        figure("HTTP latency p95", result.percentile_ms(95), "ms", None, True),
        figure("HTTP latency p99", result.percentile_ms(99), "ms", None, True),
        figure("HTTP unexpected responses (5xx, wrong status)", errors, "responses", "0", errors == 0,
               note="; ".join(str(item) for item in (result.unexpected + base.merged().unexpected)[:3])
               + (f"; server log: {log_tail[-500:]}" if errors else "") or None),
        figure("HTTP foreign rows in responses", result.foreign_rows + recommended.merged().foreign_rows, "rows", "0",
               result.foreign_rows + recommended.merged().foreign_rows == 0),
        *_configuration_figures(current, recommended, threads=RECOMMENDED_THREADS),
    ]


def _configuration_figures(current: "Side", recommended: "Side", *, threads: int) -> list[dict]:
    """This commit served WORKERS x THREADS and WORKERS x `threads` in the same rotating blocks: the measurement
    behind README's recommended configuration (CPU per request, throughput, tail latency)."""
    ours, theirs = recommended.merged(), current.merged()
    label = f"{WORKERS} x {threads} against {WORKERS} x {THREADS}"
    return [
        figure(f"server configuration {label}: CPU per request (server + PostgreSQL)",
               f"{recommended.total_ms} / {current.total_ms}", "ms", None, True,
               note=f"gunicorn gthread workers x threads, this commit, {BLOCKS} blocks of {REQUESTS // BLOCKS} requests "
                    "per configuration in the same rotation as the base comparison"),
        figure(f"server configuration {label}: throughput",
               f"{ours.requests_per_second} / {theirs.requests_per_second}", "req/s", None, True),
        figure(f"server configuration {label}: latency p99",
               f"{ours.percentile_ms(99)} / {theirs.percentile_ms(99)}", "ms", None, True),
    ]
