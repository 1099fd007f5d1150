"""Isolation under concurrency: 60 schools at once through gunicorn, at the same time over persistent
connections (straight to PostgreSQL) and through pgbouncer in transaction pooling (one server
connection serves many schools in turn); every response is checked against its school.

Bounded by time, not by a number of requests: both paths run for RELIABILITY_LOAD_SECONDS at once
(35 s by default; longer soak runs raise it). What makes it proof is checked, not assumed: each path
ran for its whole duration, every school sent requests of its own through each path, and every kind
of request (reads, writes, foreign reads and writes that must be refused) really ran.
"""

import os
import threading

import pytest

from bench.loadgen import MIX, run_load
from tests.reliability.conftest import SCHOOLS, assert_replaced_sets_whole

pytestmark = pytest.mark.reliability

LOAD_SECONDS = float(os.environ.get("RELIABILITY_LOAD_SECONDS", "35"))
CONCURRENCY_PER_PATH = 32
# Floors well below what a 2-core machine does even when busy (40-80 requests per second per path:
# 1,400-2,800 per path in 35 s, 20-50 per school), so a slow run still passes but a path that barely
# ran does not. Too slow a machine fails saying so: raise RELIABILITY_LOAD_SECONDS there.
MIN_REQUESTS_PER_PATH = SCHOOLS * 10
MIN_REQUESTS_PER_SCHOOL = 3
UNBOUNDED = 10**9  # the deadline ends the load


def test_many_schools_at_once_never_see_each_other(scratch_cluster, schools, app_server, pooled_app_server):
    results = {}

    def load(name, server, seed):
        results[name] = run_load(port=server.port, schools=schools, requests=UNBOUNDED,
                                 concurrency=CONCURRENCY_PER_PATH, max_seconds=LOAD_SECONDS, seed=seed)

    threads = [
        threading.Thread(target=load, args=("persistent connections", app_server, 1)),
        threading.Thread(target=load, args=("pgbouncer transaction pooling", pooled_app_server, 2)),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    servers = {"persistent connections": app_server, "pgbouncer transaction pooling": pooled_app_server}
    assert set(results) == set(servers)
    for name, result in results.items():
        print(f"{name}: {result.summary()}")
        assert result.seconds >= LOAD_SECONDS * 0.95, f"{name}: the load ended early: {result.summary()}"
        assert result.requests >= MIN_REQUESTS_PER_PATH, (
            f"{name}: too few requests to prove anything (raise RELIABILITY_LOAD_SECONDS): {result.summary()}"
        )
        quiet = {school.school_id for school in schools if result.school_requests[school.school_id] < MIN_REQUESTS_PER_SCHOOL}
        assert not quiet, f"{name}: schools with fewer than {MIN_REQUESTS_PER_SCHOOL} requests: {sorted(quiet)}"
        assert result.foreign_rows == 0, f"{name}: responses held other schools' rows: {result.summary()}"
        assert result.unexpected_count == 0, (name, result.summary(), result.unexpected, servers[name].log_tail())
        # Every kind ran; foreign reads and writes were tried, and every one was refused (404, an expected status).
        assert {kind for kind, _weight, _method, _expected in MIX} <= set(+result.kinds), result.kinds
        assert result.statuses[201] > 0 and result.statuses[204] > 0  # writes went through
    replaced = assert_replaced_sets_whole(scratch_cluster, schools)
    assert replaced >= SCHOOLS // 4, f"only {replaced} schools had their alignment set replaced"
