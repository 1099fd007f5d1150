"""What the database schema is, as data: read a live database into a snapshot and compare two snapshots.

The committed snapshot (`schema/snapshot.json`, written by `manage.py schema_snapshot` from a freshly
migrated database and kept equal to the migrations by a test) is what the migrations define;
`manage.py check_schema` and the deploy-time system check compare a live database with it, so a
column added by hand, a dropped policy or a widened grant is named instead of discovered later.

Role names are deployment settings, not schema: the runtime, super-admin and owner roles appear as
`runtime`, `super_admin` and `owner`, so one snapshot fits every deployment.
"""

import json
import uuid
from contextlib import contextmanager
from pathlib import Path

from django.conf import settings
from django.db import OperationalError, connections

from tenants.rls import runtime_role, super_admin_role

SNAPSHOT_PATH = Path(settings.BASE_DIR) / "schema" / "snapshot.json"
SCHEMA = "public"

# One query per kind of object; each returns (key, field, value) rows so that the snapshot is a plain
# nested dict {kind: {object: {field: value}}} whatever the kind.
QUERIES = {
    "tables": """
        SELECT c.relname, 'kind', c.relkind::text FROM pg_class c
        WHERE c.relnamespace = %(schema)s::regnamespace AND c.relkind IN ('r', 'p', 'v', 'm', 'S')
        UNION ALL
        SELECT c.relname, 'owner', pg_get_userbyid(c.relowner)::text FROM pg_class c
        WHERE c.relnamespace = %(schema)s::regnamespace AND c.relkind IN ('r', 'p', 'v', 'm', 'S')
        UNION ALL
        SELECT c.relname, 'row_security', CASE WHEN c.relforcerowsecurity THEN 'enabled, forced'
                                               WHEN c.relrowsecurity THEN 'enabled' ELSE 'disabled' END
        FROM pg_class c WHERE c.relnamespace = %(schema)s::regnamespace AND c.relkind IN ('r', 'p')
    """,
    "columns": """
        SELECT c.relname || '.' || a.attname, f.field, f.value
        FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid
        LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
        CROSS JOIN LATERAL (VALUES
            ('type', format_type(a.atttypid, a.atttypmod)),
            ('null', CASE WHEN a.attnotnull THEN 'NOT NULL' ELSE 'NULL' END),
            ('default', pg_get_expr(d.adbin, d.adrelid)),
            ('identity', NULLIF(a.attidentity::text, '')),
            ('generated', NULLIF(a.attgenerated::text, ''))
        ) AS f(field, value)
        WHERE c.relnamespace = %(schema)s::regnamespace AND c.relkind IN ('r', 'p', 'v', 'm')
          AND a.attnum > 0 AND NOT a.attisdropped AND f.value IS NOT NULL
    """,
    "constraints": """
        SELECT c.relname || '.' || k.conname, 'definition', pg_get_constraintdef(k.oid)
        FROM pg_constraint k JOIN pg_class c ON c.oid = k.conrelid
        WHERE c.relnamespace = %(schema)s::regnamespace AND k.contype <> 't'
    """,
    "indexes": """
        SELECT c.relname || '.' || i.relname, 'definition', pg_get_indexdef(i.oid)
        FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid JOIN pg_class c ON c.oid = x.indrelid
        WHERE c.relnamespace = %(schema)s::regnamespace
    """,
    "triggers": """
        SELECT c.relname || '.' || t.tgname, 'definition', pg_get_triggerdef(t.oid)
        FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid
        WHERE c.relnamespace = %(schema)s::regnamespace AND NOT t.tgisinternal
    """,
    "functions": """
        SELECT p.oid::regprocedure::text, 'definition', pg_get_functiondef(p.oid)
        FROM pg_proc p WHERE p.pronamespace = %(schema)s::regnamespace AND p.prokind IN ('f', 'p')
        UNION ALL
        SELECT p.oid::regprocedure::text, 'owner', pg_get_userbyid(p.proowner)::text
        FROM pg_proc p WHERE p.pronamespace = %(schema)s::regnamespace AND p.prokind IN ('f', 'p')
    """,
    "policies": """
        SELECT tablename || '.' || policyname, f.field, f.value
        FROM pg_policies CROSS JOIN LATERAL (VALUES
            ('permissive', permissive), ('command', cmd), ('roles', array_to_string(roles, ', ')),
            ('using', qual), ('with_check', with_check)
        ) AS f(field, value)
        WHERE schemaname = %(schema)s AND f.value IS NOT NULL
    """,
    # Privileges per object and grantee (PUBLIC for grantee 0), table- and column-level, functions
    # and the owner's default privileges for objects created later.
    "grants": """
        SELECT c.relname, grantee, string_agg(privilege_type || CASE WHEN is_grantable THEN ' (grantable)' ELSE '' END,
                                               ', ' ORDER BY privilege_type)
        FROM (SELECT c.relname, CASE WHEN a.grantee = 0 THEN 'PUBLIC' ELSE pg_get_userbyid(a.grantee)::text END AS grantee,
                     a.privilege_type, a.is_grantable
              FROM pg_class c CROSS JOIN LATERAL aclexplode(c.relacl) a
              WHERE c.relnamespace = %(schema)s::regnamespace AND c.relkind IN ('r', 'p', 'v', 'm', 'S')) c
        GROUP BY c.relname, grantee
        UNION ALL
        SELECT relname, grantee, string_agg(privilege_type, ', ' ORDER BY privilege_type)
        FROM (SELECT c.relname || '.' || att.attname AS relname,
                     CASE WHEN a.grantee = 0 THEN 'PUBLIC' ELSE pg_get_userbyid(a.grantee)::text END AS grantee,
                     a.privilege_type
              FROM pg_attribute att JOIN pg_class c ON c.oid = att.attrelid CROSS JOIN LATERAL aclexplode(att.attacl) a
              WHERE c.relnamespace = %(schema)s::regnamespace AND att.attacl IS NOT NULL) col
        GROUP BY relname, grantee
        UNION ALL
        SELECT proc, grantee, string_agg(privilege_type, ', ' ORDER BY privilege_type)
        FROM (SELECT p.oid::regprocedure::text AS proc,
                     CASE WHEN a.grantee = 0 THEN 'PUBLIC' ELSE pg_get_userbyid(a.grantee)::text END AS grantee,
                     a.privilege_type
              FROM pg_proc p CROSS JOIN LATERAL aclexplode(p.proacl) a
              WHERE p.pronamespace = %(schema)s::regnamespace) f
        GROUP BY proc, grantee
        UNION ALL
        SELECT 'default privileges of ' || grantor || ' on ' || objtype, grantee,
               string_agg(privilege_type, ', ' ORDER BY privilege_type)
        FROM (SELECT pg_get_userbyid(d.defaclrole)::text AS grantor, CASE d.defaclobjtype WHEN 'r' THEN 'tables' WHEN 'S' THEN 'sequences' WHEN 'f' THEN 'functions'
                          WHEN 'T' THEN 'types' ELSE 'schemas' END AS objtype,
                     CASE WHEN a.grantee = 0 THEN 'PUBLIC' ELSE pg_get_userbyid(a.grantee)::text END AS grantee,
                     a.privilege_type
              FROM pg_default_acl d CROSS JOIN LATERAL aclexplode(d.defaclacl) a
              WHERE d.defaclnamespace IN (0, %(schema)s::regnamespace)) d
        GROUP BY grantor, objtype, grantee
    """,
}


