"""The lean request path's parts (issue 13): the socket health check, the remembered host -> school, and the
token statement that sets the context. The statements a request sends are counted at the server in
tests/reliability/test_statement_counts.py."""

import time

import psycopg
import pytest
from django.db import connections

from tenants.context import NO_CONTEXT, TenantContext, current_context, tenant_context
from tenants.middleware import school_hosts
from tenants.models import Domain
from tests.api_support import API, api_client


def _url(alias="default"):
    config = connections[alias].settings_dict
    return f"postgresql://{config['USER']}:{config['PASSWORD']}@{config['HOST']}:{config['PORT']}/{config['NAME']}"


@pytest.mark.django_db
def test_the_health_check_sees_a_connection_the_server_closed_without_a_query():
    wrapper = connections.create_connection("default")
    try:
        wrapper.ensure_connection()
        assert wrapper.socket_looks_usable()
        pid = wrapper.connection.info.backend_pid
        with psycopg.connect(_url(), autocommit=True) as other:  # the same role may end its own sessions
            other.execute("SELECT pg_terminate_backend(%s)", [pid])
        deadline = time.monotonic() + 5
        while wrapper.socket_looks_usable():
            assert time.monotonic() < deadline, "the closed connection still looks usable"
            time.sleep(0.05)
        # Django's per-request check then replaces it: the next query works.
        wrapper.health_check_enabled, wrapper.health_check_done = True, False
        wrapper.close_if_health_check_failed()
        assert wrapper.connection is None
        with wrapper.cursor() as cursor:
            cursor.execute("SELECT 1")
            assert cursor.fetchone() == (1,)
    finally:
        wrapper.close()


@pytest.mark.django_db
def test_a_host_is_remembered_for_a_bounded_time(school_a, school_b, settings, monkeypatch, as_super_admin):
    settings.SCHOOL_HOST_CACHE_SECONDS = 30
    school_hosts.forget()
    assert school_hosts.school("school-a.localhost") == school_a
    # A change the process did not see (another process, a bulk update): the old answer until the time is up.
    with as_super_admin():
        Domain.objects.filter(domain="school-a.localhost").update(tenant=school_b)
    assert school_hosts.school("school-a.localhost").pk == school_a.pk
    now = time.monotonic()
    monkeypatch.setattr(time, "monotonic", lambda: now + 31)
    assert school_hosts.school("school-a.localhost").pk == school_b.pk
    # A change saved in this process takes effect at once; unknown hosts are never remembered.
    with as_super_admin():
        domain = Domain.objects.get(domain="school-a.localhost")
        domain.tenant = school_a
        domain.save()
    assert school_hosts.school("school-a.localhost").pk == school_a.pk
    assert school_hosts.school("nowhere.localhost") is None
    assert "nowhere.localhost" not in school_hosts._entries


@pytest.mark.django_db
def test_a_deactivated_school_is_seen_at_once_in_the_process_that_deactivated_it(school_a, admin_a):
    from tenants.services import school_deactivate

    client = api_client(admin_a, host="school-a.localhost")
    assert client.get(f"{API}/textbooks/").status_code == 200
    assert school_hosts.school("school-a.localhost").is_active  # remembered
    with tenant_context(super_admin=True):
        school_deactivate(school=school_a)
    assert not school_hosts.school("school-a.localhost").is_active
    assert client.get(f"{API}/textbooks/").status_code in (401, 403)  # its tokens are revoked too


@pytest.mark.django_db
@pytest.mark.parametrize("host", ["school-a.localhost", "testserver"])
def test_the_token_statement_sets_the_users_context(request, host, school_a, admin_a):
    from tenants.authentication import TokenAuthentication

    token = api_client(admin_a)._credentials["HTTP_AUTHORIZATION"].split()[1]
    authentication = TokenAuthentication()
    authentication.host_school = school_a if host != "testserver" else None
    authentication.http_request = type("Request", (), {})()
    with tenant_context():
        user, api_token = authentication.authenticate_credentials(token.encode())
        assert user == admin_a and api_token.user_id == admin_a.pk
        assert authentication.http_request.tenant_context == TenantContext(school_id=school_a.pk)
        assert current_context() == TenantContext(school_id=school_a.pk)


@pytest.mark.django_db
def test_the_token_statement_sets_no_school_on_another_schools_host(school_a, school_b, admin_a):
    from tenants.authentication import TokenAuthentication

    token = api_client(admin_a)._credentials["HTTP_AUTHORIZATION"].split()[1]
    authentication = TokenAuthentication()
    authentication.host_school, authentication.http_request = school_b, type("Request", (), {})()
    with tenant_context():
        authentication.authenticate_credentials(token.encode())
        assert current_context() == NO_CONTEXT
    # Over HTTP the API view refuses it (another school's address).
    assert api_client(admin_a, host="school-b.localhost").get(f"{API}/textbooks/").status_code == 403
