"""DRF authentication by API token (its own module: DRF imports it while its views module loads)."""

import binascii
from hmac import compare_digest

from django.utils.translation import gettext_lazy as _
from knox.auth import TokenAuthentication as KnoxTokenAuthentication
from knox.crypto import hash_token
from knox.settings import CONSTANTS
from rest_framework import exceptions

from tenants import credentials
from tenants.models import ApiToken, User


class TokenAuthentication(KnoxTokenAuthentication):
    """knox's `Authorization: Token <token>`, looked up through `identity_token_lookup` (one key
    prefix, expired tokens deleted on the way) instead of reading the token table."""

    def authenticate_credentials(self, token):
        message = _("Invalid token.")
        token = token.decode("utf-8", errors="replace")
        if "\x00" in token:  # PostgreSQL text cannot hold it: refuse before the lookup, not with a 500
            raise exceptions.AuthenticationFailed(message)
        try:
            digest = hash_token(token)
        except (TypeError, ValueError, binascii.Error):
            raise exceptions.AuthenticationFailed(message) from None
        for candidate_digest, user_id, expiry in credentials.token_candidates(token_key=token[: CONSTANTS.TOKEN_KEY_LENGTH]):
            if compare_digest(digest, candidate_digest):
                user = User.objects.filter(pk=user_id, is_active=True).first()
                if user is None:
                    raise exceptions.AuthenticationFailed(_("User inactive or deleted."))
                return user, ApiToken(digest=candidate_digest, user_id=user_id, expiry=expiry)
        raise exceptions.AuthenticationFailed(message)
