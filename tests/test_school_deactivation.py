"""School deactivation (issue 10, finding 6): setting a school inactive stops its staff at once —
logins refused, existing sessions and tokens refused on their next request with a clear page or the
API's error (403, "school_inactive") — and reactivation restores access with the same passwords."""

import pytest
from django.test import Client
from rest_framework.test import APIClient

from tenants.context import super_admin_context
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db

HOST = "school-a.localhost"
TOKEN_URL = "/api/v1/auth/token/"


def set_active(school, active):
    with super_admin_context():
        school.is_active = active
        school.save(update_fields=["is_active"])


def get_token(username):
    response = APIClient().post(TOKEN_URL, {"username": username, "password": PASSWORD}, format="json", HTTP_HOST=HOST)
    return response


def signed_in_client(username):
    client = Client()
    response = client.post("/admin/login/?next=/admin/", {"username": username, "password": PASSWORD}, HTTP_HOST=HOST)
    assert response.status_code == 302, response.content.decode()[:300]
    return client


def test_sessions_and_tokens_stop_at_once_and_come_back_on_reactivation(school_a, admin_a, teacher_a, textbook_a, admin_b, school_b):
    session = signed_in_client("teacher_a")
    api_session = signed_in_client("admin_a")
    token = get_token("admin_a").json()["token"]
    api = APIClient(HTTP_HOST=HOST, HTTP_AUTHORIZATION=f"Token {token}")
    assert session.get("/admin/", HTTP_HOST=HOST).status_code == 200
    assert api.get("/api/v1/textbooks/").status_code == 200

    set_active(school_a, False)

    page = session.get("/en/admin/", HTTP_HOST=HOST)
    assert page.status_code == 403
    assert "Your school&#x27;s access is suspended" in page.content.decode()
    assert session.get(f"/admin/textbooks/textbook/{textbook_a.pk}/change/", HTTP_HOST=HOST).status_code == 403
    # Tokens are revoked with the school (in the database): a 401, and a new one is needed later.
    assert api.get("/api/v1/textbooks/", HTTP_ACCEPT_LANGUAGE="en").status_code == 401
    assert api.post(f"/api/v1/textbooks/{textbook_a.pk}/fork/", {}, format="json").status_code == 401
    response = api_session.get("/api/v1/textbooks/", HTTP_HOST=HOST)  # session on the API
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "school_inactive"
    assert response.json()["error"]["message"]
    # New logins are refused too: no token, no session.
    refused_token = get_token("admin_a")
    assert refused_token.status_code in (400, 401) and "token" not in refused_token.json()
    refused = Client().post("/en/admin/login/?next=/admin/", {"username": "teacher_a", "password": PASSWORD}, HTTP_HOST=HOST)
    assert refused.status_code == 200 and "_auth_user_id" not in refused.client.session
    assert "Your school&#x27;s access is suspended" in refused.content.decode()  # not "wrong password"
    wrong = Client().post("/en/admin/login/?next=/admin/", {"username": "teacher_a", "password": "wrong"}, HTTP_HOST=HOST)
    assert "suspended" not in wrong.content.decode()  # without the password, nothing is told
    # Another school is unaffected.
    other = Client()
    assert other.post("/admin/login/?next=/admin/", {"username": "admin_b", "password": PASSWORD},
                      HTTP_HOST="school-b.localhost").status_code == 302

    set_active(school_a, True)

    assert session.get("/admin/", HTTP_HOST=HOST).status_code == 200
    assert api_session.get("/api/v1/textbooks/", HTTP_HOST=HOST).status_code == 200
    new_token = get_token("admin_a")  # same password
    assert new_token.status_code == 200
    assert APIClient(HTTP_HOST=HOST, HTTP_AUTHORIZATION=f"Token {new_token.json()['token']}").get(
        "/api/v1/textbooks/").status_code == 200


@pytest.mark.parametrize("language, text", [
    ("ru", "Доступ вашей школы приостановлен. Попросите методиста снова активировать школу."),
    ("kk", "Мектебіңіздің қолжетімділігі тоқтатылды. Мектепті қайта белсендіруді әдіскерден сұраңыз."),
])
def test_the_refusal_is_translated(school_a, admin_a, language, text):
    api_session = APIClient()
    api_session.force_login(admin_a)
    set_active(school_a, False)
    response = api_session.get("/api/v1/subjects/", HTTP_HOST=HOST, HTTP_ACCEPT_LANGUAGE=language)
    assert response.status_code == 403
    assert response.json()["error"] == {"code": "school_inactive", "message": text, "fields": {}}
