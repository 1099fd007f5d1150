"""Middleware that wires the apps to the outside: a lost database becomes a clear 503 (with the API's
error shape under /api/), never a 500."""

import sys

from django.core.signals import got_request_exception
from django.db import InterfaceError, OperationalError
from django.http import HttpResponse
from django.utils.translation import gettext as _

from apikit.errors import api_error, is_api_request


RETRY_AFTER_SECONDS = 5
# SQLSTATEs of a lost server: connection exceptions (08xxx) and shutdown or start-up (57P01-57P03).
# Other OperationalErrors (a deadlock, a serialization failure) are not an unreachable database.
LOST_SERVER_STATES = ("08", "57P01", "57P02", "57P03")


def database_unreachable(error) -> bool:
    if isinstance(error, InterfaceError):
        return True
    if not isinstance(error, OperationalError):
        return False
    sqlstate = getattr(error.__cause__, "sqlstate", None)
    return sqlstate is None or sqlstate.startswith(LOST_SERVER_STATES)


def _note_unreachable_database(sender, request=None, **kwargs):
    if request is not None and database_unreachable(sys.exc_info()[1]):
        request.database_unreachable = True


class DatabaseUnavailableMiddleware:
    """Near the top of MIDDLEWARE (only the language comes first): a request that failed because the
    database could not be reached (restart, failover) gets a clear 503 with Retry-After instead of
    a 500. The request's transaction was
    rolled back, so nothing of it was written; the next request reconnects (CONN_HEALTH_CHECKS).

    Django turns an exception into a 500 inside the middleware it escaped from, so the cause is
    noted on the request by the got_request_exception signal, sent for every uncaught exception.
    """

    def __init__(self, get_response):
        self.get_response = get_response
        got_request_exception.connect(_note_unreachable_database, dispatch_uid="config.database_unreachable")

    def __call__(self, request):
        response = self.get_response(request)
        if getattr(request, "database_unreachable", False):
            return self.unavailable(request)
        return response

    @staticmethod
    def unavailable(request):
        message = _("The database is unavailable for a moment. Nothing was saved; please retry in a few seconds.")
        if is_api_request(request):
            response = api_error(code="database_unavailable", message=message, status=503)
        else:
            response = HttpResponse(message, status=503, content_type="text/plain; charset=utf-8")
        response["Retry-After"] = str(RETRY_AFTER_SECONDS)
        return response
