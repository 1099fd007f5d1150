"""The API kit (apikit/): every view under /api/ derives from it, every /api/ response speaks the
client's language, and foreseeable bad input is never a 500 nor outside the one error shape."""

import json

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

from apikit.views import ApiViewMixin
from tests.api_support import API, api_client, assert_error


def _api_views(patterns, prefix=""):
    for entry in patterns:
        if isinstance(entry, URLResolver):
            yield from _api_views(entry.url_patterns, prefix + str(entry.pattern))
        elif isinstance(entry, URLPattern):
            yield prefix + str(entry.pattern), entry.callback


def test_every_view_under_api_derives_from_the_kit():
    api = next(entry for entry in get_resolver().url_patterns if str(getattr(entry, "pattern", "")) == "api/")
    views = list(_api_views(api.url_patterns, "api/"))

    assert len(views) > 20
    outside = [
        route for route, callback in views
        if not issubclass(getattr(callback, "cls", getattr(callback, "view_class", type(None))), ApiViewMixin)
    ]
    assert not outside, f"views under /api/ not built on apikit.views: {outside}"


@pytest.mark.parametrize("suffix", ["coverage/", "coverage/csv/", "fork-update/"])
def test_report_views_answer_in_the_clients_language(admin_a, suffix):
    # These two views once missed the language mixin and answered in Russian.
    response = api_client(admin_a).get(f"{API}/textbooks/999999/{suffix}", HTTP_ACCEPT_LANGUAGE="en")

    error = assert_error(response, 404, "not_found")
    assert error["message"] == "Not found."
    assert response["Content-Language"] == "en"


def test_errors_raised_before_any_view_speak_the_clients_language(db):
    response = Client(HTTP_HOST="nowhere.localhost").get(f"{API}/outcomes/", HTTP_ACCEPT_LANGUAGE="kk")

    assert_error(response, 404, "not_found")
    assert response["Content-Language"] == "kk"


def test_json_nested_a_thousand_levels_is_a_400_not_a_500(db):
    body = "[" * 1000 + "]" * 1000

    response = api_client().post(f"{API}/auth/token/", body, content_type="application/json", HTTP_ACCEPT_LANGUAGE="en")

    error = assert_error(response, 400, "parse_error")
    assert "nested too deeply" in error["message"]


def test_json_nested_deeper_than_any_request_needs_is_refused(admin_a, paragraph_a):
    nested = {"a": 1}
    for _ in range(40):
        nested = {"a": nested}

    response = api_client(admin_a).put(
        f"{API}/paragraphs/{paragraph_a.pk}/outcomes/", {"alignments": [nested]}, format="json", HTTP_ACCEPT_LANGUAGE="en",
    )

    assert "nested too deeply" in assert_error(response, 400, "parse_error")["message"]