def role_aliases(*, using: str) -> dict[str, str]:
    """The deployment's role names -> the names the snapshot uses."""
    return {
        runtime_role(): "runtime",
        super_admin_role(): "super_admin",
        connections[using].settings_dict["USER"]: "owner",
    }


def _roles(text: str, aliases: dict[str, str]) -> str:
    """A role name or a comma-separated list of them, in the snapshot's names."""
    return ", ".join(aliases.get(name, name) for name in text.split(", "))


def _key(key: str, aliases: dict[str, str]) -> str:
    prefix = "default privileges of "
    if key.startswith(prefix):  # "default privileges of <role> on <type>"
        role, _, rest = key[len(prefix):].partition(" on ")
        return f"{prefix}{_roles(role, aliases)} on {rest}"
    return key


def schema_read(*, using: str = "owner") -> dict:
    """The schema of the database behind connection `using` (the owner role sees every object)."""
    aliases = role_aliases(using=using)
    snapshot: dict[str, dict] = {}
    with connections[using].cursor() as cursor:
        for kind, query in QUERIES.items():
            objects: dict[str, dict] = {}
            cursor.execute(query, {"schema": SCHEMA})
            for key, field, value in cursor.fetchall():
                key = _key(key, aliases)
                if kind == "grants":
                    field = _roles(field, aliases)
                elif field in ("owner", "roles"):
                    value = _roles(value, aliases)
                objects.setdefault(key, {})[field] = value
            snapshot[kind] = {key: dict(sorted(fields.items())) for key, fields in sorted(objects.items())}
    return snapshot


