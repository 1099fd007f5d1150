"""Fixtures of the reliability suite: a throwaway PostgreSQL cluster of its own (it is restarted by the
fault tests, so never the shared development cluster), migrated and filled with the small scale data
(python -m bench.scale_data --scale small: 60 schools), the app served by gunicorn on loopback, directly
(persistent connections) and through pgbouncer in transaction pooling.

Everything here runs as separate processes against that cluster; the tests talk to it over HTTP and
read it back through the runtime role (in the super-admin context), never as a superuser.
"""

import os
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import psycopg
import pytest

from bench.loadgen import free_port, gunicorn, prepare_schools
from tenants.database_roles import DEFAULT_OWNER, DEFAULT_RUNTIME, database_roles_create, super_admin_role_name
from tests.prerequisites import missing, require

ROOT = Path(__file__).resolve().parents[2]
OWNER, RUNTIME, SUPER_ADMIN = DEFAULT_OWNER, DEFAULT_RUNTIME, super_admin_role_name(DEFAULT_RUNTIME)
SCHOOLS = 60


def _postgres_bindir() -> Path | None:
    for candidate in sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True):
        if (candidate / "initdb").exists() and (candidate / "pg_ctl").exists():
            return candidate
    initdb = shutil.which("initdb")
    return Path(initdb).resolve().parent if initdb else None


def _os_user() -> str | None:
    """initdb refuses to run as root: as root, the cluster runs as an unprivileged user."""
    if os.geteuid() != 0:
        return None
    for name in ("postgres", "goso-pg"):
        if subprocess.run(["id", name], capture_output=True).returncode == 0:
            return name
    subprocess.run(["useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin", "goso-pg"], check=True)
    return "goso-pg"


@dataclass
class Cluster:
    bindir: Path
    directory: Path
    port: int
    os_user: str | None
    passwords: dict
    generated: tuple = ()  # SCALE_COUNTS right after bench/scale_data.py

    @property
    def datadir(self) -> Path:
        return self.directory / "data"

    def url(self, role: str, *, port: int | None = None, database: str = "goso") -> str:
        return f"postgresql://{role}:{self.passwords[role]}@127.0.0.1:{port or self.port}/{database}"

    def as_os_user(self, command: list[str], **options):
        if self.os_user:
            command = ["runuser", "-u", self.os_user, "--", *command]
        # From /: the OS user may not be allowed into the project's folder.
        return subprocess.run(command, check=True, capture_output=True, text=True, cwd="/", **options)

    def pg_ctl(self, *arguments):
        return self.as_os_user([str(self.bindir / "pg_ctl"), "-D", str(self.datadir), *arguments])

    def start(self):
        self.pg_ctl("-l", str(self.directory / "server.log"), "-o", f"-p {self.port}", "-w", "-t", "60", "start")

    def stop(self):
        self.pg_ctl("-m", "fast", "-w", "-t", "60", "stop")

    def app_env(self, *, database_port: int | None = None, **extra) -> dict:
        """The environment of manage.py and gunicorn for this cluster (production-like: DEBUG off)."""
        env = {
            **os.environ,
            "ENV_FILE": "/dev/null",
            "DATABASE_URL": self.url(RUNTIME, port=database_port),
            "DATABASE_OWNER_URL": self.url(OWNER),
            "SECRET_KEY": self.passwords["secret_key"],
            "DEBUG": "false",
            "SECURE_SSL_REDIRECT": "false",  # plain HTTP on loopback
            "ALLOWED_HOSTS": ".localhost,localhost,127.0.0.1",
            "CONN_MAX_AGE": "60",
            "LOG_LEVEL": "WARNING",
            "PYTHONPATH": str(ROOT),
            "DJANGO_SETTINGS_MODULE": "tests.settings",  # the fast test password hasher
        }
        env.pop("TEST_DATABASE_NAME", None)
        env.update(extra)
        return env

    def python(self, *arguments, timeout=600):
        return subprocess.run(
            [sys.executable, *arguments], cwd=ROOT, env=self.app_env(), check=True,
            capture_output=True, text=True, timeout=timeout,
        )

    def manage(self, *arguments, timeout=600):
        return self.python("manage.py", *arguments, timeout=timeout)


