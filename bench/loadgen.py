"""A bounded HTTP load generator for the REST API: many schools at once over persistent (keep-alive)
connections, mixed reads and writes, every response checked against the school that sent it.

Used by bench/bench_http.py and the reliability suite (tests/reliability). Plain threads with
http.client: no dependency, and enough on a 2-core machine where the server is the bottleneck.
Bounded twice: by a number of requests and by a deadline.

A "foreign row" is any object in a response whose "school" is neither null (global) nor the
requesting school: one is an isolation failure.
"""

import http.client
import json
import random
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections import Counter
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
API = "/api/v1"
REPLACE_SET_SIZE = 3
CREATE_CANDIDATES = 4
OUTCOMES_NEEDED = 2 * REPLACE_SET_SIZE + CREATE_CANDIDATES


@dataclass(frozen=True)
class SchoolProfile:
    school_id: int
    host: str  # the school's host name (scale-00001.localhost)
    token: str  # its administrator's API token
    create_paragraph: int  # own paragraph: alignments are created and deleted here
    replace_paragraph: int  # own paragraph: its whole set is replaced (PUT) by set A or set B
    outcomes: tuple[int, ...]  # of the paragraphs' subject and grade: set A, set B, create candidates
    foreign_paragraph: int  # another school's paragraph: always a 404

    @property
    def set_a(self) -> frozenset:
        return frozenset(self.outcomes[:REPLACE_SET_SIZE])

    @property
    def set_b(self) -> frozenset:
        return frozenset(self.outcomes[REPLACE_SET_SIZE:2 * REPLACE_SET_SIZE])

    @property
    def create_candidates(self) -> tuple[int, ...]:
        return self.outcomes[2 * REPLACE_SET_SIZE:]


_SCHOOLS = """
    SELECT s.id, s.code, u.id,
           (SELECT array_agg(p.id ORDER BY p.id)
            FROM (SELECT p.id FROM textbooks t JOIN chapters c ON c.textbook_id = t.id
                  JOIN paragraphs p ON p.chapter_id = c.id
                  WHERE t.school_id = s.id ORDER BY t.id, p.id LIMIT 2) p),
           (SELECT t.subject_id FROM textbooks t WHERE t.school_id = s.id ORDER BY t.id LIMIT 1),
           (SELECT t.grade_level FROM textbooks t WHERE t.school_id = s.id ORDER BY t.id LIMIT 1)
    FROM schools s JOIN users u ON u.school_id = s.id AND u.username = 'scale-admin-' || substring(s.code FROM 7)
    WHERE s.code LIKE 'scale-%%'
    ORDER BY s.code LIMIT %s
"""
_OUTCOMES = """
    SELECT o.id FROM learning_outcomes o JOIN frameworks f ON f.id = o.framework_id
    WHERE f.subject_id = %s AND o.grade = %s
      AND o.id NOT IN (SELECT outcome_id FROM paragraph_outcomes WHERE paragraph_id IN (%s, %s))
    ORDER BY o.id LIMIT %s
"""
# API tokens are written only through the identity function (the runtime role cannot touch api_tokens).
_TOKEN = "SELECT public.identity_token_create(%s, %s, %s, now() + interval '1 day')"


