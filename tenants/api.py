"""REST API plumbing that knows nothing of the domain: the tenant context after DRF authentication,
global rows a school may read but not change, and how API clients get a token.

TenantContextMiddleware sets the context from the session user before the view runs; a token is
only read inside DRF's view, so the context must be set again once DRF knows the user.
"""

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.utils import translation
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema
from rest_framework import exceptions, viewsets
from rest_framework.authtoken.views import ObtainAuthToken

from tenants.context import NO_CONTEXT, TenantContext, activate, context_for_user


class TenantContextMixin:
    """For every API view: after authentication, work in the authenticated user's context (in the
    request's transaction, opened by TenantContextMiddleware)."""

    def perform_authentication(self, request):
        super().perform_authentication(request)
        try:
            context = context_for_user(user=request.user, host_school=getattr(request, "tenant", None))
        except DjangoPermissionDenied as refusal:
            raise exceptions.PermissionDenied(str(refusal), code=getattr(refusal, "code", None)) from refusal
        if context != getattr(request, "tenant_context", None):
            activate(context)
            request._request.tenant_context = context

    @property
    def tenant_context(self) -> TenantContext:
        if getattr(self, "swagger_fake_view", False):  # OpenAPI generation: no request, no rows
            return NO_CONTEXT
        return self.request.tenant_context


class ClientLanguageMixin:
    """API paths carry no language prefix, so LocaleMiddleware leaves them in the default language;
    an API client chooses with Accept-Language (ru, kk or en)."""

    def dispatch(self, request, *args, **kwargs):
        language = translation.get_language_from_request(request)
        with translation.override(language):  # for this response only: nothing leaks to the thread
            response = super().dispatch(request, *args, **kwargs)
        response.headers["Content-Language"] = language
        return response


class TenantGenericViewSet(ClientLanguageMixin, TenantContextMixin, viewsets.GenericViewSet):
    lookup_value_regex = "[0-9]+"  # ids only; anything else is the API's JSON 404


@extend_schema(tags=["auth"], summary=_("Get your API token (username and password)"))
class TokenObtainView(ObtainAuthToken):
    """POST username and password; the answer holds the token for `Authorization: Token <key>`."""

    authentication_classes = []  # a login: no session, so no CSRF check either