def _create_cluster(directory: Path) -> Cluster:
    bindir, os_user = _postgres_bindir(), _os_user()
    if bindir is None:
        missing("PostgreSQL's server binaries (initdb, pg_ctl; apt-get install postgresql)")
    cluster = Cluster(bindir, directory, free_port(), os_user, {
        "postgres": secrets.token_urlsafe(16), "secret_key": secrets.token_urlsafe(40),
    })
    password_file = directory / "superuser.password"
    password_file.write_text(cluster.passwords["postgres"])
    if os_user:
        shutil.chown(directory, os_user)
        shutil.chown(password_file, os_user)
    cluster.as_os_user([
        str(bindir / "initdb"), "-D", str(cluster.datadir), "-U", "postgres", "-E", "UTF8", "--locale=C.UTF-8",
        "--auth-local=peer", "--auth-host=scram-sha-256", f"--pwfile={password_file}",
    ])
    with open(cluster.datadir / "postgresql.conf", "a") as conf:
        conf.write(
            "\nlisten_addresses = '127.0.0.1'\nunix_socket_directories = ''\nmax_connections = 100\n"
            "fsync = off\nsynchronous_commit = off\nfull_page_writes = off\n"
            # Statement counts per server, at once (tests/reliability/test_replicas.py); wal_level replica
            # (the default) and the default pg_hba let a standby stream from it.
            "shared_preload_libraries = 'pg_stat_statements'\n"
        )
    cluster.start()
    # The same roles and database as ./dev, from the same module.
    roles = database_roles_create(superuser_url=cluster.url("postgres", database="postgres"), database="goso")
    with psycopg.connect(cluster.url("postgres", database="goso"), autocommit=True) as conn:
        conn.execute("CREATE EXTENSION pg_stat_statements")
    cluster.passwords.update({OWNER: roles.owner_password, RUNTIME: roles.runtime_password})
    return cluster


SCALE_COUNTS = """
    SELECT (SELECT count(*) FROM schools WHERE code LIKE 'scale-%'),
           (SELECT count(*) FROM frameworks WHERE code LIKE 'scale-%'),
           (SELECT count(*) FROM learning_outcomes o JOIN frameworks f ON f.id = o.framework_id WHERE f.code LIKE 'scale-%'),
           (SELECT count(*) FROM textbooks WHERE school_id IS NULL AND isbn LIKE 'scale-%'),
           (SELECT count(*) FROM textbooks fork JOIN textbooks g ON g.id = fork.global_textbook_id
            WHERE fork.school_id IS NOT NULL AND fork.isbn LIKE 'scale-%' AND fork.source_version = g.version),
           (SELECT count(*) FROM paragraph_outcomes)
"""


@pytest.fixture(scope="session")
def scratch_cluster():
    """A PostgreSQL cluster of the suite's own, migrated, with the small scale data (60 schools)."""
    directory = Path(tempfile.mkdtemp(prefix="goso-reliability-"))
    directory.chmod(0o755)
    cluster = None
    try:
        cluster = _create_cluster(directory)
        cluster.manage("migrate", "--no-input", "-v", "0")
        cluster.python("-m", "bench.scale_data", "--scale", "small")
        with super_admin_cursor(cluster) as cursor:  # before any test writes (tests/reliability/test_scale_data.py)
            cursor.execute(SCALE_COUNTS)
            cluster.generated = cursor.fetchone()
        yield cluster
    finally:
        if cluster is not None:
            try:
                cluster.stop()
            except subprocess.CalledProcessError:
                pass
        shutil.rmtree(directory, ignore_errors=True)


@contextmanager
def super_admin_cursor(cluster: Cluster):
    """A cursor of the runtime role in the super-admin context (one transaction, committed at the end)."""
    with psycopg.connect(cluster.url(RUNTIME)) as conn, conn.cursor() as cursor:
        cursor.execute(
            "SELECT set_config('app.is_super_admin', 'true', true), set_config('role', %s, true)", [SUPER_ADMIN]
        )
        yield cursor


def alignments_clear(cluster: Cluster, *, paragraph: int, outcomes) -> None:
    """Remove alignments of `paragraph` to `outcomes` that earlier tests' load may have left (the load
    creates alignments from the same candidates), so a test's own create is a 201."""
    with super_admin_cursor(cluster) as cursor:
        cursor.execute(
            "DELETE FROM paragraph_outcomes WHERE paragraph_id = %s AND outcome_id = ANY(%s)", [paragraph, list(outcomes)]
        )


