"""The one declarative source of row-level security (RLS) policies, and the migration operations.

Every policy is built here from the two agreed session settings, so a misspelled setting, an empty
setting cast to a number or a forgotten super-admin clause cannot appear in one table and not in the
others. Migrations carry the SQL frozen: `manage.py rls_migration` writes
`EnableRowSecurity(table=..., kind=..., policies={name: "CREATE POLICY ..."})` from POLICY_KINDS, and
the operation runs exactly that SQL, so editing POLICY_KINDS never changes what an old migration
creates. Role names are not schema: the SQL says {runtime} and {super_admin}, resolved from the
settings when the migration runs. An edit of POLICY_KINDS without a new migration fails
`makemigrations --check` and the test suite (see `rls_drift`).

Roles (see README): the runtime role serves requests; the super-admin role is a NOLOGIN role that the
runtime role switches to (SET LOCAL ROLE) in the super-admin context. Keeping the super-admin clause
in policies of its own role, not OR-ed into the school's, leaves the school's policy a plain indexed
predicate on school_id (../shared/notes/rls.md: 5 ms instead of 75 ms).

Why not django-rls' operations: they silently do nothing when its schema editor is not the active
backend, cannot FORCE RLS, cannot create INSERT policies and cannot reverse a drop.
"""

from dataclasses import dataclass

from django.conf import settings
from django.db.migrations.operations.base import Operation

TENANT_SETTING = "app.current_tenant_id"
SUPER_ADMIN_SETTING = "app.is_super_admin"

# Both are wrapped in a sub-select so that PostgreSQL evaluates them once per statement (an
# InitPlan), and both are NULL-safe: an unset or empty setting means "no school" and "not super
# admin", never an error.
CURRENT_SCHOOL = f"(SELECT NULLIF(current_setting('{TENANT_SETTING}', true), '')::bigint)"
IS_SUPER_ADMIN = f"(SELECT current_setting('{SUPER_ADMIN_SETTING}', true) IS NOT DISTINCT FROM 'true')"

RUNTIME = "runtime"
SUPER_ADMIN = "super_admin"
EVERYONE = "public"
# How frozen policy SQL names the roles (deployment settings, resolved when a migration runs).
RUNTIME_PLACEHOLDER = "{runtime}"
SUPER_ADMIN_PLACEHOLDER = "{super_admin}"


@dataclass(frozen=True)
class Policy:
    name: str
    command: str  # SELECT, INSERT, UPDATE, DELETE or ALL
    role: str  # RUNTIME, SUPER_ADMIN or EVERYONE
    using: str | None = None
    with_check: str | None = None


SUPER_ADMIN_ALL = Policy(
    "super_admin_all", "ALL", SUPER_ADMIN, using=IS_SUPER_ADMIN, with_check=IS_SUPER_ADMIN
)

# Reference data (GOSO, schools): everyone reads; only the super-admin context writes.
REFERENCE = "reference"
# School content: global rows (school_id NULL) and the school's own rows are readable; only the
# school's own rows are writable, so a school never changes global content or its mappings.
SCHOOL_CONTENT = "school_content"
# Accounts: identity precedes context (a session or token names the user, the user names the school),
# so accounts are readable in every context; a school writes only its own staff.
ACCOUNTS = "accounts"

OWN_SCHOOL = f"school_id = {CURRENT_SCHOOL}"

POLICY_KINDS: dict[str, tuple[Policy, ...]] = {
    REFERENCE: (
        Policy("read_all", "SELECT", EVERYONE, using="true"),
        SUPER_ADMIN_ALL,
    ),
    SCHOOL_CONTENT: (
        Policy("read_global_or_own", "SELECT", RUNTIME, using=f"school_id IS NULL OR {OWN_SCHOOL}"),
        Policy("write_own", "ALL", RUNTIME, using=OWN_SCHOOL, with_check=OWN_SCHOOL),
        SUPER_ADMIN_ALL,
    ),
    ACCOUNTS: (
        Policy("read_all", "SELECT", EVERYONE, using="true"),
        Policy("write_own_school", "ALL", RUNTIME, using=OWN_SCHOOL, with_check=OWN_SCHOOL),
        SUPER_ADMIN_ALL,
    ),
}


# Admin history (django_admin_log has no school_id): a school reads and writes only entries of its
# own staff; the super-admin context sees everything; no context sees nothing.
ADMIN_LOG = "admin_log"
OWN_STAFF = f"user_id IN (SELECT id FROM public.users WHERE {OWN_SCHOOL})"
POLICY_KINDS[ADMIN_LOG] = (
    Policy("read_write_own_staff", "ALL", RUNTIME, using=OWN_STAFF, with_check=OWN_STAFF),
    SUPER_ADMIN_ALL,
)


@dataclass(frozen=True)
class Allowlisted:
    """A table outside row-level security: what the runtime (and super-admin) role may do there, and why."""

    privileges: frozenset[str]  # subset of SELECT, INSERT, UPDATE, DELETE; empty: no access at all
    reason: str


