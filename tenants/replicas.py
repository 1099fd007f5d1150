"""Read replicas: with DATABASE_REPLICA_URL set, safe requests read from a PostgreSQL hot standby.

Safe requests are GET and HEAD of the API (/api/), the CASE service (/ims/case/) and the admin's list
and detail pages. For such a request `ReplicaMiddleware` makes the replica's connection the thread's
`default` for the request's duration, so everything (the ORM, raw cursors, the identity functions, the
tenant context of tenants/context.py) runs there unchanged: the context is the same transaction-local
`set_config`, which a read-only transaction accepts, and row-level security is the same catalog, replayed.

Read-your-writes: after a successful write, the primary's WAL position (`pg_current_wal_insert_lsn()`) is
remembered for the credential that wrote (its API token or session cookie) in the `replica_markers`
cache; that credential reads from the primary until the replica has replayed past it
(`pg_last_wal_replay_lsn()`). The replica's position is read at most every REPLICA_CHECK_SECONDS per
process (a stale position only sends more reads to the primary, never a stale read to the writer).

A replica that cannot be reached, or lags more than REPLICA_MAX_LAG_SECONDS, is skipped for
REPLICA_RETRY_SECONDS with one log line; a request whose replica failed half-way is run again on the
primary (it was a read: nothing to undo), so the user never sees an error page for it.
"""

import hashlib
import logging
import sys
import threading
import time

from django.conf import settings
from django.core.cache import caches
from django.core.signals import got_request_exception
from django.db import DEFAULT_DB_ALIAS, DatabaseError, InterfaceError, OperationalError, connections
from django.urls import Resolver404, resolve

REPLICA = "replica"
MARKER_CACHE = "replica_markers"
SAFE_METHODS = ("GET", "HEAD")
ADMIN_READ_PAGES = ("_changelist", "_change")  # url names of the admin's list and detail pages

logger = logging.getLogger("goso.replicas")

# Where the standby stands, and whether it is lagging (one snapshot, replaced whole).
_STANDBY_POSITION = """
    SELECT (CASE WHEN pg_is_in_recovery() THEN pg_last_wal_replay_lsn() ELSE pg_current_wal_lsn() END - '0/0'::pg_lsn)::bigint,
           pg_is_in_recovery() AND pg_last_wal_receive_lsn() IS DISTINCT FROM pg_last_wal_replay_lsn()
           AND clock_timestamp() - pg_last_xact_replay_timestamp() > make_interval(secs => %s)
"""
# The insert position: it includes the commit record even when that is not yet written out
# (synchronous_commit = off), which pg_current_wal_lsn() would not.
_PRIMARY_POSITION = "SELECT (pg_current_wal_insert_lsn() - '0/0'::pg_lsn)::bigint"
UNKNOWN_POSITION = 2**63 - 1  # a write whose position could not be read: primary until the marker expires


def replica_configured() -> bool:
    return REPLICA in settings.DATABASES


class ReplicaState:
    """Per process: the standby's last known position, whether it lags, and until when it is skipped."""

    def __init__(self):
        self.lock = threading.Lock()
        self.replay_position = -1
        self.lagging = False
        self.checked_at = float("-inf")
        self.down_until = float("-inf")

    def usable(self, *, written_at: int | None) -> bool:
        now = time.monotonic()
        if now < self.down_until:
            return False
        stale = now - self.checked_at > settings.REPLICA_CHECK_SECONDS
        behind_writer = written_at is not None and written_at > self.replay_position
        if stale or (behind_writer and now - self.checked_at > settings.REPLICA_CHECK_SECONDS / 10):
            if not self.refresh(now):
                return False
        if self.lagging:
            return False
        return written_at is None or written_at <= self.replay_position

    def refresh(self, now: float) -> bool:
        """Read the standby's position (one statement, outside any transaction); False if unreachable."""
        self.checked_at = now
        try:
            with connections[REPLICA].cursor() as cursor:
                cursor.execute(_STANDBY_POSITION, [settings.REPLICA_MAX_LAG_SECONDS])
                position, lagging = cursor.fetchone()
        except (OperationalError, InterfaceError) as error:
            connections[REPLICA].close()
            self.skip(f"unreachable ({error.__class__.__name__}: {str(error).strip()[:200]})")
            return False
        with self.lock:
            self.replay_position = max(self.replay_position, position)
            if bool(lagging) != self.lagging:
                self.lagging = bool(lagging)
                if lagging:
                    logger.warning("Read replica lags more than %s s: reads go to the primary until it catches up.",
                                   settings.REPLICA_MAX_LAG_SECONDS)
                else:
                    logger.info("Read replica caught up: safe requests read from it again.")
        return True

    def skip(self, reason: str):
        with self.lock:
            already_down = time.monotonic() < self.down_until
            self.down_until = time.monotonic() + settings.REPLICA_RETRY_SECONDS
        if not already_down:
            logger.warning("Read replica %s: reads go to the primary for %s s.", reason, settings.REPLICA_RETRY_SECONDS)


