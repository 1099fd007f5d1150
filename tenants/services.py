"""Writes on identity: API tokens and school (de)activation. Keyword-only, `<entity>_<action>`."""

from datetime import datetime

from django.core.exceptions import PermissionDenied
from django.utils import timezone
from django.utils.translation import gettext as _
from knox.models import get_digest_token
from knox.settings import CONSTANTS, knox_settings

from tenants import credentials
from tenants.context import context_for_user, current_context, tenant_context
from tenants.models import School


def token_create(*, user, host_school=None) -> tuple[str, datetime | None]:
    """A new API token for `user` (already authenticated); returns the token, shown once, and its expiry.

    Only the digest is stored, written in the user's own context: the database refuses a token for a
    user the context does not govern. PermissionDenied when the user does not work on this host.
    """
    context = context_for_user(user=user, host_school=host_school)
    digest, token = get_digest_token()
    ttl = knox_settings.TOKEN_TTL
    expiry = timezone.now() + ttl if ttl is not None else None
    with tenant_context(school_id=context.school_id, super_admin=context.super_admin):
        credentials.token_insert(digest=digest, token_key=token[: CONSTANTS.TOKEN_KEY_LENGTH], user_id=user.pk, expiry=expiry)
    return token, expiry


def token_revoke(*, digest: str) -> None:
    """Revoke one token (the caller proved it holds it: the digest comes from the token itself)."""
    credentials.token_delete(digest=digest)


def tokens_revoke_all(*, user) -> int:
    """Revoke every token of `user`, in the current context (which must govern the user)."""
    return credentials.tokens_delete_for_user(user_id=user.pk)


def _require_super_admin_context():
    if not current_context().super_admin:
        raise PermissionDenied(_("Only a methodologist can do this."))


def school_deactivate(*, school: School) -> School:
    """Stop a school's staff: the school is inactive and, in the same transaction, a database trigger
    revokes every API token of its staff. Reactivation (`school_activate`) needs no new passwords."""
    _require_super_admin_context()
    school.is_active = False
    school.save(update_fields=["is_active"])
    return school


def school_activate(*, school: School) -> School:
    _require_super_admin_context()
    school.is_active = True
    school.save(update_fields=["is_active"])
    return school
