"""Isolation under concurrency: 60 schools at once through gunicorn, at the same time over persistent
connections (straight to PostgreSQL) and through pgbouncer in transaction pooling (one server
connection serves many schools in turn); every response is checked against its school."""

import os
import threading

import pytest

from bench.loadgen import run_load
from tests.reliability.conftest import assert_replaced_sets_whole

pytestmark = pytest.mark.reliability

# 20,000 requests through each path (persistent connections, pgbouncer), both paths at once;
# RELIABILITY_REQUESTS_PER_PATH changes it.
REQUESTS_PER_PATH = int(os.environ.get("RELIABILITY_REQUESTS_PER_PATH", "20000"))
CONCURRENCY_PER_PATH = 32
MAX_SECONDS = 420


def test_many_schools_at_once_never_see_each_other(scratch_cluster, schools, app_server, pooled_app_server):
    results = {}

    def load(name, server, seed):
        results[name] = run_load(port=server.port, schools=schools, requests=REQUESTS_PER_PATH,
                                 concurrency=CONCURRENCY_PER_PATH, max_seconds=MAX_SECONDS, seed=seed)

    threads = [
        threading.Thread(target=load, args=("persistent connections", app_server, 1)),
        threading.Thread(target=load, args=("pgbouncer transaction pooling", pooled_app_server, 2)),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    servers = {"persistent connections": app_server, "pgbouncer transaction pooling": pooled_app_server}
    for name, result in results.items():
        print(f"{name}: {result.summary()}")
        assert result.requests == REQUESTS_PER_PATH, f"{name}: the load stopped at its deadline: {result.summary()}"
        assert len(result.schools) >= 50
        assert result.foreign_rows == 0, f"{name}: responses held other schools' rows: {result.summary()}"
        assert result.unexpected_count == 0, (name, result.summary(), result.unexpected, servers[name].log_tail())
        # Foreign reads and writes were tried, and every one was refused (404, an expected status).
        assert result.kinds["foreign paragraph outcomes"] > 0 and result.kinds["foreign create"] > 0
        assert result.statuses[201] > 0 and result.statuses[204] > 0  # writes went through
    assert_replaced_sets_whole(scratch_cluster, schools)
