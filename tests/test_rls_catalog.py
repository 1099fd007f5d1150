"""What the database catalog says about row-level security, roles and privileges."""

import re
import subprocess
import sys

import pytest
from django.apps import apps
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import connection, connections

from tenants.checks import ensure_runtime_role_enforces_rls, runtime_role_problems
from tenants.rls import SUPER_ADMIN_SETTING, TENANT_SETTING

APP_LABELS = ["tenants", "curriculum", "textbooks"]


def app_tables():
    tables = set()
    for label in APP_LABELS:
        for model in apps.get_app_config(label).get_models(include_auto_created=True):
            tables.add(model._meta.db_table)
    return tables


def test_the_app_has_the_tables_of_the_seed_system():
    assert {
        "schools", "school_domains", "users", "subjects", "frameworks", "goso_sections", "goso_subsections",
        "learning_outcomes", "textbooks", "chapters", "paragraphs", "paragraph_outcomes",
    } <= app_tables()


@pytest.mark.django_db
def test_every_app_table_has_rls_enabled_and_forced():
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT relname, relrowsecurity, relforcerowsecurity FROM pg_class"
            " WHERE relnamespace = 'public'::regnamespace AND relname = ANY(%s)",
            [sorted(app_tables())],
        )
        rows = {name: (enabled, forced) for name, enabled, forced in cursor.fetchall()}
    assert set(rows) == app_tables()
    assert {name for name, flags in rows.items() if flags != (True, True)} == set()


@pytest.mark.django_db
def test_policies_use_only_the_two_agreed_settings_and_every_table_has_the_super_admin_policy():
    with connection.cursor() as cursor:
        cursor.execute("SELECT tablename, policyname, roles::text[], cmd, qual, with_check FROM pg_policies WHERE schemaname = 'public'")
        policies = cursor.fetchall()
    settings_used = set()
    for _table, _name, _roles, _cmd, qual, with_check in policies:
        for expression in (qual, with_check):
            settings_used |= set(re.findall(r"current_setting\('([^']+)'", expression or ""))
    assert settings_used == {TENANT_SETTING, SUPER_ADMIN_SETTING}
    super_admin_tables = {
        table for table, _name, roles, cmd, qual, with_check in policies
        if roles == [settings.DATABASE_SUPER_ADMIN_ROLE] and cmd == "ALL"
        and SUPER_ADMIN_SETTING in qual and SUPER_ADMIN_SETTING in with_check
    }
    assert super_admin_tables == app_tables()
    # No policy casts a setting without NULLIF (an empty setting must never raise).
    for _table, _name, _roles, _cmd, qual, with_check in policies:
        for expression in (qual or "", with_check or ""):
            assert "current_setting('app.current_tenant_id', true)" not in expression or "NULLIF" in expression


@pytest.mark.django_db
def test_runtime_role_cannot_bypass_rls_or_truncate():
    assert runtime_role_problems(using="default") == []
    ensure_runtime_role_enforces_rls(using="default")
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT rolsuper, rolbypassrls, rolinherit FROM pg_roles WHERE rolname = current_user"
        )
        assert cursor.fetchone() == (False, False, False)
        cursor.execute("SELECT bool_or(has_table_privilege(current_user, c.oid, 'TRUNCATE')) FROM pg_class c"
                       " WHERE relnamespace = 'public'::regnamespace AND relname = ANY(%s)", [sorted(app_tables())])
        assert cursor.fetchone() == (False,)


@pytest.mark.django_db(databases=["default", "owner"])
def test_the_owner_role_is_refused_as_a_runtime_role():
    problems = runtime_role_problems(using="owner")
    assert any("owns" in problem for problem in problems)
    with pytest.raises(ImproperlyConfigured, match="Refusing to start"):
        ensure_runtime_role_enforces_rls(using="owner")
    assert connections["owner"].settings_dict["USER"] != connections["default"].settings_dict["USER"]


def run_settings(env):
    return subprocess.run(
        [sys.executable, "-c", "import django, os; os.environ['DJANGO_SETTINGS_MODULE']='config.settings'; django.setup()"],
        env=env, capture_output=True, text=True, cwd=settings.BASE_DIR,
    )


@pytest.mark.parametrize(
    "overrides, message",
    [
        ({"DEBUG": "false", "SECRET_KEY": ""}, "SECRET_KEY must be set"),
        ({"DEBUG": "false", "SECRET_KEY": "Vb7q2-LmX9pR4tZ8wK1sN6yH3cJ0fD5gA_eU2iO7rT4vB9nM1kQ", "ALLOWED_HOSTS": "*"}, "ALLOWED_HOSTS must list"),
    ],
)
def test_unsafe_production_settings_are_refused(overrides, message):
    env = {"PATH": "/usr/bin:/bin", "ENV_FILE": "/dev/null", "DATABASE_URL": "postgres://u:p@127.0.0.1:1/db", **overrides}
    result = run_settings(env)
    assert result.returncode != 0
    assert message in result.stderr


def test_safe_production_settings_are_accepted():
    env = {"PATH": "/usr/bin:/bin", "ENV_FILE": "/dev/null", "DATABASE_URL": "postgres://u:p@127.0.0.1:1/db", "DEBUG": "false",
           "SECRET_KEY": "Vb7q2-LmX9pR4tZ8wK1sN6yH3cJ0fD5gA_eU2iO7rT4vB9nM1kQ", "ALLOWED_HOSTS": "goso.example.kz"}
    result = run_settings(env)
    assert result.returncode == 0, result.stderr