def test_a_body_over_the_upload_limit_is_a_413(db, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    body = json.dumps({"username": "x" * 2000, "password": "y"})

    response = api_client().post(f"{API}/auth/token/", body, content_type="application/json")

    assert_error(response, 413, "too_large")


def test_a_body_within_the_limit_is_read(db, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000

    response = api_client().post(f"{API}/auth/token/", {"username": "nobody", "password": "y"}, format="json")

    assert_error(response, 400, "invalid")  # read and validated: wrong credentials, not too large


def test_a_wrong_method_is_a_405_with_allow(methodologist):
    response = api_client(methodologist).delete(f"{API}/outcomes/")

    assert_error(response, 405, "method_not_allowed")
    assert "GET" in response["Allow"]


def test_a_wrong_media_type_is_a_415(admin_a):
    response = api_client(admin_a).post(f"{API}/alignments/", "paragraph=1", content_type="text/plain")

    assert_error(response, 415, "unsupported_media_type")


def test_csrf_failure_with_a_session_is_in_the_error_shape(admin_a, paragraph_a, outcome):
    client = Client(enforce_csrf_checks=True)
    client.force_login(admin_a)

    response = client.post(
        f"{API}/alignments/", {"paragraph": paragraph_a.pk, "outcome": outcome.pk}, content_type="application/json",
    )

    assert_error(response, 403, "csrf_failed")
    assert response["Content-Type"] == "application/json"


def test_csrf_failure_before_a_view_is_in_the_error_shape(rf):
    from config.views import csrf_failure

    response = csrf_failure(rf.post(f"{API}/anything/"), reason="CSRF cookie not set.")

    assert response.status_code == 403
    assert json.loads(response.content)["error"]["code"] == "csrf_failed"


@pytest.mark.parametrize("method", ["get", "post", "put", "delete", "options"])
def test_unknown_api_paths_are_a_json_404(admin_a, method):
    client = Client(enforce_csrf_checks=True)
    client.force_login(admin_a)

    response = getattr(client, method)(f"{API}/no-such-thing/", content_type="application/json")

    assert_error(response, 404, "not_found")


def textbooks_when_the_selector_raises(error, *, user, monkeypatch):
    """GET /api/v1/textbooks/ (in English) while the view's selector raises `error`."""

    def broken(**kwargs):
        raise error

    monkeypatch.setattr("textbooks.api.views.selectors.textbook_list", broken)
    client = Client(raise_request_exception=False, HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(user)
    return client.get(f"{API}/textbooks/")


def test_an_unhandled_error_is_a_json_500_without_internals(admin_a, monkeypatch, caplog):
    response = textbooks_when_the_selector_raises(
        RuntimeError("internal detail: password=hunter2"), user=admin_a, monkeypatch=monkeypatch,
    )

    error = assert_error(response, 500, "server_error")
    assert "hunter2" not in response.content.decode() and "RuntimeError" not in response.content.decode()
    assert "hunter2" in caplog.text  # logged for the operator (django.request, with the traceback)


def test_html_pages_keep_their_html_errors(db):
    response = Client().get("/no-such-page/")

    assert response.status_code == 404
    assert response["Content-Type"].startswith("text/html")


def test_case_service_answers_post_with_a_405_in_its_own_shape(db):
    response = Client(enforce_csrf_checks=True).post("/ims/case/v1p1/CFDocuments", {})

    assert response.status_code == 405
    assert response["Allow"] == "GET, HEAD, OPTIONS"
    body = response.json()
    assert body["imsx_codeMajor"] == "failure"
    assert body["imsx_codeMinor"]["imsx_codeMinorField"][0]["imsx_codeMinorFieldValue"] == "unsupportedmethod"


@pytest.mark.parametrize("language, words", [("ru", "слишком глубоко"), ("kk", "тым терең"), ("en", "too deeply")])
def test_the_new_messages_are_translated(db, language, words):
    body = "[" * 1000 + "]" * 1000

    response = api_client().post(f"{API}/auth/token/", body, content_type="application/json", HTTP_ACCEPT_LANGUAGE=language)

    assert words in assert_error(response, 400, "parse_error")["message"]


def test_an_oversized_body_refused_by_django_itself_is_a_413_in_the_error_shape(rf):
    # Django raises RequestDataTooBig when something reads request.POST/body (e.g. a form body read
    # by middleware); its 400 handler answers /api/ paths with the API's 413.
    from django.core.exceptions import RequestDataTooBig

    from config.views import bad_request

    response = bad_request(rf.post(f"{API}/auth/token/"), RequestDataTooBig("too big"))

    assert response.status_code == 413
    assert json.loads(response.content)["error"]["code"] == "too_large"
    assert bad_request(rf.post("/admin/login/"), RequestDataTooBig("too big")).status_code == 400  # HTML pages: Django's


def test_a_lost_database_is_a_503_in_the_clients_language(admin_a, monkeypatch):
    from django.db import OperationalError

    response = textbooks_when_the_selector_raises(
        OperationalError("server closed the connection unexpectedly"), user=admin_a, monkeypatch=monkeypatch,
    )

    error = assert_error(response, 503, "database_unavailable")
    assert error["message"].startswith("The database is unavailable")
    assert response["Retry-After"]
