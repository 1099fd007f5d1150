"""The database backend (settings ENGINE "tenants.postgresql"): django-tenants' backend without the
per-request plumbing statements it would send.

- No `SET search_path`: every school lives in the public schema (README, "Row-level security"), which
  PostgreSQL's default search_path ("$user", public) already names. django-tenants would re-send the SET
  after every rollback and every change of tenant, i.e. on most requests.
- The connection health check (CONN_HEALTH_CHECKS) looks at the socket instead of sending `SELECT 1`: an
  idle connection whose server went away (restart, failover, idle timeout) has its socket readable (the
  server's goodbye message or EOF), so a reused connection costs no round trip. A connection that died
  silently fails its first statement instead: that request is a 503 (config.middleware) and Django closes
  the connection after it (it checks connections after an error with a real query, `is_usable`).
"""

import select

from django_tenants.postgresql_backend import base


class DatabaseWrapper(base.DatabaseWrapper):
    def _handle_search_path(self, cursor=None):
        return

    def close_if_health_check_failed(self):
        if self.connection is None or not self.health_check_enabled or self.health_check_done:
            return
        if not self.socket_looks_usable():
            self.close()
        self.health_check_done = True

    def socket_looks_usable(self) -> bool:
        """True when the idle connection is open and the server has sent nothing since the last answer."""
        if self.connection.closed or self.connection.broken:
            return False
        try:
            readable, _, _ = select.select([self.connection.fileno()], [], [], 0)
        except (OSError, ValueError):
            return False
        return not readable