def prepare_schools(cursor, *, count: int) -> list[SchoolProfile]:
    """Profiles of the first `count` generated schools (bench/scale_data.py), with API tokens for
    their administrators. `cursor`: any DB-API cursor in the super-admin context."""
    from knox.crypto import create_token_string, hash_token  # needs Django settings: imported late
    from knox.settings import CONSTANTS

    cursor.execute(_SCHOOLS, [count])
    rows = cursor.fetchall()
    profiles = []
    for index, (school_id, code, user_id, paragraphs, subject_id, grade) in enumerate(rows):
        if not paragraphs or len(paragraphs) < 2:
            raise ValueError(f"school {code} has no forked textbook with two paragraphs: generate scale data first")
        # Outcomes neither paragraph has yet: a replaced set is then always told apart from the generated one.
        cursor.execute(_OUTCOMES, [subject_id, grade, paragraphs[0], paragraphs[1], OUTCOMES_NEEDED])
        outcomes = tuple(outcome_id for (outcome_id,) in cursor.fetchall())
        if len(outcomes) < OUTCOMES_NEEDED:
            raise ValueError(f"school {code}: fewer than {OUTCOMES_NEEDED} outcomes fit its paragraphs")
        token = create_token_string()
        cursor.execute(_TOKEN, [hash_token(token), token[:CONSTANTS.TOKEN_KEY_LENGTH], user_id])
        next_school_paragraphs = rows[(index + 1) % len(rows)][3]
        profiles.append(SchoolProfile(
            school_id=school_id, host=f"{code}.localhost", token=token, create_paragraph=paragraphs[0],
            replace_paragraph=paragraphs[1], outcomes=outcomes, foreign_paragraph=next_school_paragraphs[0],
        ))
    return profiles


# (kind, weight, method, expected statuses). Reads are 80%, writes 20%.
MIX = [
    ("list alignments", 20, "GET", {200}),
    ("list textbooks", 15, "GET", {200}),
    ("paragraph outcomes", 20, "GET", {200}),
    ("outcome paragraphs", 15, "GET", {200}),
    ("foreign paragraph outcomes", 10, "GET", {404}),
    ("create alignment", 7, "POST", {201, 400}),  # 400: another client of the school made it first
    ("delete alignment", 5, "DELETE", {204}),
    # Two replaces of one paragraph at once: the second may find its rows gone (403) or inserted by
    # the first (400); the paragraph's set is still exactly one of the two (checked by the tests).
    ("replace alignments", 5, "PUT", {200, 400, 403}),
    ("foreign create", 3, "POST", {404}),
]


@dataclass
class LoadResult:
    requests: int = 0
    seconds: float = 0.0
    latencies: list = field(default_factory=list)
    kind_latencies: dict = field(default_factory=dict)  # kind -> latencies
    statuses: Counter = field(default_factory=Counter)
    kinds: Counter = field(default_factory=Counter)
    foreign_rows: int = 0
    unexpected: list = field(default_factory=list)  # the first few: (kind, method, path, status, body)
    unexpected_count: int = 0
    schools: set = field(default_factory=set)
    school_requests: Counter = field(default_factory=Counter)  # school id -> requests sent for it
    created_left: dict = field(default_factory=dict)  # school -> alignments the load made and kept

    @property
    def requests_per_second(self) -> float:
        return round(self.requests / self.seconds, 1) if self.seconds else 0.0

    def percentile_ms(self, percent: int) -> float:
        if len(self.latencies) < 2:
            return 0.0
        return round(statistics.quantiles(self.latencies, n=100, method="inclusive")[percent - 1] * 1000, 1)

    def kind_medians_ms(self) -> dict:
        return {kind: round(statistics.median(values) * 1000, 1) for kind, values in sorted(self.kind_latencies.items())}

    def summary(self) -> str:
        return (
            f"{self.requests} requests from {len(self.schools)} schools in {self.seconds:.1f} s "
            f"({self.requests_per_second} req/s; p50 {self.percentile_ms(50)} ms, p95 {self.percentile_ms(95)} ms, "
            f"p99 {self.percentile_ms(99)} ms); statuses {dict(sorted(self.statuses.items()))}; "
            f"foreign rows {self.foreign_rows}; unexpected {self.unexpected_count}"
        )


def foreign_rows(body, school_id: int) -> int:
    """Objects in a response body that belong to another school."""
    if isinstance(body, dict):
        own = 1 if "school" in body and body["school"] not in (None, school_id) else 0
        return own + sum(foreign_rows(value, school_id) for key, value in body.items() if key != "school")
    if isinstance(body, list):
        return sum(foreign_rows(item, school_id) for item in body)
    return 0


