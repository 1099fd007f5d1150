"""No schema drift: migrations carry the policy SQL they create, the committed schema snapshot is what
the migrations define, and check_schema names every hand-made difference in a live database."""

import re
import shutil
import sys
from io import StringIO
from pathlib import Path

import psycopg
import pytest
from django.conf import settings
from django.core.checks import Error, Warning
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connections
from django.db.migrations.loader import MigrationLoader

from tenants.checks import schema_check_messages
from tenants.rls import (
    POLICY_KINDS, RUNTIME, SCHOOL_CONTENT, EnableRowSecurity, Policy, ReplaceRowSecurityPolicies, policies_frozen,
)
from tenants.rls_migrations import (
    migrations_freeze, operation_render, rls_drift, rls_problems, rls_tables, unfrozen_operations,
)
from tenants.schema import SNAPSHOT_PATH, database_scratch, schema_differences, schema_read, snapshot_load

owner_db = pytest.mark.django_db(databases=["default", "owner"])


# Policies frozen in the migrations ----------------------------------------------------------------

def test_the_migrations_create_exactly_the_policies_of_rls_py():
    assert rls_problems() == []
    tables = rls_tables()
    assert tables  # every app table is under RLS (test_rls_catalog checks the database side)
    for table, state in tables.items():
        assert state.policies == policies_frozen(table=table, kind=state.kind), table


def test_frozen_sql_names_roles_only_as_placeholders():
    for table, state in rls_tables().items():
        for sql in state.policies.values():
            assert settings.DATABASES["default"]["USER"] not in sql, table
            assert settings.DATABASE_SUPER_ADMIN_ROLE not in sql, table


def _edit_school_content(monkeypatch):
    """POLICY_KINDS edited without a migration: school content's write policy changes, one is added."""
    edited = tuple(
        Policy(p.name, p.command, p.role, using=p.using, with_check="school_id IS NOT NULL") if p.name == "write_own" else p
        for p in POLICY_KINDS[SCHOOL_CONTENT]
    ) + (Policy("read_nothing", "SELECT", RUNTIME, using="false"),)
    monkeypatch.setitem(POLICY_KINDS, SCHOOL_CONTENT, edited)


def test_editing_policy_kinds_without_a_migration_is_named(monkeypatch):
    _edit_school_content(monkeypatch)
    drift = {item.table: item for item in rls_drift()}
    school_tables = {table for table, state in rls_tables().items() if state.kind == SCHOOL_CONTENT}
    assert set(drift) == school_tables
    paragraphs = drift["paragraphs"]
    assert set(paragraphs.old) == {"paragraphs_write_own"}
    assert set(paragraphs.new) == {"paragraphs_write_own", "paragraphs_read_nothing"}
    message = str(paragraphs)
    assert "table paragraphs" in message and "changed paragraphs_write_own" in message
    assert "added paragraphs_read_nothing" in message and "manage.py rls_migration" in message


@pytest.mark.django_db(databases=["default", "owner"])
def test_makemigrations_check_fails_on_policy_drift(monkeypatch):
    _edit_school_content(monkeypatch)
    err = StringIO()
    with pytest.raises(SystemExit) as exit_:
        call_command("makemigrations", "--check", "--dry-run", stdout=StringIO(), stderr=err)
    assert exit_.value.code == 1
    assert "table textbooks" in err.getvalue() and "rls_migration" in err.getvalue()


def test_rls_migration_writes_the_replacing_migration(monkeypatch):
    _edit_school_content(monkeypatch)
    out = StringIO()
    call_command("rls_migration", "--dry-run", stdout=out)
    source = out.getvalue()
    namespace = {}
    exec(compile(source, "<migration>", "exec"), namespace)  # the written file is valid Python
    operations = namespace["Migration"].operations
    assert all(isinstance(operation, ReplaceRowSecurityPolicies) for operation in operations)
    by_table = {operation.table: operation for operation in operations}
    assert set(by_table) == {item.table for item in rls_drift()}
    assert by_table["paragraphs"].new == {name: sql for name, sql in policies_frozen(table="paragraphs", kind=SCHOOL_CONTENT).items()
                                          if name in {"paragraphs_write_own", "paragraphs_read_nothing"}}
    assert namespace["Migration"].dependencies == [("textbooks", _leaf("textbooks"))]


