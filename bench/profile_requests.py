"""Where a request's CPU goes: bench_http's request mix called in-process, through the WSGI application (no
gunicorn, no sockets), one request at a time, with CPU time per kind of request (Python's and its PostgreSQL
backend's), statements per kind as Django sends them (BEGIN and COMMIT not included), and optionally a cProfile.

Not a benchmark (no targets, nothing written to BENCHMARKS.md): the tool for working on the lean request path
(issue 13 item 3), where changes are a few percent each and gunicorn's figures move with other load. Run it
against the benchmark database, as `./dev bench` configures it:

    set -a; . ./.env; set +a
    DATABASE_URL="${DATABASE_URL%/*}/goso_bench" DATABASE_OWNER_URL="${DATABASE_OWNER_URL%/*}/goso_bench" \\
        DEBUG=false SECURE_SSL_REDIRECT=false ALLOWED_HOSTS=localhost,.localhost \\
        .venv/bin/python -m bench.profile_requests \\
        [--requests 1000] [--kind "list alignments" | --kind writes] [--profile /tmp/mix.prof]

Compare two trees by running it from each (a `git worktree` of the other commit) against the same database,
alternately. The alignments the requests create are deleted at the end.
"""

import argparse
import cProfile
import io
import json
import os
import pstats
import random
import sys
import time
from collections import Counter
from pathlib import Path

import django

WARM_UP = 300
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=1000)
    parser.add_argument("--schools", type=int, default=100)
    parser.add_argument("--kind", help='one kind of bench/loadgen.py MIX, or "writes"; default: the whole mix')
    parser.add_argument("--profile", type=Path, help="write a cProfile of the measured requests here")
    options = parser.parse_args()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    django.setup()
    Profiler(options).run()


class Profiler:
    def __init__(self, options):
        from django.core.handlers.wsgi import WSGIHandler
        from django.db import connection, transaction

        from bench.loadgen import _Shared, prepare_schools
        from tenants.context import super_admin_context

        self.options, self.connection = options, connection
        with transaction.atomic(), super_admin_context(), connection.cursor() as cursor:
            self.schools = prepare_schools(cursor, count=options.schools)
        self.application = WSGIHandler()
        self.random = random.Random(7)
        self.shared = _Shared(10 * (options.requests + WARM_UP), time.monotonic() + 3600)
        self.kind = None  # the kind of request being sent, for the statement counter
        self.statements: dict[str, int] = {}
        self.statuses: Counter = Counter()
        connection.execute_wrappers.append(self._count)

    def _count(self, execute, sql, params, many, context):
        if self.kind is not None:
            self.statements[self.kind] = self.statements.get(self.kind, 0) + 1
        return execute(sql, params, many, context)

    def _next_request(self):
        from bench.loadgen import _request

        while True:
            kind, school, method, path, body, _expected = _request(self.schools, self.random, self.shared)
            if self.options.kind in (None, kind) or (self.options.kind == "writes" and method != "GET"):
                return kind, school, method, path, body

    def _send(self, school, method, path, body) -> tuple[int, bytes]:
        payload = b"" if body is None else json.dumps(body).encode()
        path_info, _, query = path.partition("?")
        environ = {
            "REQUEST_METHOD": method, "PATH_INFO": path_info, "QUERY_STRING": query, "SERVER_NAME": "127.0.0.1",
            "SERVER_PORT": "8000", "SERVER_PROTOCOL": "HTTP/1.1", "REMOTE_ADDR": "127.0.0.1",
            # Half on the school's own host, half on the public one, as the load generator sends them.
            "HTTP_HOST": school.host if self.random.random() < 0.5 else "localhost",
            "HTTP_AUTHORIZATION": f"Token {school.token}", "HTTP_ACCEPT": "application/json",
            "CONTENT_LENGTH": str(len(payload)), "wsgi.input": io.BytesIO(payload), "wsgi.errors": sys.stderr,
            "wsgi.url_scheme": "http", "wsgi.version": (1, 0), "wsgi.multithread": True, "wsgi.multiprocess": True,
            "wsgi.run_once": False,
        }
        if body is not None:
            environ["CONTENT_TYPE"] = "application/json"
        statuses = []
        response = self.application(environ, lambda status, headers, *rest: statuses.append(status))
        content = b"".join(response)
        response.close()
        return int(statuses[0][:3]), content

    def _one(self) -> tuple[str, float]:
        kind, school, method, path, body = self._next_request()
        self.kind = kind
        started = time.process_time()
        status, content = self._send(school, method, path, body)
        spent = time.process_time() - started
        self.kind = None
        self.statuses[status] += 1
        if status in (301, 302, 308) or status >= 500:
            raise SystemExit(f"{method} {path} answered {status}: run with the settings of the docstring "
                             "(SECURE_SSL_REDIRECT=false, ALLOWED_HOSTS with .localhost)")
        if status == 201 and kind == "create alignment":
            self.shared.remember(school.school_id, json.loads(content)["id"])
        return kind, spent

    def _backend_cpu(self) -> float:
        with self.connection.cursor() as cursor:
            cursor.execute("SELECT pg_backend_pid()")
            (pid,) = cursor.fetchone()
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS  # utime + stime, fields 14 and 15 of proc(5)

    def run(self) -> None:
        for _ in range(WARM_UP):
            self._one()
        self.statements.clear()
        self.statuses.clear()
        per_kind: dict[str, list[float]] = {}
        profile = cProfile.Profile() if self.options.profile else None
        postgres_before, python_before = self._backend_cpu(), time.process_time()
        if profile:
            profile.enable()
        for _ in range(self.options.requests):
            kind, spent = self._one()
            per_kind.setdefault(kind, []).append(spent)
        if profile:
            profile.disable()
        python = time.process_time() - python_before
        postgres = self._backend_cpu() - postgres_before
        self._remove_created()
        requests = self.options.requests
        print(f"CPU per request over {requests} requests: Python {1000 * python / requests:.2f} ms, "
              f"PostgreSQL {1000 * postgres / requests:.2f} ms" + (" (under cProfile)" if profile else "")
              + f"; statuses {dict(sorted(self.statuses.items()))}")
        for kind, times in sorted(per_kind.items()):
            print(f"  {kind:28} {len(times):5}  Python {1000 * sum(times) / len(times):6.2f} ms  "
                  f"{self.statements.get(kind, 0) / len(times):5.2f} statements")
        if profile:
            profile.dump_stats(self.options.profile)
            pstats.Stats(profile).sort_stats("cumulative").print_stats(40)

    def _remove_created(self) -> None:
        """Leave the benchmark data as it was: the alignments the requests created and did not delete."""
        from django.db import transaction

        from tenants.context import super_admin_context

        created = [alignment_id for ids in self.shared.created.values() for alignment_id in ids]
        with transaction.atomic(), super_admin_context(), self.connection.cursor() as cursor:
            cursor.execute("DELETE FROM paragraph_outcomes WHERE id = ANY(%s)", [created])


if __name__ == "__main__":
    main()
