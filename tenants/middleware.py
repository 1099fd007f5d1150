import sys

from django.conf import settings
from django.core.signals import got_request_exception
from django.db import InterfaceError, OperationalError, transaction
from django.http import Http404, HttpResponse, JsonResponse
from django.utils.translation import gettext as _
from django_tenants.middleware.main import TenantMainMiddleware

from tenants.context import activate, context_for_user


class SchoolHostMiddleware(TenantMainMiddleware):
    """django-tenants' resolver: a school's host sets `request.tenant` to the school; a public host
    (settings.PUBLIC_HOSTS) sets it to None; any other host is a 404 (fail closed)."""

    def no_tenant_found(self, request, hostname):
        if hostname in settings.PUBLIC_HOSTS:
            request.tenant = None
            return None
        raise Http404(f'No school is served at "{hostname}".')


class TenantContextMiddleware:
    """Opens the request's transaction and sets its tenant context as the first statement.

    Must come after AuthenticationMiddleware. Responses of 400 and above roll the transaction back,
    so a request that failed half-way leaves nothing behind.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        with transaction.atomic():
            # PermissionDenied (a user on another school's host) becomes Django's 403 page.
            context = context_for_user(user=request.user, host_school=getattr(request, "tenant", None))
            activate(context)
            request.tenant_context = context
            response = self.get_response(request)
            if response.status_code >= 400:
                transaction.set_rollback(True)
            return response


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
    """First in MIDDLEWARE: a request that failed because the database could not be reached (restart,
    failover) gets a clear 503 with Retry-After instead of a 500. The request's transaction was
    rolled back, so nothing of it was written; the next request reconnects (CONN_HEALTH_CHECKS).

    Django turns an exception into a 500 inside the middleware it escaped from, so the cause is
    noted on the request by the got_request_exception signal, sent for every uncaught exception.
    """

    def __init__(self, get_response):
        self.get_response = get_response
        got_request_exception.connect(_note_unreachable_database, dispatch_uid="tenants.database_unreachable")

    def __call__(self, request):
        response = self.get_response(request)
        if getattr(request, "database_unreachable", False):
            return self.unavailable(request)
        return response

    @staticmethod
    def unavailable(request):
        message = _("The database is unavailable for a moment. Nothing was saved; please retry in a few seconds.")
        if request.path.startswith("/api/"):
            # The API's one error shape (config/api.py).
            response = JsonResponse({"error": {"code": "database_unavailable", "message": message, "fields": {}}}, status=503)
        else:
            response = HttpResponse(message, status=503, content_type="text/plain; charset=utf-8")
        response["Retry-After"] = str(RETRY_AFTER_SECONDS)
        return response
