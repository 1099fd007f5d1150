"""Django's error handlers and CSRF failure view: API paths answer in the API's JSON error shape
(apikit.errors), everything else with the HTML page.

Refusals raised before a view runs (an unknown host, a user on another school's host, a CSRF
failure, an oversized form body) and unhandled errors reach these, not the API's exception handler.
An unhandled error is logged by Django (logger django.request) with its traceback; the answer holds
no internals.
"""

from django.views import csrf, defaults

from apikit.errors import api_error_response, csrf_failure_response, is_api_request


def bad_request(request, exception):
    if is_api_request(request):
        return api_error_response(status=400, exception=exception)
    return defaults.bad_request(request, exception)


def permission_denied(request, exception):
    if is_api_request(request):
        return api_error_response(status=403, exception=exception)
    return defaults.permission_denied(request, exception)


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
