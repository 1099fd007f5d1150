"""The one place that sets the database tenant context.

The context is two transaction-local session settings (`app.current_tenant_id`, `app.is_super_admin`)
plus, in the super-admin context, the super-admin role (SET LOCAL ROLE). Everything is set with
`set_config(..., true)`, so it ends with the transaction and never leaks to the next user of a pooled
connection. Requests get it from TenantContextMiddleware; commands and scripts use `tenant_context`.
"""

from contextlib import contextmanager
from dataclasses import dataclass

from django.core.exceptions import PermissionDenied
from django.db import DEFAULT_DB_ALIAS, connections, transaction
from django.utils.translation import gettext as _

from tenants.replicas import REPLICA
from tenants.rls import SUPER_ADMIN_SETTING, TENANT_SETTING, super_admin_role


@dataclass(frozen=True)
class TenantContext:
    school_id: int | None = None
    super_admin: bool = False

    def __post_init__(self):
        if self.super_admin and self.school_id is not None:
            raise ValueError("the super-admin context belongs to no school")


NO_CONTEXT = TenantContext()
SUPER_ADMIN_CONTEXT = TenantContext(super_admin=True)


def activate(context: TenantContext, *, using: str = DEFAULT_DB_ALIAS) -> None:
    """Set the context for the rest of the current transaction."""
    connection = connections[using]
    if not connection.in_atomic_block:
        # Outside a transaction set_config(..., true) would last one statement: every later
        # query would silently see nothing. Refuse loudly instead.
        raise RuntimeError("The tenant context can only be set inside a transaction (transaction.atomic).")
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT set_config(%s, %s, true), set_config(%s, %s, true), set_config('role', %s, true)",
            [
                TENANT_SETTING,
                "" if context.school_id is None else str(int(context.school_id)),
                SUPER_ADMIN_SETTING,
                "true" if context.super_admin else "false",
                super_admin_role() if context.super_admin else "none",
            ],
        )


# The token's user and, in the same statement, the context that user most likely works in: their school
# when the account is active, not a methodologist's, and the host is theirs (or public). `token_user_activate`.
_TOKEN_USER_ACTIVATE = f"""
    SELECT u.*, t.expiry AS token_expiry,
           set_config(%(tenant_setting)s, CASE WHEN u.is_active AND u.role <> %(methodologist)s
                      AND (%(host_school)s::bigint IS NULL OR u.school_id = %(host_school)s::bigint)
                      THEN coalesce(u.school_id::text, '') ELSE '' END, true) AS context_school,
           set_config(%(super_admin_setting)s, 'false', true) AS context_super_admin,
           set_config('role', 'none', true) AS context_role,
           s.is_active AS school_is_active
    FROM public.{{lookup}}(%(token_key)s) t JOIN public.users u ON u.id = t.user_id
         LEFT JOIN public.schools s ON s.id = u.school_id
    WHERE t.digest = %(digest)s
"""


def token_user_activate(*, token_key: str, digest: str, host_school, using: str = DEFAULT_DB_ALIAS):
    """(user, token expiry, the context now set) of the unexpired API token `digest`, or None.

    One statement, the first of the request's transaction (TenantContextMiddleware leaves token requests
    to the API view): it looks the token up (an identity function, tenants/credentials.py) and sets the
    context the token's user works in on this host. The caller still decides with `context_for_user`
    and activates again when that differs (a methodologist) or refuses (another school's host, an
    inactive school, which roll the transaction back). With no matching token nothing is set: a
    transaction starts without context (every context setting is transaction-local).
    """
    from tenants.models import Role, School, User  # imported late: the models' module loads after this one

    if not connections[using].in_atomic_block:
        raise RuntimeError("The tenant context can only be set inside a transaction (transaction.atomic).")
    # A read replica (tenants/replicas.py) runs read-only transactions: the lookup that also deletes the
    # expired tokens it meets cannot run there, so the one that only skips them does.
    lookup = "identity_token_find" if connections[using].alias == REPLICA else "identity_token_lookup"
    users = list(User.objects.db_manager(using).raw(
        _TOKEN_USER_ACTIVATE.format(lookup=lookup),
        {"tenant_setting": TENANT_SETTING, "super_admin_setting": SUPER_ADMIN_SETTING,
         "methodologist": Role.METHODOLOGIST.value,
         "host_school": None if host_school is None else host_school.pk, "token_key": token_key, "digest": digest},
    ))
    if not users:
        return None
    user = users[0]
    if user.school_id is not None:
        # The school came with the token: context_for_user reads its is_active without another query.
        school = School.from_db(using, ["id", "is_active"], [user.school_id, user.school_is_active])
        User._meta.get_field("school").set_cached_value(user, school)
    return user, user.token_expiry, TenantContext(school_id=int(user.context_school) if user.context_school else None)


