"""API tokens (django-rest-knox through the identity functions, tenants/credentials.py): get one with
username and password, revoke it, or revoke all of yours."""

from django.contrib.auth import authenticate
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.utils.translation import gettext_lazy as _
from drf_spectacular.contrib.knox_auth_token import KnoxTokenScheme
from drf_spectacular.utils import extend_schema
from rest_framework import exceptions, permissions, serializers, status
from rest_framework.response import Response

from apikit.views import ApiView
from tenants.authentication import TokenAuthentication
from tenants.services import token_create, token_revoke, tokens_revoke_all


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
class TokenObtainView(ApiView):
    """POST username and password; the answer holds a new token for `Authorization: Token <token>`
    and its expiry (settings API_TOKEN_TTL_HOURS). Only its digest is stored."""

    authentication_classes = []  # a login: no session, so no CSRF check either
    permission_classes = [permissions.AllowAny]
    throttled = True  # attempts are limited (documents the 429)

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


class TokenLogoutView(ApiView):
    """Revoke the token this request is authenticated with."""

    authentication_classes = [TokenAuthentication]
    # Any signed-in user may revoke their own tokens: no model of config/roles.py is involved.
    permission_classes = [permissions.IsAuthenticated]

    @extend_schema(tags=["auth"], summary=_("Revoke this token"), request=None, responses={204: None})
    def post(self, request):
        token_revoke(digest=request.auth.digest)
        return Response(status=status.HTTP_204_NO_CONTENT)


class TokenLogoutAllView(ApiView):
    """Revoke every token of the authenticated user (all devices)."""

    authentication_classes = [TokenAuthentication]
    # Any signed-in user may revoke their own tokens: no model of config/roles.py is involved.
    permission_classes = [permissions.IsAuthenticated]

    @extend_schema(tags=["auth"], summary=_("Revoke all your tokens"), request=None, responses={204: None})
    def post(self, request):
        tokens_revoke_all(user=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)