state = ReplicaState()


def credential_key(request) -> str | None:
    """Whose writes a request's reads must see: its API token or session cookie (hashed), None if anonymous."""
    credential = request.headers.get("Authorization") or request.COOKIES.get(settings.SESSION_COOKIE_NAME)
    if not credential:
        return None
    return "written:" + hashlib.sha256(credential.encode("utf-8", "replace")).hexdigest()


def is_replica_request(request) -> bool:
    if request.method not in SAFE_METHODS:
        return False
    path = request.path_info
    if path.startswith(("/api/", "/ims/case/")):
        return True
    if "/admin/" not in path:
        return False
    try:
        match = resolve(path)
    except Resolver404:
        return False
    return match.namespace == "admin" and (match.url_name or "").endswith(ADMIN_READ_PAGES)


class ReplicaMiddleware:
    """Between AuthenticationMiddleware and TenantContextMiddleware: the request's transaction (and its
    tenant context) is opened on whichever database this chooses."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if not replica_configured():
            return self.get_response(request)
        key = credential_key(request)
        if is_replica_request(request):
            written_at = caches[MARKER_CACHE].get(key) if key else None
            if state.usable(written_at=written_at):
                response = self.on_replica(request)
                if response is not None:
                    return response
            return self.get_response(request)
        response = self.get_response(request)
        if request.method not in SAFE_METHODS and response.status_code < 400 and key:
            caches[MARKER_CACHE].set(key, primary_position(), timeout=settings.REPLICA_MARKER_SECONDS)
        return response

    def on_replica(self, request):
        """The response served from the replica, or None when the replica failed (run it on the primary)."""
        primary = connections[DEFAULT_DB_ALIAS]
        connections[DEFAULT_DB_ALIAS] = connections[REPLICA]
        try:
            response = self.get_response(request)
        finally:
            connections[DEFAULT_DB_ALIAS] = primary
        if getattr(request, "database_unreachable", False):  # noted by config.middleware
            request.database_unreachable = False
            connections[REPLICA].close()
            state.skip(f"failed during {request.method} {request.path_info}")
            return None
        if getattr(request, "replica_refused_write", False):
            # A safe request that writes (a defect, but not the user's problem): the primary serves it.
            request.replica_refused_write = False
            logger.warning("%s %s wrote during a safe request: served by the primary.", request.method, request.path_info)
            return None
        return response


def _note_refused_write(sender, request=None, **kwargs):
    error = sys.exc_info()[1]
    if request is not None and getattr(getattr(error, "__cause__", None), "sqlstate", None) == READ_ONLY_TRANSACTION:
        request.replica_refused_write = True


READ_ONLY_TRANSACTION = "25006"
got_request_exception.connect(_note_refused_write, dispatch_uid="tenants.replicas.refused_write")


def primary_position() -> int:
    """The primary's WAL position after the request's transaction committed."""
    try:
        with connections[DEFAULT_DB_ALIAS].cursor() as cursor:
            cursor.execute(_PRIMARY_POSITION)
            return cursor.fetchone()[0]
    except DatabaseError:
        return UNKNOWN_POSITION