def test_rls_migration_writes_a_new_table_in_one_step():
    out = StringIO()
    call_command("rls_migration", "tenants", "--table", "api_keys=accounts", "--dry-run", stdout=out)
    assert "\n    operations = [\n        EnableRowSecurity(\n            table=\"api_keys\",\n" in out.getvalue()
    namespace = {}
    exec(compile(out.getvalue(), "<migration>", "exec"), namespace)
    (operation,) = namespace["Migration"].operations
    assert isinstance(operation, EnableRowSecurity)
    assert (operation.table, operation.kind) == ("api_keys", "accounts")
    assert operation.policies == policies_frozen(table="api_keys", kind="accounts")
    assert namespace["Migration"].dependencies == [("tenants", _leaf("tenants"))]


@pytest.mark.parametrize("spec, message", [("api_keys=nonsense", "must be one of"), ("users=accounts", "already under")])
def test_rls_migration_refuses_bad_tables(spec, message):
    with pytest.raises(CommandError, match=message):
        call_command("rls_migration", "tenants", "--table", spec, "--dry-run", stdout=StringIO())


def test_an_unfrozen_operation_refuses_to_run_and_renders_frozen():
    with pytest.raises(ValueError, match="rls_migration --freeze"):
        EnableRowSecurity(table="users", kind="accounts").database_forwards("tenants", None, None, None)
    frozen = EnableRowSecurity(table="users", kind="accounts", policies=policies_frozen(table="users", kind="accounts"))
    rendered = eval(operation_render(frozen), {"EnableRowSecurity": EnableRowSecurity})
    assert rendered.deconstruct() == frozen.deconstruct()


def _leaf(app_label):
    (leaf,) = [name for app, name in MigrationLoader(None, ignore_no_migrations=True).graph.leaf_nodes() if app == app_label]
    return leaf


# The schema snapshot and check_schema -------------------------------------------------------------

@owner_db
def test_the_committed_snapshot_is_what_the_migrations_define():
    differences = schema_differences(expected=snapshot_load(), actual=schema_read(using="owner"))
    assert differences == [], (
        f"{SNAPSHOT_PATH} differs from the migrated test database; after adding a migration run "
        "`python manage.py schema_snapshot` on a freshly migrated database (see README, 'Schema checks'):\n"
        + "\n".join(differences)
    )


@owner_db
def test_check_schema_is_clean_on_a_migrated_database():
    out = StringIO()
    call_command("check_schema", stdout=out)
    assert "matches the migrations" in out.getvalue()
    assert schema_check_messages(using="owner") == []


def test_the_snapshot_uses_role_aliases_not_deployment_names():
    text = SNAPSHOT_PATH.read_text(encoding="utf-8")
    for role in (settings.DATABASES["default"]["USER"], settings.DATABASE_SUPER_ADMIN_ROLE, settings.DATABASES["owner"]["USER"]):
        assert f'"{role}"' not in text
    assert {"runtime", "super_admin", "owner"} <= set(snapshot_load()["grants"]["paragraphs"])


def _admin_connection(dbname):
    owner = settings.DATABASES["owner"]
    return psycopg.connect(host=owner["HOST"], port=owner["PORT"], user=owner["USER"], password=owner["PASSWORD"],
                           dbname=dbname, autocommit=True)


@pytest.fixture
def scratch_database(django_db_setup, django_db_blocker):
    """A copy of the migrated test database (CREATE DATABASE ... TEMPLATE: quick) as alias `scratch`."""
    with django_db_blocker.unblock():
        with database_scratch(template=connections["owner"].settings_dict["NAME"]) as name:
            yield name


