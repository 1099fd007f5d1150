import drf_spectacular.authentication
from rest_framework import authentication, exceptions

from apikit.exceptions import CsrfFailed


class SessionAuthentication(authentication.SessionAuthentication):
    """DRF's, with its CSRF refusal in the API's terms (code `csrf_failed`, a translated message)
    like the one Django's CSRF middleware gives under /api/ (config.views.csrf_failure)."""

    def enforce_csrf(self, request):
        try:
            super().enforce_csrf(request)
        except exceptions.PermissionDenied:
            raise CsrfFailed() from None


class SessionScheme(drf_spectacular.authentication.SessionScheme):
    """OpenAPI: the same cookie scheme as DRF's session authentication (registered on import)."""

    target_class = SessionAuthentication
    priority = 0