class _Shared:
    """What the client threads share: the request budget and each school's created alignments."""

    def __init__(self, total: int, deadline: float):
        self.lock = threading.Lock()
        self.remaining = total
        self.deadline = deadline
        self.created: dict[int, list[int]] = {}

    def take(self) -> bool:
        with self.lock:
            if self.remaining <= 0 or time.monotonic() > self.deadline:
                return False
            self.remaining -= 1
            return True

    def remember(self, school_id: int, alignment_id: int):
        with self.lock:
            self.created.setdefault(school_id, []).append(alignment_id)

    def pop(self, school_id: int) -> int | None:
        with self.lock:
            ids = self.created.get(school_id)
            return ids.pop() if ids else None


def _request(schools: list[SchoolProfile], rng: random.Random, shared: _Shared):
    """(kind, school, method, path, body, expected statuses) of a random request."""
    kind, _weight, method, expected = rng.choices(MIX, weights=[entry[1] for entry in MIX])[0]
    school = rng.choice(schools)
    body = None
    if kind == "list alignments":
        path = f"{API}/alignments/?page_size=20&page={rng.randint(1, 3)}"
    elif kind == "list textbooks":
        path = f"{API}/textbooks/?page_size=20"
    elif kind == "paragraph outcomes":
        path = f"{API}/paragraphs/{rng.choice([school.create_paragraph, school.replace_paragraph])}/outcomes/"
    elif kind == "outcome paragraphs":
        path = f"{API}/outcomes/{rng.choice(school.outcomes)}/paragraphs/?page_size=20"
    elif kind == "foreign paragraph outcomes":
        path = f"{API}/paragraphs/{school.foreign_paragraph}/outcomes/"
    elif kind == "delete alignment" and (alignment_id := shared.pop(school.school_id)) is not None:
        path = f"{API}/alignments/{alignment_id}/"
    elif kind in ("create alignment", "delete alignment"):
        kind, method, expected = "create alignment", "POST", {201, 400}
        path = f"{API}/alignments/"
        body = {"paragraph": school.create_paragraph, "outcome": rng.choice(school.create_candidates), "confidence": "0.80"}
    elif kind == "replace alignments":
        path = f"{API}/paragraphs/{school.replace_paragraph}/outcomes/"
        chosen = school.set_a if rng.random() < 0.5 else school.set_b
        body = {"alignments": [{"outcome": outcome_id} for outcome_id in sorted(chosen)]}
    else:  # foreign create
        path = f"{API}/alignments/"
        body = {"paragraph": school.foreign_paragraph, "outcome": school.outcomes[0]}
    return kind, school, method, path, body, expected


