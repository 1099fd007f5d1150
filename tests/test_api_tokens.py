"""API tokens (django-rest-knox through the identity functions): stored as digests, expiring,
revocable one by one or all at once, revoked on password change, deactivation and school
deactivation, and scoped to the user's school."""

from datetime import timedelta

import pytest
from django.contrib.auth.signals import user_login_failed
from django.core.exceptions import PermissionDenied
from django.utils import timezone
from knox.crypto import hash_token
from rest_framework.test import APIClient

from tenants import credentials
from tenants.context import super_admin_context, tenant_context
from tenants.models import User
from tenants.services import school_activate, school_deactivate
from tests.api_support import API, assert_error
from tests.conftest import PASSWORD


def login(username, password=PASSWORD, host="testserver"):
    return APIClient(HTTP_HOST=host).post(f"{API}/auth/token/", {"username": username, "password": password}, format="json")


def with_token(token, host="testserver"):
    return APIClient(HTTP_HOST=host, HTTP_AUTHORIZATION=f"Token {token}")


def works(token, host="testserver") -> bool:
    status = with_token(token, host).get(f"{API}/subjects/").status_code
    assert status in (200, 401), status
    return status == 200


def test_login_answers_a_token_and_its_expiry_and_stores_only_the_digest(admin_a, settings):
    settings.REST_KNOX = {**settings.REST_KNOX, "TOKEN_TTL": timedelta(hours=3)}
    response = login("admin_a")

    assert response.status_code == 200, response.content
    token = response.json()["token"]
    expiry = response.json()["expiry"]
    assert abs((timezone.datetime.fromisoformat(expiry) - timezone.now()) - timedelta(hours=3)) < timedelta(minutes=1)
    stored = credentials.token_candidates(token_key=token[:15])
    assert [(digest, user_id) for digest, user_id, _ in stored] == [(hash_token(token), admin_a.pk)]
    assert token not in stored[0]
    assert works(token)


def test_the_login_goes_through_authenticate_with_the_request(admin_a):
    # django-axes and other lockouts hook into authenticate(request=...): the view must pass it.
    seen = []

    def receiver(sender, credentials, request, **kwargs):
        seen.append(request)

    user_login_failed.connect(receiver)
    try:
        assert_error(login("admin_a", "wrong"), 400)
    finally:
        user_login_failed.disconnect(receiver)
    assert len(seen) == 1 and seen[0] is not None


def test_an_expired_token_is_refused_and_deleted(admin_a):
    with tenant_context(school_id=admin_a.school_id):
        credentials.token_insert(
            digest=hash_token("e" * 64), token_key="e" * 15, user_id=admin_a.pk, expiry=timezone.now() - timedelta(hours=1)
        )
    assert not works("e" * 64)
    assert credentials.token_candidates(token_key="e" * 15) == []


def test_logout_revokes_one_token_and_logout_all_every_token(admin_a, admin_b):
    first, second, third = (login("admin_a").json()["token"] for _ in range(3))
    other_user = login("admin_b").json()["token"]

    assert with_token(first).post(f"{API}/auth/logout/").status_code == 204
    assert [works(token) for token in (first, second, third)] == [False, True, True]

    assert with_token(second).post(f"{API}/auth/logout-all/").status_code == 204
    assert [works(token) for token in (first, second, third, other_user)] == [False, False, False, True]
    assert_error(APIClient().post(f"{API}/auth/logout/"), 401)


def test_a_password_change_revokes_tokens_and_ends_other_sessions(client, admin_a, admin_b):
    token = login("admin_a").json()["token"]
    other = login("admin_b").json()["token"]
    client.force_login(admin_a)
    assert client.get(f"{API}/subjects/").status_code == 200

    with tenant_context(school_id=admin_a.school_id):
        user = User.objects.get(pk=admin_a.pk)
        user.set_password("a-new-long-password-42")
        user.save()

    assert not works(token) and works(other)
    assert client.get(f"{API}/subjects/").status_code in (401, 403)
    assert login("admin_a", "a-new-long-password-42").status_code == 200
    assert_error(login("admin_a"), 400)


def test_deactivating_a_user_revokes_their_tokens(admin_a, teacher_a):
    token = login("teacher_a").json()["token"]
    admin_token = login("admin_a").json()["token"]
    with tenant_context(school_id=teacher_a.school_id):
        User.objects.filter(pk=teacher_a.pk).update(is_active=False)
    with tenant_context(school_id=teacher_a.school_id):
        User.objects.filter(pk=teacher_a.pk).update(is_active=True)

    assert not works(token) and works(admin_token)  # reactivation does not bring a revoked token back


def test_deactivating_a_school_revokes_its_staffs_tokens(school_a, admin_a, teacher_a, admin_b, methodologist):
    tokens = {user.username: login(user.username).json()["token"] for user in (admin_a, teacher_a, admin_b, methodologist)}
    with pytest.raises(PermissionDenied):
        with tenant_context(school_id=school_a.pk):
            school_deactivate(school=school_a)
    assert works(tokens["admin_a"])

    with super_admin_context():
        school_deactivate(school=school_a)
    assert {name: works(token) for name, token in tokens.items()} == {
        "admin_a": False, "teacher_a": False, "admin_b": True, "methodologist": True,
    }
    with super_admin_context():
        school_activate(school=school_a)
    assert login("admin_a").status_code == 200  # no new password needed


def test_a_token_is_scoped_to_its_users_school(admin_a, school_b):
    token = login("admin_a", host="school-a.localhost").json()["token"]

    assert works(token, host="school-a.localhost")
    assert_error(with_token(token, host="school-b.localhost").get(f"{API}/subjects/"), 403)
    assert_error(login("admin_a", host="school-b.localhost"), 403)


@pytest.mark.parametrize("token", ["", "x", "\x00" * 20, "é" * 70, "0" * 200])
def test_malformed_tokens_are_401(db, token):
    response = APIClient(HTTP_AUTHORIZATION=f"Token {token}".encode("utf-8")).get(f"{API}/subjects/")

    assert_error(response, 401)
