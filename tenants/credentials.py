"""The narrow path to credentials: thin wrappers over the identity functions of the database.

The runtime role has no privilege on `user_credentials` (password hashes), `django_session` or
`api_tokens`; it may only EXECUTE the SECURITY DEFINER functions created by the migration
tenants/0005_identity_boundary, each of which touches one row given its key. Nothing
here imports models: the User model uses `password_hash_for_check`.
"""

from django.db import DEFAULT_DB_ALIAS, connections


def _call(sql, params, *, using=DEFAULT_DB_ALIAS):
    with connections[using].cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def password_hash_for_check(*, user_id: int | None, using=DEFAULT_DB_ALIAS) -> str | None:
    """The hash of one user, for checking a password typed by whoever claims to be them."""
    if user_id is None:
        return None
    rows = _call("SELECT public.identity_password_hash(%s)", [user_id], using=using)
    return rows[0][0] if rows else None


def session_load(*, key: str, using=DEFAULT_DB_ALIAS) -> str | None:
    rows = _call("SELECT public.identity_session_load(%s)", [key], using=using)
    return rows[0][0] if rows else None


def session_exists(*, key: str, using=DEFAULT_DB_ALIAS) -> bool:
    return _call("SELECT public.identity_session_exists(%s)", [key], using=using)[0][0]


def session_save(*, key: str, data: str, expire_date, must_create: bool, using=DEFAULT_DB_ALIAS) -> bool:
    """Insert (must_create) or update one session; False when the key was taken, or is gone."""
    return _call("SELECT public.identity_session_save(%s, %s, %s, %s)", [key, data, expire_date, must_create], using=using)[0][0]


def session_delete(*, key: str, using=DEFAULT_DB_ALIAS) -> None:
    _call("SELECT public.identity_session_delete(%s)", [key], using=using)


def sessions_clear_expired(*, using=DEFAULT_DB_ALIAS) -> int:
    return _call("SELECT public.identity_sessions_clear_expired()", [], using=using)[0][0]


def token_candidates(*, token_key: str, using=DEFAULT_DB_ALIAS) -> list[tuple[str, int, object]]:
    """(digest, user id, expiry) of the unexpired tokens starting with `token_key` (expired ones are deleted)."""
    return _call("SELECT digest, user_id, expiry FROM public.identity_token_lookup(%s)", [token_key], using=using)


def token_insert(*, digest: str, token_key: str, user_id: int, expiry, using=DEFAULT_DB_ALIAS):
    """Store a new token of a user the current context governs (refused with 42501 otherwise)."""
    return _call("SELECT public.identity_token_create(%s, %s, %s, %s)", [digest, token_key, user_id, expiry], using=using)[0][0]


def token_delete(*, digest: str, using=DEFAULT_DB_ALIAS) -> int:
    return _call("SELECT public.identity_token_delete(%s)", [digest], using=using)[0][0]


def tokens_delete_for_user(*, user_id: int, using=DEFAULT_DB_ALIAS) -> int:
    """Revoke every token of a user the current context governs (0 otherwise)."""
    return _call("SELECT public.identity_tokens_delete_for_user(%s)", [user_id], using=using)[0][0]