def current_context(*, using: str = DEFAULT_DB_ALIAS) -> TenantContext:
    with connections[using].cursor() as cursor:
        cursor.execute(
            "SELECT NULLIF(current_setting(%s, true), ''), current_setting(%s, true) IS NOT DISTINCT FROM 'true'",
            [TENANT_SETTING, SUPER_ADMIN_SETTING],
        )
        school_id, super_admin = cursor.fetchone()
    return TenantContext(school_id=None if super_admin or school_id is None else int(school_id), super_admin=super_admin)


def require_super_admin(message=None, *, using: str = DEFAULT_DB_ALIAS) -> None:
    """For services: refuse (PermissionDenied) unless running in the super-admin context. Row-level
    security would refuse the writes anyway; this says why, before the database has to."""
    if not current_context(using=using).super_admin:
        raise PermissionDenied(message or _("Only methodologists may do this."))


@contextmanager
def tenant_context(*, school_id: int | None = None, super_admin: bool = False, using: str = DEFAULT_DB_ALIAS):
    """Run a block in one transaction (or savepoint) under the given context, then restore the outer one.

    If the block raises, the transaction or savepoint is rolled back, and PostgreSQL restores the
    outer settings by itself.
    """
    context = TenantContext(school_id=school_id, super_admin=super_admin)
    nested = connections[using].in_atomic_block
    with transaction.atomic(using=using):
        outer = current_context(using=using) if nested else None
        activate(context, using=using)
        yield context
        if outer is not None:
            activate(outer, using=using)


def super_admin_context(*, using: str = DEFAULT_DB_ALIAS):
    """The named, explicit bypass for cross-school work (imports, demo data, maintenance)."""
    return tenant_context(super_admin=True, using=using)


class SchoolInactive(PermissionDenied):
    """The user's school is deactivated: its staff are refused at once (sessions and tokens alike)."""

    code = "school_inactive"

    @staticmethod
    def message() -> str:
        return _("Your school's access is suspended. Ask a methodologist to reactivate the school.")


class WrongAddress(PermissionDenied):
    """A signed-in user on an address that is not theirs: a methodologist on a school's host, or school
    staff on another school's. `school_id` is where the user belongs (None: the national address)."""

    def __init__(self, message, *, school_id):
        super().__init__(message)
        self.school_id = school_id


def context_for_user(*, user, host_school) -> TenantContext:
    """The context a user works in on a host; PermissionDenied when the user does not belong there.

    - anonymous: no context (reference data and global content only);
    - methodologist: the super-admin context, on the public host only;
    - school staff: their own school, on their school's host or the public host, while the school
      is active (SchoolInactive otherwise; on the public host one primary-key read).
    """
    if not user.is_authenticated or not user.is_active:
        return NO_CONTEXT
    if user.is_methodologist:
        if host_school is not None:
            raise WrongAddress(
                _("Methodologists work on the national (public) address, not on a school's."), school_id=None
            )
        return SUPER_ADMIN_CONTEXT
    if user.school_id is None:
        return NO_CONTEXT
    if host_school is not None and host_school.pk != user.school_id:
        raise WrongAddress(
            _("Your account belongs to another school. Sign in at your school's address."), school_id=user.school_id
        )
    # The host's school is the user's (checked above): no query on a school host.
    school = host_school if host_school is not None else user.school
    if not school.is_active:
        raise SchoolInactive(SchoolInactive.message())
    return TenantContext(school_id=user.school_id)
