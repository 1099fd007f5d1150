"""Shared pieces of the REST API: the one error shape, pagination and an integer filter.

Every error the API returns is `{"error": {"code", "message", "fields"}}`: `fields` maps a field path
(`alignments.2.outcome`) to its messages. Django's own errors (PermissionDenied, Http404,
ValidationError) and database refusals (row-level security, constraints) get the same shape, so a
foreseeable error is never a 500. (The OpenAPI side is in config/api_schema.py: drf-spectacular
imports DRF's generic views, which import this module's pagination.)
"""

from functools import cache

import django_filters
from django import forms
from django.apps import apps
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import DatabaseError, DataError, models
from django.http import Http404
from django.utils.translation import gettext, gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import exceptions, serializers
from rest_framework.pagination import PageNumberPagination
from rest_framework.settings import api_settings
from rest_framework.views import exception_handler as drf_exception_handler

from tenants.errors import database_error_as_user_error

NON_FIELD = api_settings.NON_FIELD_ERRORS_KEY


class ApiPagination(PageNumberPagination):
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 500


@extend_schema_field(OpenApiTypes.INT)
class IntegerFilter(django_filters.NumberFilter):
    """A whole number (NumberFilter would accept 1.5)."""

    field_class = forms.IntegerField


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


class ErrorDetailSerializer(serializers.Serializer):
    code = serializers.CharField(help_text=_("Machine-readable: invalid, not_authenticated, permission_denied, not_found..."))
    message = serializers.CharField()
    fields = serializers.DictField(
        child=serializers.ListField(child=serializers.CharField()),
        help_text=_("Messages per field path (e.g. alignments.2.outcome); empty unless the input is invalid."),
    )


class ErrorSerializer(serializers.Serializer):
    error = ErrorDetailSerializer()
