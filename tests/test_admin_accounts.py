"""The accounts admin with password hashes out of the runtime role's reach: real sign-in through the
login form (session functions, password check by the identity function), password pages, and no
hash on any page."""

import pytest

from tenants.context import super_admin_context
from tenants.models import User
from tests.api_support import API
from tests.conftest import PASSWORD
from rest_framework.test import APIClient

NEW_PASSWORD = "a-new-long-password-42"


def sign_in(client, username, password=PASSWORD, host="testserver"):
    response = client.post("/en/admin/login/?next=/en/admin/", {"username": username, "password": password}, HTTP_HOST=host)
    return response.status_code == 302


@pytest.mark.parametrize("who, host", [("admin_a", "school-a.localhost"), ("methodologist", "testserver")])
def test_a_users_page_shows_a_password_link_and_no_hash(request, client, who, host, teacher_a):
    user = request.getfixturevalue(who)
    assert sign_in(client, user.username, host=host)

    page = client.get(f"/en/admin/tenants/user/{teacher_a.pk}/change/", HTTP_HOST=host)

    assert page.status_code == 200
    assert f"/en/admin/tenants/user/{teacher_a.pk}/password/" in page.content.decode()
    assert "pbkdf2" not in page.content.decode()


def test_a_school_admin_sets_a_teachers_password_and_the_teachers_tokens_end(client, admin_a, teacher_a):
    token = APIClient().post(f"{API}/auth/token/", {"username": "teacher_a", "password": PASSWORD}, format="json").json()["token"]
    assert sign_in(client, "admin_a", host="school-a.localhost")

    response = client.post(
        f"/en/admin/tenants/user/{teacher_a.pk}/password/",
        {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD, "usable_password": "true"}, HTTP_HOST="school-a.localhost",
    )

    assert response.status_code == 302, response.content.decode()[:2000]
    assert APIClient(HTTP_AUTHORIZATION=f"Token {token}").get(f"{API}/subjects/").status_code == 401
    assert sign_in(client.__class__(), "teacher_a", NEW_PASSWORD, host="school-a.localhost")
    assert not sign_in(client.__class__(), "teacher_a", PASSWORD, host="school-a.localhost")


def test_a_school_admin_cannot_open_another_schools_or_a_methodologists_password_page(client, admin_a, admin_b, methodologist):
    assert sign_in(client, "admin_a", host="school-a.localhost")
    for user in (admin_b, methodologist):
        page = client.get(f"/en/admin/tenants/user/{user.pk}/password/", HTTP_HOST="school-a.localhost")
        assert page.status_code in (403, 404), user


def test_own_password_change_checks_the_old_password_and_keeps_this_session(client, admin_a):
    other_browser = client.__class__()
    assert sign_in(client, "admin_a", host="school-a.localhost")
    assert sign_in(other_browser, "admin_a", host="school-a.localhost")

    wrong = client.post("/en/admin/password_change/", {"old_password": "wrong", "new_password1": NEW_PASSWORD,
                                                      "new_password2": NEW_PASSWORD}, HTTP_HOST="school-a.localhost")
    assert wrong.status_code == 200  # the form again, with the error
    done = client.post("/en/admin/password_change/", {"old_password": PASSWORD, "new_password1": NEW_PASSWORD,
                                                     "new_password2": NEW_PASSWORD}, HTTP_HOST="school-a.localhost")

    assert done.status_code == 302
    assert client.get("/en/admin/", HTTP_HOST="school-a.localhost").status_code == 200  # this session goes on
    assert other_browser.get("/en/admin/", HTTP_HOST="school-a.localhost").status_code == 302  # the other one ends
    with super_admin_context():
        assert User.objects.get(pk=admin_a.pk).password == ""


def test_signing_out_deletes_the_session(client, admin_a):
    assert sign_in(client, "admin_a", host="school-a.localhost")
    session_key = client.cookies["sessionid"].value
    client.post("/en/admin/logout/", HTTP_HOST="school-a.localhost")

    from tenants import credentials

    assert credentials.session_exists(key=session_key) is False
