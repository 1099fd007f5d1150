"""REST API plumbing that knows nothing of the domain: the tenant context after DRF authentication,
global rows a school may read but not change, and API tokens (django-rest-knox, stored as digests,
reached only through the identity functions: see tenants/credentials.py).

TenantContextMiddleware sets the context from the session user before the view runs; a token is
only read inside DRF's view, so the context must be set again once DRF knows the user.
"""

from django.contrib.auth import authenticate
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.utils import translation
from django.utils.translation import gettext_lazy as _
from drf_spectacular.contrib.knox_auth_token import KnoxTokenScheme
from drf_spectacular.utils import extend_schema
from rest_framework import exceptions, permissions, serializers, status, viewsets
from rest_framework.response import Response
from rest_framework.views import APIView

from tenants.authentication import TokenAuthentication
from tenants.context import NO_CONTEXT, TenantContext, activate, context_for_user
from tenants.services import token_create, token_revoke, tokens_revoke_all


class TenantContextMixin:
    """For every API view: after authentication, work in the authenticated user's context (in the
    request's transaction, opened by TenantContextMiddleware)."""

    def perform_authentication(self, request):
        super().perform_authentication(request)
        try:
            context = context_for_user(user=request.user, host_school=getattr(request, "tenant", None))
        except DjangoPermissionDenied as refusal:
            raise exceptions.PermissionDenied(str(refusal)) from refusal
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


class TokenScheme(KnoxTokenScheme):
    """OpenAPI: `Authorization: Token <token>` for our subclass of knox's authentication."""

    target_class = TokenAuthentication
    name = "tokenAuth"


class TokenLoginSerializer(serializers.Serializer):
    username = serializers.CharField(label=_("Username"), max_length=150, trim_whitespace=False)
    password = serializers.CharField(label=_("Password"), max_length=4096, trim_whitespace=False, style={"input_type": "password"})


class TokenSerializer(serializers.Serializer):
    token = serializers.CharField(help_text=_("Send it as `Authorization: Token <token>`."))
    expiry = serializers.DateTimeField(allow_null=True, help_text=_("When the token stops working (null: never)."))


@extend_schema(tags=["auth"], summary=_("Get your API token (username and password)"), request=TokenLoginSerializer,
               responses={200: TokenSerializer})
class TokenObtainView(ClientLanguageMixin, APIView):
    """POST username and password; the answer holds a new token for `Authorization: Token <token>`
    and its expiry (settings API_TOKEN_TTL_HOURS). Only its digest is stored."""

    authentication_classes = []  # a login: no session, so no CSRF check either
    permission_classes = [permissions.AllowAny]

    def post(self, request):
        serializer = TokenLoginSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        user = authenticate(request=request, **serializer.validated_data)
        if user is None:
            raise exceptions.ValidationError({"non_field_errors": [_("Unable to log in with provided credentials.")]})
        try:
            token, expiry = token_create(user=user, host_school=getattr(request, "tenant", None))
        except DjangoPermissionDenied as refusal:
            raise exceptions.PermissionDenied(str(refusal)) from refusal
        return Response(TokenSerializer({"token": token, "expiry": expiry}).data)


class TokenLogoutView(ClientLanguageMixin, TenantContextMixin, APIView):
    """Revoke the token this request is authenticated with."""

    authentication_classes = [TokenAuthentication]

    @extend_schema(tags=["auth"], summary=_("Revoke this token"), request=None, responses={204: None})
    def post(self, request):
        token_revoke(digest=request.auth.digest)
        return Response(status=status.HTTP_204_NO_CONTENT)


class TokenLogoutAllView(ClientLanguageMixin, TenantContextMixin, APIView):
    """Revoke every token of the authenticated user (all devices)."""

    authentication_classes = [TokenAuthentication]

    @extend_schema(tags=["auth"], summary=_("Revoke all your tokens"), request=None, responses={204: None})
    def post(self, request):
        tokens_revoke_all(user=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)