def test_check_schema_names_every_hand_made_difference(scratch_database):
    snapshot = snapshot_load()
    # An index that is not a constraint's (those are dropped with their constraint).
    index = next(key for key in sorted(snapshot["indexes"]) if key.startswith("paragraphs.") and key not in snapshot["constraints"])
    trigger = next(key for key in sorted(snapshot["triggers"]) if key.startswith("textbooks."))
    runtime = settings.DATABASES["default"]["USER"]
    with _admin_connection(scratch_database) as scratch:
        for sql in (
            "ALTER TABLE subjects ADD COLUMN nickname text",
            "DROP POLICY paragraphs_write_own ON paragraphs",
            f'GRANT TRUNCATE ON textbooks TO "{runtime}"',
            f'DROP INDEX "{index.split(".", 1)[1]}"',
            "ALTER TABLE chapters NO FORCE ROW LEVEL SECURITY",
            "ALTER TABLE learning_outcomes ALTER COLUMN title_ru DROP NOT NULL",
            f'DROP TRIGGER "{trigger.split(".", 1)[1]}" ON textbooks',
        ):
            scratch.execute(sql)
    out = StringIO()
    with pytest.raises(CommandError, match=r"7 difference\(s\) between database .*_scratch_") as error:
        call_command("check_schema", "--database", "scratch", stdout=out)
    assert error.value.returncode == 1  # manage.py's exit status
    lines = out.getvalue().splitlines()
    expected = [
        "columns: subjects.nickname is not defined by the migrations",
        "policies: paragraphs.paragraphs_write_own is missing",
        "grants: textbooks runtime is 'DELETE, INSERT, SELECT, TRUNCATE, UPDATE', the migrations define 'DELETE, INSERT, SELECT, UPDATE'",
        f"indexes: {index} is missing",
        "tables: chapters row_security is 'enabled', the migrations define 'enabled, forced'",
        "columns: learning_outcomes.title_ru null is 'NULL', the migrations define 'NOT NULL'",
        f"triggers: {trigger} is missing",
    ]
    assert len(lines) == len(expected)
    for start in expected:
        assert [line for line in lines if line.startswith(start)], f"{start!r} not in:\n" + "\n".join(lines)
    messages = schema_check_messages(using="scratch")
    assert len(messages) == len(expected) and all(isinstance(message, Error) for message in messages)


def test_the_deploy_check_warns_when_the_database_is_unreachable(django_db_blocker):
    connections.settings["unreachable"] = {**connections["owner"].settings_dict, "HOST": "127.0.0.1", "PORT": "1"}
    try:
        with django_db_blocker.unblock():
            (message,) = schema_check_messages(using="unreachable")
    finally:
        connections["unreachable"].close()
        del connections["unreachable"]
        del connections.settings["unreachable"]
    assert isinstance(message, Warning) and "unreachable" in message.msg
    assert settings.DATABASES["owner"]["PASSWORD"] not in message.msg


def test_a_replacing_migration_applies_and_reverses(scratch_database, monkeypatch):
    _edit_school_content(monkeypatch)
    drift = {item.table: item for item in rls_drift()}["chapters"]
    operation = ReplaceRowSecurityPolicies(table="chapters", kind=drift.kind, old=drift.old, new=drift.new)
    scratch = connections["scratch"]

    def chapter_policies():
        with scratch.cursor() as cursor:
            cursor.execute("SELECT policyname, with_check FROM pg_policies WHERE tablename = 'chapters'")
            return dict(cursor.fetchall())

    before = chapter_policies()
    with scratch.schema_editor() as editor:
        operation.database_forwards("textbooks", editor, None, None)
    after = chapter_policies()
    assert after["chapters_write_own"] == "(school_id IS NOT NULL)"
    assert set(after) == set(before) | {"chapters_read_nothing"}
    with scratch.schema_editor() as editor:
        operation.database_backwards("textbooks", editor, None, None)
    assert chapter_policies() == before
    assert schema_check_messages(using="scratch") == []


def test_freeze_turns_a_hand_written_operation_into_the_committed_migration(tmp_path, settings, monkeypatch):
    # A copy of tenants' migrations with each frozen EnableRowSecurity written the short way by hand.
    original = Path(settings.BASE_DIR) / "tenants" / "migrations"
    package = tmp_path / "handwritten_rls" / "migrations"
    shutil.copytree(original, package, ignore=shutil.ignore_patterns("__pycache__"))
    (package.parent / "__init__.py").write_text("")
    committed = (original / "0002_row_level_security.py").read_text(encoding="utf-8")
    short = re.sub(r'EnableRowSecurity\(\n\s+table="(\w+)",\n\s+kind="(\w+)",\n\s+policies=\{\n.*?\n\s+\},\n\s+\)',
                   r'EnableRowSecurity(table="\1", kind="\2")', committed, flags=re.DOTALL)
    assert short.count('EnableRowSecurity(table="') == 5
    (package / "0002_row_level_security.py").write_text(short, encoding="utf-8")
    monkeypatch.syspath_prepend(str(tmp_path))
    settings.MIGRATION_MODULES = {"tenants": "handwritten_rls.migrations"}

    assert [operation.table for _, operation in unfrozen_operations()] == [
        "schools", "school_domains", "users", "users_groups", "users_user_permissions"]
    assert "rls_migration --freeze" in rls_problems()[0]
    migrations_freeze()
    assert (package / "0002_row_level_security.py").read_text(encoding="utf-8") == committed
    for module in [name for name in sys.modules if name.startswith("handwritten_rls.")]:
        monkeypatch.delitem(sys.modules, module)  # the next loader imports the frozen file
    assert rls_problems() == []
