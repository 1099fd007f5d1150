"""Brute force (issue 10, finding 5): the token endpoint and the admin login lock a username from an
address after settings.LOGIN_FAILURE_LIMIT failures, and an address after
LOGIN_FAILURE_LIMIT_PER_ADDRESS failures whatever the usernames; the lock ends on its own after the
cool-off. The failures are counted in the database (shared by every process), and they survive the
rollback of the refused request."""

import datetime

import pytest
from axes.models import AccessAttempt
from django.utils import timezone
from rest_framework.test import APIClient

from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db

TOKEN_URL = "/api/v1/auth/token/"
LOGIN_URL = "/admin/login/?next=/admin/"
REFUSED = (400, 401)  # a wrong password: invalid input (DRF authtoken) or not authenticated (knox)


def token_attempt(username, password, *, address="10.0.0.1", host="testserver"):
    return APIClient().post(
        TOKEN_URL, {"username": username, "password": password}, format="json", REMOTE_ADDR=address, HTTP_HOST=host,
    )


def admin_attempt(client, username, password, *, address="10.0.0.1", host="testserver"):
    return client.post(LOGIN_URL, {"username": username, "password": password}, REMOTE_ADDR=address, HTTP_HOST=host)


def expire_lockouts(seconds):
    """Move every recorded failure `seconds` into the past (the cool-off is measured from the last one)."""
    AccessAttempt.objects.update(attempt_time=timezone.now() - datetime.timedelta(seconds=seconds))


def test_thirty_wrong_passwords_on_the_token_endpoint_lock_the_account_with_429(settings, admin_a):
    statuses = [token_attempt("admin_a", f"wrong-{n}").status_code for n in range(30)]
    limit = settings.LOGIN_FAILURE_LIMIT
    assert all(status in REFUSED for status in statuses[: limit - 1])  # plain refusals until the limit...
    assert set(statuses[limit - 1:]) == {429}  # ...then locked

    right = token_attempt("admin_a", PASSWORD)
    assert right.status_code == 429
    assert int(right["Retry-After"]) == int(settings.AXES_COOLOFF_TIME.total_seconds())
    error = right.json()["error"]
    assert error["code"] == "throttled" and error["fields"] == {} and error["message"]
    assert "token" not in right.json()
    # The count is in the database, shared by every worker: the refused requests did not roll it back.
    attempt = AccessAttempt.objects.get(username="admin_a")
    assert attempt.failures_since_start >= 30
    assert "wrong-" not in attempt.get_data + attempt.post_data  # no password kept


def test_the_admin_login_record_keeps_no_password(client, methodologist):
    admin_attempt(client, "methodologist", "secret-guess-123")
    attempt = AccessAttempt.objects.get(username="methodologist")
    assert attempt.failures_since_start == 1
    assert "secret-guess-123" not in attempt.post_data and "password=" in attempt.post_data  # masked


def test_a_lockout_leaves_other_accounts_and_addresses_alone(admin_a, admin_b, settings):
    for _ in range(settings.LOGIN_FAILURE_LIMIT):
        token_attempt("admin_a", "wrong")
    assert token_attempt("admin_a", PASSWORD).status_code == 429
    assert token_attempt("admin_b", PASSWORD).status_code == 200  # another account, same address
    assert token_attempt("admin_a", PASSWORD, address="10.0.0.2").status_code == 200  # same account, another address


def test_the_lockout_ends_on_its_own_after_the_cool_off(admin_a, settings):
    settings.AXES_COOLOFF_TIME = datetime.timedelta(minutes=5)
    for _ in range(settings.LOGIN_FAILURE_LIMIT):
        token_attempt("admin_a", "wrong")
    locked = token_attempt("admin_a", PASSWORD)
    assert locked.status_code == 429 and locked["Retry-After"] == "300"

    expire_lockouts(299)
    assert token_attempt("admin_a", PASSWORD).status_code == 429  # not yet (and the attempt restarts the wait)
    expire_lockouts(301)
    assert token_attempt("admin_a", PASSWORD).status_code == 200
    # A successful login clears the failures: the next wrong password is a plain refusal again.
    assert token_attempt("admin_a", "wrong").status_code in REFUSED


def test_an_address_trying_many_usernames_is_locked(admin_a, settings):
    settings.LOGIN_FAILURE_LIMIT_PER_ADDRESS = 12
    statuses = [token_attempt(f"someone-{n}", "wrong").status_code for n in range(12)]
    assert all(status in REFUSED for status in statuses[:11])  # each username far below its own limit...
    assert statuses[11] == 429  # ...the address at its limit
    assert token_attempt("admin_a", PASSWORD).status_code == 429
    assert token_attempt("admin_a", PASSWORD, address="10.0.0.2").status_code == 200


def test_ten_wrong_passwords_on_the_admin_login_lock_it_with_a_clear_page(client, settings, methodologist):
    for _ in range(settings.LOGIN_FAILURE_LIMIT - 1):
        refused = admin_attempt(client, "methodologist", "wrong")
        assert refused.status_code == 200 and "_auth_user_id" not in client.session  # the form again
    locked = admin_attempt(client, "methodologist", "wrong")
    assert locked.status_code == 429

    right = client.post(
        "/en" + LOGIN_URL, {"username": "methodologist", "password": PASSWORD}, REMOTE_ADDR="10.0.0.1",
    )
    assert right.status_code == 429 and "_auth_user_id" not in client.session
    page = right.content.decode()
    assert "Too many failed sign-in attempts. Try again in 15 min." in page
    assert 'href="/en/admin/login/"' in page  # a way back, not a dead end
    assert right["Retry-After"] == "900"
    assert client.get("/admin/", REMOTE_ADDR="10.0.0.1").status_code == 302  # not signed in

    expire_lockouts(901)
    assert admin_attempt(client, "methodologist", PASSWORD).status_code == 302
    assert client.get("/admin/").status_code == 200


@pytest.mark.parametrize("language, text", [
    ("ru", "Слишком много неудачных попыток входа. Повторите через 15 мин."),
    ("kk", "Кіру әрекеттері тым көп сәтсіз болды. 15 мин кейін қайталаңыз."),
])
def test_the_lockout_is_translated(admin_a, settings, language, text):
    for _ in range(settings.LOGIN_FAILURE_LIMIT):
        token_attempt("admin_a", "wrong")
    response = APIClient().post(
        TOKEN_URL, {"username": "admin_a", "password": PASSWORD}, format="json", REMOTE_ADDR="10.0.0.1",
        HTTP_ACCEPT_LANGUAGE=language,
    )
    assert response.status_code == 429
    assert response.json()["error"]["message"] == text


def test_lockouts_are_shown_to_the_methodologist_only(client, settings, methodologist, admin_a):
    for _ in range(settings.LOGIN_FAILURE_LIMIT):
        token_attempt("admin_a", "wrong")
    attempt = AccessAttempt.objects.get(username="admin_a")

    client.force_login(admin_a)
    assert client.get("/admin/axes/accessattempt/", HTTP_HOST="school-a.localhost").status_code == 403
    client.force_login(methodologist)
    listing = client.get("/admin/axes/accessattempt/")
    assert listing.status_code == 200 and "admin_a" in listing.content.decode()
    # Lifting a lock: the methodologist deletes it.
    deleted = client.post(f"/admin/axes/accessattempt/{attempt.pk}/delete/", {"post": "yes"})
    assert deleted.status_code == 302
    assert not AccessAttempt.objects.filter(pk=attempt.pk).exists()
    assert token_attempt("admin_a", PASSWORD).status_code == 200

