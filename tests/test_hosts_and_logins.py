"""Which context a request gets, from its host and its user."""

import json
import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied
from django.http import JsonResponse
from django.test import RequestFactory
from django.utils import translation

from tenants.context import current_context, super_admin_context
from tenants.middleware import SchoolHostMiddleware, TenantContextMiddleware
from tenants.models import User
from tests.conftest import PASSWORD


def context_of(*, host, user):
    def view(request):
        context = current_context()
        return JsonResponse({"school_id": context.school_id, "super_admin": context.super_admin})

    request = RequestFactory().get("/", HTTP_HOST=host)
    request.user = user
    return SchoolHostMiddleware(TenantContextMiddleware(view))(request)


def test_methodologist_on_the_public_host_works_as_super_admin(methodologist):
    assert json.loads(context_of(host="localhost", user=methodologist).content) == {"school_id": None, "super_admin": True}


def test_methodologist_on_a_school_host_is_refused(methodologist, school_a):
    with translation.override("en"), pytest.raises(PermissionDenied, match="national"):
        context_of(host="school-a.localhost", user=methodologist)


def test_school_staff_work_in_their_school_on_its_host_and_on_the_public_host(admin_a, teacher_a, school_a):
    for user in (admin_a, teacher_a):
        for host in ("school-a.localhost", "localhost"):
            assert json.loads(context_of(host=host, user=user).content) == {"school_id": school_a.pk, "super_admin": False}


def test_school_staff_on_another_schools_host_are_refused(admin_b, school_a):
    with translation.override("en"), pytest.raises(PermissionDenied, match="another school"):
        context_of(host="school-a.localhost", user=admin_b)


def test_anonymous_gets_no_context_even_on_a_school_host(school_a):
    assert json.loads(context_of(host="school-a.localhost", user=AnonymousUser()).content) == {"school_id": None, "super_admin": False}


def test_unknown_host_is_not_found(db, client):
    response = client.get("/admin/", HTTP_HOST="nowhere.localhost")
    assert response.status_code == 404


def test_wrong_school_host_is_refused_through_the_whole_stack(client, admin_b, school_a):
    client.force_login(admin_b)
    refused = client.get("/en/admin/", HTTP_HOST="school-a.localhost")
    assert refused.status_code == 403
    assert "another school" in refused.content.decode()
    assert client.get("/admin/", HTTP_HOST="school-b.localhost").status_code == 200


@pytest.mark.parametrize("username", ["methodologist", "admin_a"])
def test_signing_in_records_last_login_in_the_users_own_context(client, methodologist, admin_a, username):
    host = "localhost" if username == "methodologist" else "school-a.localhost"
    response = client.post("/admin/login/?next=/admin/", {"username": username, "password": PASSWORD}, HTTP_HOST=host)
    assert response.status_code == 302, response.content.decode()[:500]
    with super_admin_context():
        assert User.objects.get(username=username).last_login is not None


def test_refusals_before_the_api_view_answer_in_the_api_error_shape(client, admin_b, school_a):
    client.force_login(admin_b)
    refused = client.get("/api/v1/subjects/", HTTP_HOST="school-a.localhost")
    assert refused.status_code == 403
    assert refused.json()["error"]["code"] == "permission_denied"
    unknown_host = client.get("/api/v1/subjects/", HTTP_HOST="nowhere.localhost")
    assert unknown_host.status_code == 404
    assert unknown_host.json()["error"]["code"] == "not_found"


def test_the_home_page_leads_to_the_admin(client, school_a):
    assert client.get("/").url == "/admin/"
    assert client.get("/", HTTP_HOST="school-a.localhost").url == "/admin/"


def test_at_the_wrong_school_address_the_page_says_where_to_go_and_signing_out_works(client, admin_b, school_a, school_b):
    client.force_login(admin_b)
    refused = client.get("/en/admin/", HTTP_HOST="school-a.localhost")
    assert refused.status_code == 403
    page = refused.content.decode()
    assert "another school" in page
    assert 'href="http://school-b.localhost/en/admin/"' in page  # the user's own address
    assert 'id="sign-out"' in page
    # The way out: the login page and sign-out answer at the wrong address too.
    assert client.get("/en/admin/login/", HTTP_HOST="school-a.localhost").status_code in (200, 302)
    signed_out = client.post("/en/admin/logout/", HTTP_HOST="school-a.localhost")
    assert signed_out.status_code == 200
    assert "_auth_user_id" not in client.session
    assert client.get("/en/admin/login/", HTTP_HOST="school-a.localhost").status_code == 200


def test_a_methodologist_at_a_school_address_is_sent_to_the_national_one(client, methodologist, school_a):
    client.force_login(methodologist)
    refused = client.get("/en/admin/", HTTP_HOST="school-a.localhost")
    assert refused.status_code == 403
    assert 'href="http://localhost/en/admin/"' in refused.content.decode()
    signed_in_as_school_staff = client.post("/en/admin/logout/", HTTP_HOST="school-a.localhost")
    assert signed_in_as_school_staff.status_code == 200 and "_auth_user_id" not in client.session
