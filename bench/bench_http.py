"""HTTP: gunicorn serving the API on loopback over the national-scale data, under the load generator
(bench/loadgen.py): many schools at once (one API token per school administrator), keep-alive
clients, 80% reads (lists, a paragraph's outcomes, an outcome's paragraphs, another school's paragraph)
and 20% writes (alignment create/delete, a paragraph's set replaced). Requests per second and
p50/p95/p99 latency; every response is checked against its school (foreign rows: target 0).
"""

import os
import secrets
import tempfile
from pathlib import Path

from django.conf import settings
from django.db import connection

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
    }


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
        result = run_load(port=server.port, schools=schools, requests=REQUESTS, concurrency=CONCURRENCY,
                          max_seconds=MAX_SECONDS, seed=23)
        log_tail = server.log_tail()
    _remove_created(warm_up)
    _remove_created(result)
    print(f"    {result.summary()}", flush=True)
    setup = (f"gunicorn {WORKERS} workers x {THREADS} threads on 127.0.0.1, {CONCURRENCY} keep-alive clients, "
             f"{len(result.schools)} schools, {result.requests} requests (after 500 warm-up), 80% reads / 20% writes")
    errors = result.unexpected_count
    return [
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