def assert_replaced_sets_whole(cluster: Cluster, schools) -> int:
    """No write is half-done and none crossed schools: each school's replaced paragraph holds
    exactly set A or set B (or its generated set, if never replaced), all of its own school, and no
    alignment of a load-written paragraph belongs to another school. Returns how many schools hold
    a replaced set (callers check that the load really replaced some)."""
    replaced = 0
    with super_admin_cursor(cluster) as cursor:
        for school in schools:
            cursor.execute(
                "SELECT outcome_id, school_id FROM paragraph_outcomes WHERE paragraph_id IN (%s, %s)",
                [school.replace_paragraph, school.create_paragraph],
            )
            assert {school_id for _outcome, school_id in cursor.fetchall()} <= {school.school_id}
            cursor.execute("SELECT outcome_id FROM paragraph_outcomes WHERE paragraph_id = %s", [school.replace_paragraph])
            outcomes = frozenset(outcome for (outcome,) in cursor.fetchall())
            if outcomes & (school.set_a | school.set_b):
                assert outcomes in (school.set_a, school.set_b), (
                    f"school {school.school_id}: paragraph {school.replace_paragraph} holds a half-done replace {sorted(outcomes)}"
                )
                replaced += 1
    return replaced


@pytest.fixture(scope="session")
def schools(scratch_cluster):
    with super_admin_cursor(scratch_cluster) as cursor:
        profiles = prepare_schools(cursor, count=SCHOOLS)
    assert len(profiles) == SCHOOLS
    return profiles


@pytest.fixture(scope="session")
def app_server(scratch_cluster):
    """gunicorn straight to PostgreSQL, persistent connections (CONN_MAX_AGE=60, health checks on)."""
    with gunicorn(scratch_cluster.app_env(), scratch_cluster.directory / "gunicorn-direct.log") as server:
        yield server


@pytest.fixture(scope="session")
def pgbouncer(scratch_cluster):
    """pgbouncer in transaction pooling in front of the cluster: 16 app connections share 8 server ones."""
    binary = shutil.which("pgbouncer") or "/usr/sbin/pgbouncer"
    require(Path(binary).exists(), "pgbouncer (apt-get install pgbouncer; ./dev test installs it where it can)")
    directory, port = scratch_cluster.directory, free_port()
    (directory / "userlist.txt").write_text(f'"{RUNTIME}" "{scratch_cluster.passwords[RUNTIME]}"\n')
    (directory / "pgbouncer.ini").write_text(
        "[databases]\n"
        f"goso = host=127.0.0.1 port={scratch_cluster.port} dbname=goso\n"
        "[pgbouncer]\n"
        f"listen_addr = 127.0.0.1\nlisten_port = {port}\nunix_socket_dir =\n"
        f"auth_type = scram-sha-256\nauth_file = {directory / 'userlist.txt'}\n"
        "pool_mode = transaction\ndefault_pool_size = 8\nmax_client_conn = 200\n"
        f"logfile = {directory / 'pgbouncer.log'}\n"
    )
    command = [binary, str(directory / "pgbouncer.ini")]
    if scratch_cluster.os_user:  # pgbouncer refuses to run as root
        for name in ("userlist.txt", "pgbouncer.ini"):
            shutil.chown(directory / name, scratch_cluster.os_user)
        command = ["runuser", "-u", scratch_cluster.os_user, "--", *command]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 10
        while True:
            try:
                psycopg.connect(scratch_cluster.url(RUNTIME, port=port), connect_timeout=2).close()
                break
            except psycopg.OperationalError:
                if time.monotonic() > deadline or process.poll() is not None:
                    raise
                time.sleep(0.2)
        yield port
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@pytest.fixture(scope="session")
def pooled_app_server(scratch_cluster, pgbouncer):
    """gunicorn through pgbouncer (transaction pooling): consecutive transactions of one app
    connection land on different server connections, and one server connection serves many schools."""
    env = scratch_cluster.app_env(database_port=pgbouncer)
    with gunicorn(env, scratch_cluster.directory / "gunicorn-pgbouncer.log") as server:
        yield server
