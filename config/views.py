"""Error pages: API paths answer in the API's JSON error shape, everything else with the HTML page.

Refusals raised before a view runs (an unknown host, a user on another school's host) reach these
handlers, not the API's exception handler."""

from django.http import JsonResponse
from django.utils.translation import gettext as _
from django.views import defaults

API_PREFIX = "/api/"


def api_error(*, code: str, message: str, status: int) -> JsonResponse:
    return JsonResponse({"error": {"code": code, "message": message, "fields": {}}}, status=status)


def permission_denied(request, exception):
    if request.path.startswith(API_PREFIX):
        code = getattr(exception, "code", None) or "permission_denied"  # e.g. school_inactive
        return api_error(code=code, message=str(exception) or _("Access denied."), status=403)
    return defaults.permission_denied(request, exception)


def page_not_found(request, exception):
    if request.path.startswith(API_PREFIX):
        return api_error(code="not_found", message=_("Not found."), status=404)
    return defaults.page_not_found(request, exception)