def schema_differences(*, expected: dict, actual: dict) -> list[str]:
    """Every difference between two snapshots, one readable line each (empty when equal)."""
    differences = []
    for kind in sorted(set(expected) | set(actual)):
        want, have = expected.get(kind, {}), actual.get(kind, {})
        for key in sorted(set(want) - set(have)):
            differences.append(f"{kind}: {key} is missing (the migrations define {_describe(want[key])})")
        for key in sorted(set(have) - set(want)):
            differences.append(f"{kind}: {key} is not defined by the migrations ({_describe(have[key])})")
        for key in sorted(set(want) & set(have)):
            for field in sorted(set(want[key]) | set(have[key])):
                if want[key].get(field) != have[key].get(field):
                    differences.append(
                        f"{kind}: {key} {field} is {have[key].get(field)!r}, the migrations define {want[key].get(field)!r}"
                    )
    return differences


def _describe(fields: dict) -> str:
    return "; ".join(f"{field} {value!r}" for field, value in fields.items())


def snapshot_load(*, path: Path = SNAPSHOT_PATH) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


def snapshot_dump(snapshot: dict) -> str:
    return json.dumps(snapshot, ensure_ascii=False, indent=1, sort_keys=True) + "\n"


@contextmanager
def database_scratch(*, template: str | None = None, using: str = "owner"):
    """A throwaway database (empty, or a copy of `template`) created by the role of `using` (the owner
    has CREATEDB), usable as connection alias "scratch"; dropped on exit."""
    base = connections[using].settings_dict
    name = f"{template or base['NAME']}_scratch_{uuid.uuid4().hex[:8]}"
    quote = connections[using].ops.quote_name
    if template:
        connections.close_all()  # a template database must have no other sessions
    with connections[using].cursor() as cursor:  # autocommit: CREATE DATABASE cannot run in a transaction
        try:
            cursor.execute(f"CREATE DATABASE {quote(name)}" + (f" TEMPLATE {quote(template)}" if template else ""))
        except OperationalError as error:
            if not template:
                raise
            # Name the sessions that keep the template busy (a live server's threads, another shell).
            cursor.execute("SELECT pid, usename, application_name, state FROM pg_stat_activity"
                           " WHERE datname = %s AND pid <> pg_backend_pid()", [template])
            raise OperationalError(f"{error}; sessions on {template}: {cursor.fetchall()}") from error
    connections.settings["scratch"] = {**base, "NAME": name}
    try:
        yield name
    finally:
        if "scratch" in connections:
            connections["scratch"].close()
            del connections["scratch"]
        del connections.settings["scratch"]
        with connections[using].cursor() as cursor:
            cursor.execute(f"DROP DATABASE {quote(name)} WITH (FORCE)")
