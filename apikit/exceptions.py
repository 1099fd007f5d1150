"""The API's own exceptions (a module of its own: the parser imports it while DRF's views load)."""

from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions, status


class RequestTooLarge(exceptions.APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_detail = _("The request body is too large.")
    default_code = "too_large"


class CsrfFailed(exceptions.PermissionDenied):
    """Only session (browser) callers meet it: token clients are not checked for CSRF."""

    default_detail = _("CSRF check failed: send the X-CSRFToken header with a session, or use a token.")
    default_code = "csrf_failed"
