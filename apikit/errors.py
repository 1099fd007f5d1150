"""The API's one error shape: `{"error": {"code", "message", "fields"}}`.

`fields` maps a field path (`alignments.2.outcome`) to its messages. DRF's exceptions, Django's own
errors (PermissionDenied, Http404, ValidationError, an oversized body) and database refusals (row-level
security, constraints) get the same shape, so a foreseeable error is never a 500. Errors raised before
a view runs (an unknown host, a CSRF failure, an unknown path) get it from Django's error handlers
(config/urls.py) through `api_error_response`.
"""

from functools import cache

from django.apps import apps
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import RequestDataTooBig
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import DatabaseError, DataError, models
from django.http import Http404, JsonResponse
from django.utils.translation import gettext, gettext_lazy as _
from rest_framework import exceptions, serializers
from rest_framework.settings import api_settings
from rest_framework.views import exception_handler as drf_exception_handler

from apikit.exceptions import CsrfFailed, RequestTooLarge
from database_errors import database_error_as_user_error

API_PREFIX = "/api/"
NON_FIELD = api_settings.NON_FIELD_ERRORS_KEY


def is_api_request(request) -> bool:
    return request.path.startswith(API_PREFIX)


@cache
def _unique_constraint_fields() -> dict:
    """Unique constraint name -> its fields, so a duplicate names the fields it concerns."""
    return {
        constraint.name: list(constraint.fields)
        for model in apps.get_models()
        for constraint in model._meta.constraints
        if isinstance(constraint, models.UniqueConstraint) and constraint.fields
    }


def _as_drf_exception(exc):
    if isinstance(exc, RequestDataTooBig):
        return RequestTooLarge()
    if isinstance(exc, DataError):
        # A value PostgreSQL cannot store (e.g. \u0000 in JSON): bad input, not a server error.
        reason = getattr(getattr(exc.__cause__, "diag", None), "message_primary", None) or str(exc)
        return exceptions.ValidationError([gettext("A value cannot be stored: %(reason)s") % {"reason": reason}])
    if isinstance(exc, DatabaseError):
        exc = database_error_as_user_error(exc)
    if isinstance(exc, Http404):
        # Never echo the model's name: "not found" must not tell what exists.
        return exceptions.NotFound()
    if isinstance(exc, DjangoPermissionDenied):
        return exceptions.PermissionDenied(str(exc) or None)
    if isinstance(exc, DjangoValidationError):
        detail = serializers.as_serializer_error(exc)
        fields = _unique_constraint_fields().get(getattr(exc, "code", None))
        if fields and NON_FIELD in detail:
            detail = {name: detail[NON_FIELD] for name in fields}
        return exceptions.ValidationError(detail)
    return exc


def _field_messages(detail, path=""):
    """Flatten DRF's nested error detail into (field path, [messages]) pairs."""
    if isinstance(detail, dict):
        for key, value in detail.items():
            yield from _field_messages(value, f"{path}.{key}" if path else str(key))
    elif isinstance(detail, list) and any(isinstance(item, (dict, list)) for item in detail):
        for index, item in enumerate(detail):
            yield from _field_messages(item, f"{path}.{index}" if path else str(index))
    elif isinstance(detail, list):
        yield path, [str(item) for item in detail]
    else:
        yield path, [str(detail)]


def error_body(exc: exceptions.APIException) -> dict:
    if isinstance(exc, exceptions.ValidationError):
        fields = dict(_field_messages(exc.detail)) if isinstance(exc.detail, dict) else {}
        general = fields.pop(NON_FIELD, None) or (
            [str(item) for item in exc.detail] if isinstance(exc.detail, list) else []
        )
        message = " ".join(general) or gettext("Some fields are invalid.")
        return {"code": "invalid", "message": message, "fields": fields}
    codes = exc.get_codes()
    return {"code": codes if isinstance(codes, str) else exc.default_code, "message": str(exc.detail), "fields": {}}


def api_exception_handler(exc, context):
    exc = _as_drf_exception(exc)
    response = drf_exception_handler(exc, context)
    if response is not None:
        response.data = {"error": error_body(exc)}
    return response


def api_error(*, code: str, message: str, status: int) -> JsonResponse:
    """An error response outside DRF's views (middleware, Django's error handlers)."""
    return JsonResponse({"error": {"code": code, "message": message, "fields": {}}}, status=status)


# Django's error handlers under /api/: status -> (code, message when the exception has none).
HANDLER_ERRORS = {
    400: ("bad_request", _("The request is malformed.")),
    403: ("permission_denied", _("Access denied.")),
    404: ("not_found", _("Not found.")),
    500: ("server_error", _("Something went wrong on our side; the error is logged and nothing was saved.")),
}


def api_error_response(*, status: int, exception=None) -> JsonResponse:
    """The JSON answer of Django's error handler for `status` (and the exception it got)."""
    if isinstance(exception, RequestDataTooBig):
        return api_error(code=RequestTooLarge.default_code, message=str(RequestTooLarge.default_detail), status=413)
    code, default_message = HANDLER_ERRORS[status]
    code = getattr(exception, "code", None) or code  # e.g. school_inactive (tenants.context.SchoolInactive)
    # Only a 403 says why (e.g. another school's host): a 400's text is Django's own English, a 404's
    # would tell what exists, a 500's may hold internals.
    message = (status == 403 and exception is not None and str(exception)) or str(default_message)
    return api_error(code=code, message=message, status=status)


def csrf_failure_response(reason: str) -> JsonResponse:
    return api_error(code=CsrfFailed.default_code, message=str(CsrfFailed.default_detail), status=403)


class ErrorDetailSerializer(serializers.Serializer):
    code = serializers.CharField(help_text=_("Machine-readable: invalid, not_authenticated, permission_denied, not_found..."))
    message = serializers.CharField()
    fields = serializers.DictField(
        child=serializers.ListField(child=serializers.CharField()),
        help_text=_("Messages per field path (e.g. alignments.2.outcome); empty unless the input is invalid."),
    )


class ErrorSerializer(serializers.Serializer):
    error = ErrorDetailSerializer()
