from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema
from rest_framework.authtoken.views import ObtainAuthToken

from apikit.views import ApiViewMixin


@extend_schema(tags=["auth"], summary=_("Get your API token (username and password)"))
class TokenObtainView(ApiViewMixin, ObtainAuthToken):
    """POST username and password; the answer holds the token for `Authorization: Token <key>`."""

    authentication_classes = []  # a login: no session, so no CSRF check either
    throttled = True  # attempts are limited (documents the 429)
