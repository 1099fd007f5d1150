"""Faults: PostgreSQL restarted under load, and an import killed half-way.

Both run against the suite's own throwaway cluster (tests/reliability/conftest.py), never the shared one.
"""

import json
import signal
import subprocess
import sys
import threading
import time

import psycopg
import pytest

from bench.loadgen import run_load
from tests.reliability.conftest import ROOT, RUNTIME, assert_replaced_sets_whole, super_admin_cursor

pytestmark = pytest.mark.reliability

# Load for 6 s, the database down for 4 s, then 10 s of load while the server reconnects by itself
# (the separate run after it proves the recovery: no 503 at all).
LOAD_SECONDS = 20
DOWN_AFTER_SECONDS = 6
DOWN_FOR_SECONDS = 4


def _existing_alignments(cluster, ids) -> set:
    with super_admin_cursor(cluster) as cursor:
        cursor.execute("SELECT id FROM paragraph_outcomes WHERE id = ANY(%s)", [list(ids)])
        return {alignment_id for (alignment_id,) in cursor.fetchall()}


def test_database_restart_under_load_gives_503_then_recovers_by_itself(scratch_cluster, schools, app_server):
    results = {}
    load = threading.Thread(target=lambda: results.setdefault("load", run_load(
        port=app_server.port, schools=schools, requests=1_000_000, concurrency=16, max_seconds=LOAD_SECONDS,
        seed=31, extra_statuses=frozenset({503}),
    )))
    load.start()
    time.sleep(DOWN_AFTER_SECONDS)
    scratch_cluster.stop()  # fast shutdown: every open connection is cut, in-flight transactions abort
    time.sleep(DOWN_FOR_SECONDS)
    scratch_cluster.start()
    load.join()
    result = results["load"]
    print(result.summary())

    # While it was down: a clear 503 ("database_unavailable", Retry-After), never a 500 or a dropped
    # connection; every other answer was the normal one for its request.
    assert result.statuses[503] > 0, result.summary()
    assert result.unexpected_count == 0, (result.summary(), result.unexpected, app_server.log_tail())
    assert result.foreign_rows == 0

    # It recovers by itself: the same server, its persistent connections re-established by the
    # health checks, answers normally again.
    after = run_load(port=app_server.port, schools=schools, requests=400, concurrency=16, max_seconds=60, seed=32)
    print(after.summary())
    assert after.requests == 400 and after.statuses[503] == 0 and after.unexpected_count == 0, after.summary()

    # Nothing half-done: every acknowledged create (201) is there, replaced sets are whole.
    acknowledged = {alignment_id for ids in (result.created_left | after.created_left).values() for alignment_id in ids}
    assert _existing_alignments(scratch_cluster, acknowledged) == acknowledged
    assert assert_replaced_sets_whole(scratch_cluster, schools) > 0  # the load really replaced sets


def _big_goso_file(path, *, sections=20, subsections=10, outcomes_per_grade=25):
    """A valid GOSO file of sections x subsections x 11 grades x outcomes_per_grade outcomes."""
    document = {
        "subject": {"code": "reliability_big", "name_ru": "Большой предмет", "grade_from": 1, "grade_to": 11},
        "framework": {"code": "reliability-big", "title_ru": "Большая программа"},
        "sections": [
            {"code": str(s), "name_ru": f"Раздел {s}",
             "subsections": [{"code": f"{s}.{n}", "name_ru": f"Подраздел {s}.{n}"} for n in range(1, subsections + 1)]}
            for s in range(1, sections + 1)
        ],
        "outcomes": [
            {"code": f"{grade}.{s}.{n}.{k}", "grade": grade, "title_ru": f"Цель {grade}.{s}.{n}.{k}"}
            for s in range(1, sections + 1) for n in range(1, subsections + 1)
            for grade in range(1, 12) for k in range(1, outcomes_per_grade + 1)
        ],
    }
    path.write_text(json.dumps(document, ensure_ascii=False))
    return len(document["outcomes"])


GOSO_CHECKSUM = """
    SELECT (SELECT count(*) || ':' || coalesce(md5(string_agg(id || code, ',' ORDER BY id)), '') FROM subjects),
           (SELECT count(*) || ':' || coalesce(md5(string_agg(id || code, ',' ORDER BY id)), '') FROM frameworks),
           (SELECT count(*) || ':' || coalesce(md5(string_agg(id || code, ',' ORDER BY id)), '') FROM goso_sections),
           (SELECT count(*) || ':' || coalesce(md5(string_agg(id || code, ',' ORDER BY id)), '') FROM goso_subsections),
           (SELECT count(*) || ':' || coalesce(md5(string_agg(id || code || title_ru, ',' ORDER BY id)), '') FROM learning_outcomes)
"""


def _goso_checksum(cluster):
    with super_admin_cursor(cluster) as cursor:
        cursor.execute(GOSO_CHECKSUM)
        return cursor.fetchone()


def _import_transaction_has_written(monitor) -> bool:
    """True once another session of the runtime role holds a transaction that has written rows."""
    row = monitor.execute(
        "SELECT count(*) FROM pg_stat_activity WHERE usename = %s AND pid <> pg_backend_pid() "
        "AND backend_xid IS NOT NULL", [RUNTIME],
    ).fetchone()
    return row[0] > 0


def test_import_killed_midway_leaves_nothing_behind(scratch_cluster, tmp_path):
    path = tmp_path / "big_goso.json"
    outcomes = _big_goso_file(path)
    before = _goso_checksum(scratch_cluster)

    process = subprocess.Popen(
        [sys.executable, "manage.py", "import_goso", str(path)], cwd=ROOT, env=scratch_cluster.app_env(),
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
    )
    with psycopg.connect(scratch_cluster.url(RUNTIME), autocommit=True) as monitor:
        deadline = time.monotonic() + 120
        while not _import_transaction_has_written(monitor):
            assert process.poll() is None, f"the import ended before it could be killed: {process.stdout.read()[-2000:]}"
            assert time.monotonic() < deadline, "the import never started writing"
            time.sleep(0.05)
        time.sleep(0.5)  # well inside its transaction: some batches written, not all
        assert process.poll() is None, f"the import of {outcomes} outcomes finished before it was killed"
        process.send_signal(signal.SIGKILL)
        process.wait()
        process.stdout.close()
        # The server notices the lost client and rolls its transaction back.
        deadline = time.monotonic() + 30
        while _import_transaction_has_written(monitor):
            assert time.monotonic() < deadline, "the killed import's transaction is still open"
            time.sleep(0.1)

    assert process.returncode == -signal.SIGKILL
    assert _goso_checksum(scratch_cluster) == before
    with super_admin_cursor(scratch_cluster) as cursor:
        cursor.execute("SELECT count(*) FROM frameworks WHERE code = 'reliability-big'")
        assert cursor.fetchone()[0] == 0
