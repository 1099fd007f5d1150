"""DRF authentication by API token (its own module: DRF imports it while its views module loads)."""

import binascii

from django.utils.translation import gettext_lazy as _
from knox.auth import TokenAuthentication as KnoxTokenAuthentication
from knox.crypto import hash_token
from knox.settings import CONSTANTS
from rest_framework import exceptions

from tenants.context import token_user_activate
from tenants.models import ApiToken


class TokenAuthentication(KnoxTokenAuthentication):
    """knox's `Authorization: Token <token>`, looked up through the identity function (one key prefix,
    expired tokens deleted on the way) instead of reading the token table, in the same statement that
    sets the tenant context (tenants.context.token_user_activate): one statement for the token, the
    user and the context. The digest (SHA-512 of the token) is compared by the database: how long
    that takes tells nothing about the token itself."""

    def authenticate(self, request):
        self.host_school = getattr(request._request, "tenant", None)
        self.http_request = request._request
        return super().authenticate(request)

    def authenticate_credentials(self, token):
        message = _("Invalid token.")
        token = token.decode("utf-8", errors="replace")
        if "\x00" in token:  # PostgreSQL text cannot hold it: refuse before the lookup, not with a 500
            raise exceptions.AuthenticationFailed(message)
        try:
            digest = hash_token(token)
        except (TypeError, ValueError, binascii.Error):
            raise exceptions.AuthenticationFailed(message) from None
        found = token_user_activate(token_key=token[: CONSTANTS.TOKEN_KEY_LENGTH], digest=digest, host_school=self.host_school)
        if found is None:
            raise exceptions.AuthenticationFailed(message)
        user, expiry, context = found
        self.http_request.tenant_context = context  # what the statement set (ApiViewMixin compares)
        if not user.is_active:  # the statement set no context for it
            raise exceptions.AuthenticationFailed(_("User inactive or deleted."))
        return user, ApiToken(digest=digest, user_id=user.pk, expiry=expiry)
