"""Read replicas on a real primary + hot standby pair (pg_basebackup -R, streaming replication), both on
loopback: row-level security and the tenant context on the standby, read-your-writes, the standby lost
and back under load with zero failed requests, and the primary's work falling when reads move.
"""

import os
import threading
import time

import psycopg
import pytest

from bench.loadgen import API, free_port, gunicorn, run_load
from tests.reliability.conftest import RUNTIME, SUPER_ADMIN, alignments_clear, super_admin_cursor
from tests.reliability.http_support import api_call
from tests.test_isolation_matrix import CONTEXTS, OWNERS, VISIBLE

pytestmark = pytest.mark.reliability

CONTENT_TABLES = ["textbooks", "chapters", "paragraphs", "paragraph_outcomes"]


class Standby:
    def __init__(self, primary, port):
        self.primary, self.port = primary, port
        self.datadir = primary.directory / "standby"

    def url(self, role, *, database="goso"):
        return self.primary.url(role, port=self.port, database=database)

    def pg_ctl(self, *arguments):
        return self.primary.as_os_user([str(self.primary.bindir / "pg_ctl"), "-D", str(self.datadir), *arguments])

    def start(self):
        self.pg_ctl("-l", str(self.primary.directory / "standby.log"), "-o", f"-p {self.port}", "-w", "-t", "60", "start")

    def stop(self):
        self.pg_ctl("-m", "fast", "-w", "-t", "60", "stop")


def _position(url, sql):
    with psycopg.connect(url, autocommit=True) as conn:
        return conn.execute(f"SELECT ({sql} - '0/0'::pg_lsn)::bigint").fetchone()[0]


def wait_caught_up(standby, seconds=30):
    target = _position(standby.primary.url("postgres", database="postgres"), "pg_current_wal_lsn()")
    deadline = time.monotonic() + seconds
    while _position(standby.url("postgres", database="postgres"), "pg_last_wal_replay_lsn()") < target:
        assert time.monotonic() < deadline, "the standby does not catch up"
        time.sleep(0.1)


def statements(url) -> int:
    """Statements the runtime role has run in the goso database on that server (pg_stat_statements,
    counted as each statement ends; pg_stat_database's counters reach the view up to 10 s late)."""
    with psycopg.connect(url, autocommit=True) as conn:
        return conn.execute(
            "SELECT coalesce(sum(calls), 0)::bigint FROM pg_stat_statements "
            "WHERE userid = %s::regrole AND dbid = (SELECT oid FROM pg_database WHERE datname = 'goso')", [RUNTIME],
        ).fetchone()[0]


@pytest.fixture(scope="module")
def standby(scratch_cluster):
    standby = Standby(scratch_cluster, free_port())
    scratch_cluster.as_os_user(
        [str(scratch_cluster.bindir / "pg_basebackup"), "-h", "127.0.0.1", "-p", str(scratch_cluster.port),
         "-U", "postgres", "-D", str(standby.datadir), "-R", "-X", "stream", "--checkpoint=fast"],
        env={**os.environ, "PGPASSWORD": scratch_cluster.passwords["postgres"]},
    )
    standby.start()
    try:
        wait_caught_up(standby)
        yield standby
    finally:
        try:
            standby.stop()
        except Exception:  # already stopped by a failed test: nothing to clean up
            pass


@pytest.fixture(scope="module")
def replica_server(scratch_cluster, standby, tmp_path_factory):
    env = scratch_cluster.app_env(
        DATABASE_REPLICA_URL=standby.url(RUNTIME), REPLICA_MARKER_DIR=str(tmp_path_factory.mktemp("markers")),
        REPLICA_RETRY_SECONDS="1", REPLICA_CHECK_SECONDS="0.2", REPLICA_MAX_LAG_SECONDS="60",
        LOG_LEVEL="INFO",
    )
    with gunicorn(env, scratch_cluster.directory / "gunicorn-replica.log") as server:
        yield server


def _visible_owners(cursor, table, school_id, other_id):
    cursor.execute(f"SELECT DISTINCT school_id FROM {table}")
    owners = set()
    for (owner,) in cursor.fetchall():
        owners.add("global" if owner is None else "own" if owner == school_id else "other")
    assert owners <= set(OWNERS)
    return owners


def _enter(cursor, context_name, school_id):
    cursor.execute(
        "SELECT set_config('app.current_tenant_id', %s, true), set_config('app.is_super_admin', %s, true), "
        "set_config('role', %s, true)",
        [str(school_id) if context_name == "school_a" else "", "true" if context_name == "super_admin" else "false",
         SUPER_ADMIN if context_name == "super_admin" else "none"],
    )


def test_row_level_security_on_the_standby_is_the_primarys(scratch_cluster, standby, schools):
    """The raw-SQL matrix's reads (tests/test_isolation_matrix.py: VISIBLE) on the standby, as the runtime
    role, give the primary's answer row for row; every write is refused (read-only)."""
    school_id, other_id = schools[0].school_id, schools[1].school_id
    wait_caught_up(standby)
    for table in CONTENT_TABLES:
        for context_name in CONTEXTS:
            seen = {}
            for side, url in (("primary", scratch_cluster.url(RUNTIME)), ("standby", standby.url(RUNTIME))):
                with psycopg.connect(url) as conn, conn.cursor() as cursor:
                    _enter(cursor, context_name, school_id)
                    owners = _visible_owners(cursor, table, school_id, other_id)
                    cursor.execute(f"SELECT count(*), coalesce(sum(id), 0) FROM {table}")
                    seen[side] = (owners, cursor.fetchone())
            assert seen["standby"] == seen["primary"], (table, context_name, seen)
            assert seen["standby"][0] == VISIBLE[context_name], (table, context_name)
        with psycopg.connect(standby.url(RUNTIME)) as conn, conn.cursor() as cursor:
            _enter(cursor, "super_admin", school_id)
            with pytest.raises(psycopg.errors.ReadOnlySqlTransaction):
                cursor.execute(f"DELETE FROM {table} WHERE school_id = %s", [other_id])
            conn.rollback()
    # No context on the standby: no school rows at all (fail closed there too).
    with psycopg.connect(standby.url(RUNTIME)) as conn, conn.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM paragraph_outcomes WHERE school_id IS NOT NULL")
        assert cursor.fetchone()[0] == 0


