"""Django's error handlers and CSRF failure view: API paths answer in the API's JSON error shape
(apikit.errors), everything else with the HTML page.

Refusals raised before a view runs (an unknown host, a user on another school's host, a CSRF
failure, an oversized form body) and unhandled errors reach these, not the API's exception handler.
An unhandled error is logged by Django (logger django.request) with its traceback; the answer holds
no internals.
"""

from django.conf import settings
from django.shortcuts import render
from django.urls import reverse
from django.views import csrf, defaults

from tenants.context import WrongAddress
from tenants.models import Domain

from apikit.errors import api_error_response, csrf_failure_response, is_api_request


def bad_request(request, exception):
    if is_api_request(request):
        return api_error_response(status=400, exception=exception)
    return defaults.bad_request(request, exception)


def permission_denied(request, exception):
    if is_api_request(request):
        return api_error_response(status=403, exception=exception)
    if isinstance(exception, WrongAddress):
        return wrong_address(request, exception)
    return defaults.permission_denied(request, exception)


def wrong_address(request, exception):
    """A signed-in user at an address that is not theirs: say where theirs is, and offer to sign out
    (sign-in and sign-out work at any address, tenants.middleware)."""
    if exception.school_id is None:
        host = settings.PUBLIC_HOSTS[0] if settings.PUBLIC_HOSTS else None
    else:
        domain = Domain.objects.filter(tenant_id=exception.school_id).order_by("-is_primary", "pk").first()
        host = domain.domain if domain else None
    home_url = None
    if host:
        port = request.get_port()
        default_port = "443" if request.is_secure() else "80"
        home_url = f"{request.scheme}://{host}{'' if port == default_port else ':' + port}{reverse('admin:index')}"
    return render(
        request, "wrong_address.html", {"exception": str(exception), "home_url": home_url}, status=403
    )


def page_not_found(request, exception):
    if is_api_request(request):
        return api_error_response(status=404, exception=exception)
    return defaults.page_not_found(request, exception)


def server_error(request):
    if is_api_request(request):
        return api_error_response(status=500)
    return defaults.server_error(request)


def csrf_failure(request, reason=""):
    if is_api_request(request):
        return csrf_failure_response(reason)
    return csrf.csrf_failure(request, reason)
