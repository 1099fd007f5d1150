"""The roles made by tenants/database_roles.py (the module ./dev uses too), checked on the suite's own cluster
as its superuser: what README's "Database roles" promises and config/wsgi.py relies on."""

import psycopg
import pytest

from tenants.database_roles import database_roles_create
from tests.reliability.conftest import OWNER, RUNTIME, SUPER_ADMIN

pytestmark = pytest.mark.reliability

ATTRIBUTES = "SELECT rolname, rolsuper, rolbypassrls, rolcreaterole, rolcreatedb, rolcanlogin, rolinherit FROM pg_roles"


def _roles(cluster) -> dict:
    with psycopg.connect(cluster.url("postgres", database="postgres")) as conn:
        rows = conn.execute(ATTRIBUTES + " WHERE rolname = ANY(%s)", [[OWNER, RUNTIME, SUPER_ADMIN]]).fetchall()
        member = conn.execute(
            "SELECT pg_has_role(%s, %s, 'MEMBER'), pg_has_role(%s, %s, 'USAGE')",
            [RUNTIME, SUPER_ADMIN, RUNTIME, SUPER_ADMIN],
        ).fetchone()
        owner = conn.execute(
            "SELECT pg_get_userbyid(datdba) FROM pg_database WHERE datname = 'goso'"
        ).fetchone()
    return {"roles": {name: attributes for name, *attributes in rows}, "member": member, "owner": owner}


def test_roles_as_documented(scratch_cluster):
    state = _roles(scratch_cluster)
    # superuser, bypassrls, createrole, createdb, login, inherit
    assert state["roles"] == {
        OWNER: [False, False, False, True, True, True],
        RUNTIME: [False, False, False, False, True, False],
        SUPER_ADMIN: [False, False, False, False, False, True],
    }
    # The runtime role may SET ROLE to the super admin but does not inherit its privileges (NOINHERIT).
    assert state["member"] == (True, False)
    assert state["owner"] == (OWNER,)


def test_roles_creation_repeatable(scratch_cluster):
    """A second run (same passwords, so the running servers keep working) changes nothing and fails on nothing."""
    before = _roles(scratch_cluster)
    database_roles_create(
        superuser_url=scratch_cluster.url("postgres", database="postgres"), database="goso",
        owner_password=scratch_cluster.passwords[OWNER], runtime_password=scratch_cluster.passwords[RUNTIME],
    )
    assert _roles(scratch_cluster) == before
    psycopg.connect(scratch_cluster.url(RUNTIME)).close()
    psycopg.connect(scratch_cluster.url(OWNER)).close()