def _reads(port, schools, count):
    for index in range(count):
        school = schools[index % len(schools)]
        status, body = api_call(port, school, "GET", f"{API}/paragraphs/{school.create_paragraph}/outcomes/")
        assert status == 200, body


def test_reads_move_to_the_standby_and_off_the_primary(scratch_cluster, standby, schools, app_server, replica_server):
    primary_url, standby_url = scratch_cluster.url("postgres", database="goso"), standby.url("postgres", database="goso")
    _reads(replica_server.port, schools, 20)  # warm both servers' connections
    _reads(app_server.port, schools, 20)
    reads = 200

    before = statements(primary_url)
    _reads(app_server.port, schools, reads)
    direct = statements(primary_url) - before

    before_primary, before_standby = statements(primary_url), statements(standby_url)
    _reads(replica_server.port, schools, reads)
    moved_primary = statements(primary_url) - before_primary
    moved_standby = statements(standby_url) - before_standby
    print(f"primary statements for {reads} reads: {direct} without a replica, {moved_primary} with one "
          f"(standby: {moved_standby})")
    assert direct >= reads
    assert moved_standby >= reads
    assert moved_primary <= direct * 0.1, (direct, moved_primary)


def test_a_writer_reads_its_own_writes_while_the_standby_lags(scratch_cluster, standby, schools, replica_server):
    writer, reader = schools[2], schools[3]
    standby_superuser = standby.url("postgres", database="goso")
    outcome = writer.create_candidates[1]
    alignments_clear(scratch_cluster, paragraph=writer.create_paragraph, outcomes=[outcome])
    with psycopg.connect(standby_superuser, autocommit=True) as conn:
        conn.execute("SELECT pg_wal_replay_pause()")
    try:
        status, created = api_call(replica_server.port, writer, "POST", f"{API}/alignments/",
                                   {"paragraph": writer.create_paragraph, "outcome": outcome})
        assert status == 201, created
        # The standby really lags: it has not replayed the write.
        with psycopg.connect(standby.url(RUNTIME)) as conn, conn.cursor() as cursor:
            _enter(cursor, "super_admin", None)
            cursor.execute("SELECT count(*) FROM paragraph_outcomes WHERE id = %s", [created["id"]])
            assert cursor.fetchone()[0] == 0
        # The writer sees it at once (served by the primary) ...
        status, body = api_call(replica_server.port, writer, "GET", f"{API}/paragraphs/{writer.create_paragraph}/outcomes/?page_size=100")
        assert status == 200 and created["id"] in {row["id"] for row in body["results"]}, body
        # ... while others still read from the standby.
        before = statements(standby_superuser)
        _reads(replica_server.port, [reader], 10)
        assert statements(standby_superuser) - before >= 10
    finally:
        with psycopg.connect(standby_superuser, autocommit=True) as conn:
            conn.execute("SELECT pg_wal_replay_resume()")
    wait_caught_up(standby)
    time.sleep(0.5)  # the servers' view of the standby's position is refreshed every 0.2 s
    before = statements(standby_superuser)
    status, body = api_call(replica_server.port, writer, "GET", f"{API}/paragraphs/{writer.create_paragraph}/outcomes/?page_size=100")
    assert status == 200 and created["id"] in {row["id"] for row in body["results"]}
    assert statements(standby_superuser) - before >= 1, "the writer reads from the standby again once it caught up"
    assert api_call(replica_server.port, writer, "DELETE", f"{API}/alignments/{created['id']}/")[0] == 204


def test_standby_lost_and_back_under_load_fails_no_request(scratch_cluster, standby, schools, replica_server):
    results = {}
    load = threading.Thread(target=lambda: results.setdefault("load", run_load(
        port=replica_server.port, schools=schools, requests=10**9, concurrency=16, max_seconds=14, seed=41,
    )))
    load.start()
    time.sleep(4)
    standby.stop()  # fast shutdown: every connection to it is cut mid-request
    time.sleep(4)
    standby.start()
    load.join()
    result = results["load"]
    print(result.summary())
    assert result.unexpected_count == 0, (result.summary(), result.unexpected, replica_server.log_tail())
    assert result.foreign_rows == 0 and result.statuses[503] == 0
    assert "Read replica" in replica_server.log.read_text(errors="replace")  # the loss was logged (the tail is the load's)
    # Back: reads go to the standby again.
    wait_caught_up(standby)
    time.sleep(1.5)  # REPLICA_RETRY_SECONDS
    before = statements(standby.url("postgres", database="goso"))
    _reads(replica_server.port, schools, 20)
    assert statements(standby.url("postgres", database="goso")) - before >= 10
    with super_admin_cursor(scratch_cluster) as cursor:  # leave the data as the load found it
        ids = [alignment_id for ids in result.created_left.values() for alignment_id in ids]
        cursor.execute("DELETE FROM paragraph_outcomes WHERE id = ANY(%s)", [ids])
