"""The lean request path, counted at the PostgreSQL server: its statement log (log_statement = all for
the runtime role, each line tagged with the connection's application_name), not Django's own capture.

An authenticated API read sends at most 6 statements, a write at most 9 (issue 13; README "Statements
of a request" names each one). One gunicorn worker with one thread, so the request's statements are
exactly the log lines of its connection between two marks.
"""

import re
import time

import psycopg
import pytest

from bench.loadgen import API, gunicorn
from tests.reliability.conftest import RUNTIME, alignments_clear
from tests.reliability.http_support import api_call

pytestmark = pytest.mark.reliability

APPLICATION = "goso-statement-count"
READ_LIMIT, WRITE_LIMIT = 6, 9
STATEMENT = re.compile(rf"\[\d+\] {APPLICATION} LOG:  (?:statement|execute [^:]*): (.*)")


@pytest.fixture(scope="module")
def counted_server(scratch_cluster):
    superuser = scratch_cluster.url("postgres", database="goso")
    with psycopg.connect(superuser, autocommit=True) as conn:
        conn.execute("ALTER SYSTEM SET log_line_prefix = '%m [%p] %a '")
        conn.execute(f'ALTER ROLE "{RUNTIME}" SET log_statement = \'all\'')
        conn.execute("SELECT pg_reload_conf()")
    env = scratch_cluster.app_env(DATABASE_URL=f"{scratch_cluster.url(RUNTIME)}?application_name={APPLICATION}")
    try:
        with gunicorn(env, scratch_cluster.directory / "gunicorn-counted.log", workers=1, threads=1) as server:
            yield server
    finally:
        with psycopg.connect(superuser, autocommit=True) as conn:
            conn.execute(f'ALTER ROLE "{RUNTIME}" RESET log_statement')
            conn.execute("ALTER SYSTEM RESET log_line_prefix")
            conn.execute("SELECT pg_reload_conf()")


def statements_of(scratch_cluster, call):
    """Run `call` and return the statements the app's connection sent meanwhile (from the server log)."""
    log = scratch_cluster.directory / "server.log"
    start = log.stat().st_size
    result = call()
    time.sleep(0.3)  # the server writes its log asynchronously to us
    with open(log, "rb") as file:
        file.seek(start)
        lines = file.read().decode(errors="replace").splitlines()
    return result, [match.group(1) for line in lines if (match := STATEMENT.search(line))]


def test_an_authenticated_read_and_write_send_few_statements(scratch_cluster, schools, counted_server):
    school = schools[0]
    port = counted_server.port
    read = lambda: api_call(port, school, "GET", f"{API}/paragraphs/{school.create_paragraph}/outcomes/")  # noqa: E731
    for _ in range(3):  # warm: the persistent connection, the host cache
        assert read()[0] == 200

    (status, body), statements = statements_of(scratch_cluster, read)
    print("read:", *statements, sep="\n  ")
    assert status == 200 and body["count"] > 0  # a real page: the paragraph has alignments
    assert statements[0] == "BEGIN" and statements[-1] == "COMMIT"
    assert 4 <= len(statements) <= READ_LIMIT, statements

    alignments_clear(scratch_cluster, paragraph=school.create_paragraph, outcomes=school.create_candidates[:2])
    create = lambda: api_call(port, school, "POST", f"{API}/alignments/",  # noqa: E731
                              {"paragraph": school.create_paragraph, "outcome": school.create_candidates[0]})
    # Warm for writes too (a process remembers content types, which the History entry of a write names).
    status, warm = api_call(port, school, "POST", f"{API}/alignments/",
                            {"paragraph": school.create_paragraph, "outcome": school.create_candidates[1]})
    assert status == 201 and api_call(port, school, "DELETE", f"{API}/alignments/{warm['id']}/")[0] == 204
    (status, body), statements = statements_of(scratch_cluster, create)
    print("write:", *statements, sep="\n  ")
    assert status == 201, body
    assert any(statement.startswith('INSERT INTO "paragraph_outcomes"') for statement in statements)
    assert statements[-1] == "COMMIT" and len(statements) <= WRITE_LIMIT, statements

    (status, _body), statements = statements_of(
        scratch_cluster, lambda: api_call(port, school, "DELETE", f"{API}/alignments/{body['id']}/"))
    print("delete:", *statements, sep="\n  ")
    assert status == 204 and len(statements) <= WRITE_LIMIT, statements

    # Another school's paragraph is still a 404 on the lean path (the isolation tests cover the rest).
    (status, _body), statements = statements_of(
        scratch_cluster, lambda: api_call(port, school, "GET", f"{API}/paragraphs/{school.foreign_paragraph}/outcomes/"))
    assert status == 404 and statements[-1] == "ROLLBACK", statements
