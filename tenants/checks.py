"""Start-up refusal: never serve with a database role that could bypass row-level security."""

from django.core.exceptions import ImproperlyConfigured
from django.db import DEFAULT_DB_ALIAS, connections

from tenants.rls import super_admin_role


def runtime_role_problems(*, using: str = DEFAULT_DB_ALIAS) -> list[str]:
    """What would let the role of connection `using` escape row-level security (empty when safe)."""
    with connections[using].cursor() as cursor:
        cursor.execute(
            """
            SELECT r.rolname, r.rolsuper, r.rolbypassrls, r.rolinherit,
                   EXISTS (SELECT 1 FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                           WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p')
                             AND pg_has_role(current_user, c.relowner, 'MEMBER')),
                   EXISTS (SELECT 1 FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                           WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p') AND c.relrowsecurity
                             AND has_table_privilege(current_user, c.oid, 'TRUNCATE')),
                   s.rolsuper, s.rolbypassrls,
                   s.oid IS NOT NULL AND pg_has_role(current_user, s.oid, 'MEMBER')
            FROM pg_roles r LEFT JOIN pg_roles s ON s.rolname = %s
            WHERE r.rolname = current_user
            """,
            [super_admin_role()],
        )
        (name, is_superuser, bypasses_rls, inherits, owns_tables, can_truncate,
         super_is_superuser, super_bypasses_rls, can_become_super_admin) = cursor.fetchone()
    problems = []
    if is_superuser:
        problems.append(f"role {name} is a superuser")
    if bypasses_rls:
        problems.append(f"role {name} has BYPASSRLS")
    if owns_tables:
        problems.append(f"role {name} owns (or can act as the owner of) the tables; use a separate owner role")
    if can_truncate:
        problems.append(f"role {name} may TRUNCATE tables under row-level security")
    if not can_become_super_admin:
        problems.append(f"role {name} is not a member of the super-admin role {super_admin_role()}")
    elif inherits:
        problems.append(f"role {name} must be NOINHERIT, or it gets the super-admin policies in every context")
    if super_is_superuser or super_bypasses_rls:
        problems.append(f"the super-admin role {super_admin_role()} is a superuser or has BYPASSRLS")
    return problems


def ensure_runtime_role_enforces_rls(*, using: str = DEFAULT_DB_ALIAS) -> None:
    problems = runtime_role_problems(using=using)
    if problems:
        raise ImproperlyConfigured(
            "Refusing to start: the database role in DATABASE_URL could bypass row-level security ("
            + "; ".join(problems)
            + "). Serve with the runtime role that ./dev creates (see README, 'Database roles')."
        )