# The ONE list of tables outside row-level security. Every other table of the database is under RLS
# (enabled and forced, policies from POLICY_KINDS); tests/test_rls_catalog.py fails on a table that
# is in neither and checks that the roles' actual privileges are exactly these. Other apps add their
# tables here (e.g. `"axes_accessattempt": Allowlisted(frozenset({"SELECT", "INSERT", ...}), "why")`) and
# set exactly these privileges in their migration: the owner's default privileges grant every new table
# SELECT, INSERT, UPDATE, DELETE, so revoke what is not listed, e.g. `RoleSQL("REVOKE ... ON public.<table>
# FROM {runtime}, {super_admin}", "GRANT ...")` (tenants/migration_sql.py; 0005_identity_boundary has examples).
TABLES_WITHOUT_RLS: dict[str, Allowlisted] = {
    "django_migrations": Allowlisted(
        frozenset({"SELECT"}), "written by the owner role during migrate; read by runserver's migration check"
    ),
    "django_content_type": Allowlisted(
        frozenset({"SELECT"}), "model registry, not data; written by the owner role during migrate"
    ),
    "auth_permission": Allowlisted(
        frozenset({"SELECT"}), "permission registry, not data; written by the owner role during migrate"
    ),
    "django_session": Allowlisted(
        frozenset(), "session secrets: reached only by key through the identity functions (tenants/credentials.py)"
    ),
    "api_tokens": Allowlisted(
        frozenset(), "API token digests: reached only by key prefix through the identity functions"
    ),
    "user_credentials": Allowlisted(
        frozenset(), "password hashes: reached only for the user signing in, through the identity functions"
    ),
    "knox_authtoken": Allowlisted(
        frozenset(), "created by django-rest-knox's own migrations and unused (tokens live in api_tokens)"
    ),
    # Login lockouts (django-axes, config/lockouts.py): read and written before any tenant context exists
    # (a login has no school yet); they hold the username tried and the client address, never a password.
    # The super-admin context lists and lifts lockouts.
    "axes_accessattempt": Allowlisted(
        frozenset({"SELECT", "INSERT", "UPDATE", "DELETE"}), "failed logins per username and address (django-axes)"
    ),
    "axes_accesslog": Allowlisted(frozenset(), "django-axes' log of successful logins: disabled"),
    "axes_accessfailurelog": Allowlisted(frozenset(), "django-axes' permanent failure log: disabled"),
    # textbooks/migrations/0010: numbers of global (national) rows per table, written only by the owner's
    # trigger function; counts are no school's data, and every context needs them for its lists.
    "global_row_counts": Allowlisted(frozenset({"SELECT"}), "counts of global rows, kept by statement triggers"),
    "axes_accessattemptexpiration": Allowlisted(
        frozenset({"SELECT", "INSERT", "UPDATE", "DELETE"}),
        "django-axes' per-attempt expiry (one timestamp per attempt row; deleting an attempt reads it)",
    ),
}


def runtime_role() -> str:
    return settings.DATABASES["default"]["USER"]


def super_admin_role() -> str:
    return settings.DATABASE_SUPER_ADMIN_ROLE


def _quote(name: str) -> str:
    # PostgreSQL identifier quoting, as the schema editor's quote_name does.
    return '"' + name.replace('"', '""') + '"'


def _role_sql(role: str) -> str:
    return {EVERYONE: "PUBLIC", RUNTIME: RUNTIME_PLACEHOLDER, SUPER_ADMIN: SUPER_ADMIN_PLACEHOLDER}[role]


def policy_name(table: str, policy: Policy) -> str:
    return f"{table}_{policy.name}"


def create_policy_sql(table: str, policy: Policy) -> str:
    """The CREATE POLICY statement, with the role placeholders unresolved (as frozen in migrations)."""
    sql = (
        f"CREATE POLICY {_quote(policy_name(table, policy))} ON {_quote(table)} "
        f"AS PERMISSIVE FOR {policy.command} TO {_role_sql(policy.role)}"
    )
    if policy.using is not None:
        sql += f" USING ({policy.using})"
    if policy.with_check is not None:
        sql += f" WITH CHECK ({policy.with_check})"
    return sql


def policies_frozen(*, table: str, kind: str) -> dict[str, str]:
    """Policy name -> CREATE POLICY SQL of `kind` on `table`: what a migration written today carries."""
    return {policy_name(table, policy): create_policy_sql(table, policy) for policy in POLICY_KINDS[kind]}


def _resolve_roles(sql: str, quote) -> str:
    return sql.replace(RUNTIME_PLACEHOLDER, quote(runtime_role())).replace(SUPER_ADMIN_PLACEHOLDER, quote(super_admin_role()))


def _create_policies(schema_editor, policies: dict[str, str]) -> None:
    for sql in policies.values():
        schema_editor.execute(_resolve_roles(sql, schema_editor.quote_name))


def _drop_policies(schema_editor, table: str, policies: dict[str, str]) -> None:
    quote = schema_editor.quote_name
    for name in policies:
        schema_editor.execute(f"DROP POLICY IF EXISTS {quote(name)} ON {quote(table)}")


