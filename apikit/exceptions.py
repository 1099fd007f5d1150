"""The API's own exceptions (a module of its own: the parser imports it while DRF's views load)."""

from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions, status


class RequestTooLarge(exceptions.APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_detail = _("The request body is too large.")
    default_code = "too_large"
