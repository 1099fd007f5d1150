"""Migrations: generated and complete, one leaf per app, reversible, and plain `migrate` keeps
working once schools exist."""

import os
import subprocess
import sys
from io import StringIO

import pytest
from django.conf import settings
from django.core.management import call_command
from django.db import connections
from django.db.migrations.loader import MigrationLoader

from tenants.context import super_admin_context
from tenants.rls import POLICY_KINDS, SCHOOL_CONTENT, policy_name
from tests.conftest import make_school

committing = pytest.mark.django_db(transaction=True, databases=["default", "owner"])
OUR_APPS = ["tenants", "curriculum", "textbooks"]


@pytest.mark.django_db(databases=["default", "owner"])
def test_models_and_migrations_agree():
    call_command("makemigrations", "--check", "--dry-run", stdout=StringIO())


@pytest.mark.django_db(databases=["default", "owner"])
def test_one_leaf_per_app():
    graph = MigrationLoader(connections["owner"], ignore_no_migrations=True).graph
    for app in OUR_APPS:
        assert len([leaf for leaf in graph.leaf_nodes() if leaf[0] == app]) == 1, app


@committing
def test_plain_migrate_works_once_schools_exist():
    with super_admin_context():
        make_school("school-a", 1)
    out = StringIO()
    call_command("migrate", verbosity=1, stdout=out)  # our command: the owner connection, no schemas
    assert "No migrations to apply" in out.getvalue()


def policies():
    with connections["owner"].cursor() as cursor:
        cursor.execute(
            "SELECT tablename, policyname, cmd, roles::text[], qual, with_check FROM pg_policies WHERE schemaname = 'public'"
        )
        return sorted(cursor.fetchall())


@committing
def test_migrate_to_zero_and_back():
    before = policies()
    assert {name for table, name, *_rest in before if table == "paragraph_outcomes"} == {
        policy_name("paragraph_outcomes", policy) for policy in POLICY_KINDS[SCHOOL_CONTENT]
    }
    for app in reversed(OUR_APPS):
        call_command("migrate", app, "zero", verbosity=0)
    with connections["owner"].cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_tables WHERE schemaname = 'public' AND tablename IN ('schools', 'paragraphs')")
        assert cursor.fetchone() == (0,)
    assert policies() == []
    call_command("migrate", verbosity=0)
    assert policies() == before  # every policy back, exactly


def test_the_server_refuses_a_role_that_bypasses_rls():
    # Serving with the owner role (of the migrated test database): importing the WSGI application
    # must fail with a clear message.
    env = {**os.environ, "DATABASE_URL": _owner_url()}
    result = subprocess.run(
        [sys.executable, "-c", "import config.wsgi"], env=env, capture_output=True, text=True, cwd=settings.BASE_DIR
    )
    assert result.returncode != 0
    assert "Refusing to start" in result.stderr
    assert "owns" in result.stderr


def _owner_url():
    owner = settings.DATABASES["owner"]
    return f"postgres://{owner['USER']}:{owner['PASSWORD']}@{owner['HOST']}:{owner['PORT']}/{owner['NAME']}"
