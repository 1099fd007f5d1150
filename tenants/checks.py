"""Start-up refusal: never serve with a database role that could bypass row-level security; and the
deploy-time check that the live schema is what the migrations define."""

from django.core.checks import CheckMessage, Error, Tags, Warning, register
from django.core.exceptions import ImproperlyConfigured
from django.db import DEFAULT_DB_ALIAS, DatabaseError, connections

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


@register(Tags.database, deploy=True)
def check_schema_matches_migrations(app_configs=None, databases=None, **kwargs):
    """`manage.py check --deploy`: the live database has the schema the migrations define."""
    return schema_check_messages(using="owner")


def schema_check_messages(*, using: str) -> list[CheckMessage]:
    from tenants.management.commands.check_schema import unapplied_migrations
    from tenants.schema import schema_differences, schema_read, snapshot_load

    try:
        differences = unapplied_migrations(using=using) + schema_differences(
            expected=snapshot_load(), actual=schema_read(using=using)
        )
    except DatabaseError as error:
        return [Warning(f"The schema could not be compared with the migrations: the database is unreachable ({error}).",
                        hint="Run `manage.py check_schema` once the database is up.", id="tenants.W001")]
    return [Error(difference, hint="Run `manage.py check_schema`; see README, 'Schema checks'.", id="tenants.E001")
            for difference in differences]
