"""The bases of every API view: `ApiViewSet` (model resources) and `ApiView` (anything else).

TenantContextMiddleware sets the context from the session user before the view runs; a token is
only read inside DRF's view, by the statement that also sets the token user's context
(tenants.authentication); here the context is checked once DRF knows the user, and set again only
when it differs (a methodologist's token). A view's rows
start from `visible_rows(context=...)` (a selector of what that context may see); an id in a body
or a query string only narrows them. The request's language (apikit.middleware) and the
error shape (apikit.errors, from Django's error handlers) also cover errors raised before any view.
"""

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework import exceptions, viewsets
from rest_framework.settings import api_settings
from rest_framework.views import APIView

from tenants.context import NO_CONTEXT, TenantContext, activate, context_for_user


class ApiViewMixin:
    """What every API view shares (tests/test_api_kit.py checks every view under /api/ has it)."""

    # The kit's JSON parser (size and depth limits) even where a DRF view names its own parsers.
    parser_classes = api_settings.DEFAULT_PARSER_CLASSES

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


class ApiView(ApiViewMixin, APIView):
    """A view that is not a model resource (reports, downloads, the token endpoint)."""


class ApiViewSet(ApiViewMixin, viewsets.GenericViewSet):
    """A model resource; add DRF's mixins for the actions it offers."""

    lookup_value_regex = "[0-9]+"  # ids only; anything else is the API's JSON 404

    def visible_rows(self, *, context: TenantContext):
        """The rows `context` may see. Default: the class's `queryset` (reference data, which every
        context reads); school content overrides this with its selector."""
        return super().get_queryset()

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False) and self.queryset is not None:
            return self.queryset  # OpenAPI generation: the model is enough (no URL arguments)
        return self.visible_rows(context=self.tenant_context)


class UnknownPathView(ApiView):
    """Any path under /api/ that names nothing: the API's JSON 404, whatever the method (and no CSRF
    check first: there is nothing to protect)."""

    authentication_classes = []
    permission_classes = []
    schema = None

    def initial(self, request, *args, **kwargs):
        raise exceptions.NotFound()


class SchemaView(ApiViewMixin, SpectacularAPIView):
    """/api/schema/: the OpenAPI 3 document (apikit.schema documents the errors)."""


class DocsView(ApiViewMixin, SpectacularSwaggerSplitView):
    """/api/docs/: Swagger UI, served from drf-spectacular-sidecar (no CDN); its set-up script is a
    file of its own (`?script`), so the Content-Security-Policy needs no inline script."""