class EnableRowSecurity(Operation):
    """ENABLE and FORCE row-level security on a table and create its policies from the frozen SQL.

    `kind` names the POLICY_KINDS entry the SQL was generated from (the drift check compares the
    two); `policies` is policy name -> CREATE POLICY SQL. Reversible: backwards drops the policies
    and disables RLS.
    """

    reduces_to_sql = True
    reversible = True

    def __init__(self, table, kind, policies=None):
        # `policies` may be missing only in a migration written by hand and not yet frozen
        # (`manage.py rls_migration --freeze` fills it in); such a migration refuses to run.
        self.table = table
        self.kind = kind
        self.policies = policies

    def deconstruct(self):
        return (self.__class__.__name__, [], {"table": self.table, "kind": self.kind, "policies": self.policies})

    def state_forwards(self, app_label, state):
        pass

    def _require_frozen(self):
        if self.policies is None:
            raise ValueError(
                f"EnableRowSecurity(table={self.table!r}) carries no policies: run "
                "`manage.py rls_migration --freeze` to write them into the migration."
            )

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        self._require_frozen()
        quote = schema_editor.quote_name
        schema_editor.execute(f"ALTER TABLE {quote(self.table)} ENABLE ROW LEVEL SECURITY")
        schema_editor.execute(f"ALTER TABLE {quote(self.table)} FORCE ROW LEVEL SECURITY")
        _create_policies(schema_editor, self.policies)

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        self._require_frozen()
        quote = schema_editor.quote_name
        _drop_policies(schema_editor, self.table, self.policies)
        schema_editor.execute(f"ALTER TABLE {quote(self.table)} NO FORCE ROW LEVEL SECURITY")
        schema_editor.execute(f"ALTER TABLE {quote(self.table)} DISABLE ROW LEVEL SECURITY")

    def describe(self):
        return f"Enable and force row-level security on {self.table} ({self.kind} policies)"

    @property
    def migration_name_fragment(self):
        return f"rls_{self.table}"


class ReplaceRowSecurityPolicies(Operation):
    """Replace some policies of a table after POLICY_KINDS changed (written by `manage.py rls_migration`).

    `old` are the policies as the earlier migrations created them, `new` as `kind` defines them now
    (each policy name -> CREATE POLICY SQL; unchanged policies appear in neither). Forwards drops
    `old` and creates `new`; backwards the reverse.
    """

    reduces_to_sql = True
    reversible = True

    def __init__(self, table, kind, old, new):
        self.table = table
        self.kind = kind
        self.old = old
        self.new = new

    def deconstruct(self):
        return (self.__class__.__name__, [], {"table": self.table, "kind": self.kind, "old": self.old, "new": self.new})

    def state_forwards(self, app_label, state):
        pass

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        _drop_policies(schema_editor, self.table, self.old)
        _create_policies(schema_editor, self.new)

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        _drop_policies(schema_editor, self.table, self.new)
        _create_policies(schema_editor, self.old)

    def describe(self):
        return f"Replace the row-level security policies of {self.table} ({self.kind} policies)"

    @property
    def migration_name_fragment(self):
        return f"rls_{self.table}"


class GrantRuntimeAccess(Operation):
    """Give the runtime and super-admin roles row access (never TRUNCATE or REFERENCES) to every
    table and sequence, now and for tables the owner creates later."""

    reduces_to_sql = True
    reversible = True

    def __init__(self, privileges):
        # Frozen in the migration ("SELECT, INSERT, UPDATE, DELETE"), like the policies.
        self.privileges = privileges

    def deconstruct(self):
        return (self.__class__.__name__, [], {"privileges": self.privileges})

    def state_forwards(self, app_label, state):
        pass

    def _roles(self, quote):
        return ", ".join(quote(role) for role in (runtime_role(), super_admin_role()))

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        roles = self._roles(schema_editor.quote_name)
        for sql in (
            f"GRANT {self.privileges} ON ALL TABLES IN SCHEMA public TO {roles}",
            f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {roles}",
            f"ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT {self.privileges} ON TABLES TO {roles}",
            f"ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT USAGE, SELECT ON SEQUENCES TO {roles}",
        ):
            schema_editor.execute(sql)

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        roles = self._roles(schema_editor.quote_name)
        for sql in (
            f"ALTER DEFAULT PRIVILEGES IN SCHEMA public REVOKE {self.privileges} ON TABLES FROM {roles}",
            f"ALTER DEFAULT PRIVILEGES IN SCHEMA public REVOKE USAGE, SELECT ON SEQUENCES FROM {roles}",
            f"REVOKE {self.privileges} ON ALL TABLES IN SCHEMA public FROM {roles}",
            f"REVOKE USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public FROM {roles}",
        ):
            schema_editor.execute(sql)

    def describe(self):
        return "Grant row access on all tables to the runtime and super-admin roles"

    @property
    def migration_name_fragment(self):
        return "grant_runtime_access"