def _client(*, host: str, port: int, schools, seed: int, shared: _Shared, result: LoadResult, extra_statuses: set,
            result_lock: threading.Lock):
    rng = random.Random(seed)
    connection = None
    local = LoadResult()
    while shared.take():
        kind, school, method, path, body, expected = _request(schools, rng, shared)
        # Half the requests on the school's own host, half on the public one: the token decides.
        headers = {
            "Host": school.host if rng.random() < 0.5 else "localhost",
            "Authorization": f"Token {school.token}",
            "Accept": "application/json",
        }
        payload = None
        if body is not None:
            payload = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        started = time.perf_counter()
        try:
            if connection is None:
                connection = http.client.HTTPConnection(host, port, timeout=30)
            connection.request(method, path, body=payload, headers=headers)
            response = connection.getresponse()
            raw = response.read()
            status = response.status
            if response.getheader("Connection", "").lower() == "close":
                connection.close()
                connection = None
        except (OSError, http.client.HTTPException) as error:
            if connection is not None:
                connection.close()
            connection = None
            status, raw = 0, str(error).encode()
        local.latencies.append(time.perf_counter() - started)
        local.kind_latencies.setdefault(kind, []).append(local.latencies[-1])
        local.requests += 1
        local.statuses[status] += 1
        local.kinds[kind] += 1
        local.schools.add(school.school_id)
        local.school_requests[school.school_id] += 1
        try:
            data = json.loads(raw) if raw else None
        except ValueError:
            data = None
        if status in (200, 201):
            local.foreign_rows += foreign_rows(data, school.school_id)
        if status == 201 and kind == "create alignment":
            shared.remember(school.school_id, data["id"])
        # A 503 must say why (the app's "database_unavailable" answer), or it is unexpected too.
        unclear = status == 503 and not (isinstance(data, dict) and data.get("error", {}).get("code") == "database_unavailable")
        if unclear or (status not in expected and status not in extra_statuses):
            local.unexpected_count += 1
            if len(local.unexpected) < 5:
                local.unexpected.append((kind, method, path, status, raw[:300].decode(errors="replace")))
    if connection is not None:
        connection.close()
    with result_lock:
        result.requests += local.requests
        result.latencies += local.latencies
        for kind, values in local.kind_latencies.items():
            result.kind_latencies.setdefault(kind, []).extend(values)
        result.statuses.update(local.statuses)
        result.kinds.update(local.kinds)
        result.foreign_rows += local.foreign_rows
        result.unexpected += local.unexpected[: max(0, 20 - len(result.unexpected))]
        result.unexpected_count += local.unexpected_count
        result.schools |= local.schools
        result.school_requests.update(local.school_requests)


def run_load(*, port: int, schools: list[SchoolProfile], requests: int, concurrency: int, max_seconds: float,
             host: str = "127.0.0.1", seed: int = 7, extra_statuses: frozenset = frozenset()) -> LoadResult:
    """Send `requests` requests (at most `max_seconds`) from `concurrency` keep-alive clients, each
    request from a random school. `extra_statuses`: statuses accepted on top of each kind's own
    (503 while the database restarts)."""
    shared = _Shared(requests, time.monotonic() + max_seconds)
    result, result_lock = LoadResult(), threading.Lock()
    threads = [
        threading.Thread(target=_client, kwargs={
            "host": host, "port": port, "schools": schools, "seed": seed * 1000 + index, "shared": shared,
            "result": result, "extra_statuses": set(extra_statuses), "result_lock": result_lock,
        }, daemon=True)
        for index in range(concurrency)
    ]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    result.seconds = time.perf_counter() - started
    result.created_left = dict(shared.created)  # alignments made by the load and not deleted by it
    return result


# ---------------------------------------------------------------------------------------------
# The server under load


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass
class Server:
    port: int
    process: subprocess.Popen
    log: Path

    def log_tail(self) -> str:
        return self.log.read_text(errors="replace")[-3000:] if self.log.exists() else ""


def wait_for_http(port: int, process: subprocess.Popen, *, seconds: float = 30):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and process.poll() is None:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/api/v1/", timeout=2)
            return
        except urllib.error.HTTPError:
            return  # any HTTP answer: the server is up
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"gunicorn does not answer on 127.0.0.1:{port} (exit code {process.poll()})")


@contextmanager
def gunicorn(env: dict, log: Path, *, workers: int = 2, threads: int = 8, root: Path = ROOT):
    """The app under gunicorn on a free loopback port (gthread workers: keep-alive connections).
    `root`: the source tree to serve (bench/bench_http.py also serves an older commit's)."""
    port = free_port()
    with open(log, "ab") as log_file:
        process = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "config.wsgi:application", "--bind", f"127.0.0.1:{port}",
             "--workers", str(workers), "--threads", str(threads), "--worker-class", "gthread",
             "--keep-alive", "30", "--timeout", "60", "--graceful-timeout", "5"],
            cwd=root, env=env, stdout=log_file, stderr=subprocess.STDOUT,
        )
    server = Server(port, process, log)
    try:
        wait_for_http(port, process)
        yield server
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
