"""Finding 3 (issue 10): with DEBUG on, Django's debug page showed DATABASE_URL and
DATABASE_OWNER_URL with their passwords. The technical 500 page, rendered as Django renders it for
an unhandled error, must show no password, URL credential or secret key."""

import os
import sys

import pytest
from django.test import RequestFactory
from django.views.debug import technical_500_response

DB_PASSWORD = "db-pass-7Qx9"
OWNER_PASSWORD = "owner-pass-Zk31"
TOKEN = "tok-s3cr3t-value-991"


def _render_debug_page(settings, monkeypatch, *, accept="text/html"):
    settings.DEBUG = True
    monkeypatch.setenv("DATABASE_URL", f"postgres://goso_app:{DB_PASSWORD}@db.example:5432/goso?sslmode=require")
    monkeypatch.setenv("DATABASE_OWNER_URL", f"postgres://goso_owner:{OWNER_PASSWORD}@db.example/goso")
    monkeypatch.setenv("SOME_API_TOKEN", TOKEN)
    # runserver (wsgiref) copies the whole environment into each request's META.
    request = RequestFactory().get("/admin/", HTTP_ACCEPT=accept, **dict(os.environ))

    def connect():
        conninfo = f"host=db.example user=goso_app password={DB_PASSWORD}"  # noqa: F841 (shown in the frame)
        dsn_url = f"postgresql://goso_app:{DB_PASSWORD}@db.example/goso"  # noqa: F841
        raise RuntimeError(f"could not connect with postgresql://goso_app:{DB_PASSWORD}@db.example/goso")

    try:
        connect()
    except RuntimeError:
        return technical_500_response(request, *sys.exc_info()).content.decode()


@pytest.mark.parametrize("accept", ["text/html", "text/plain"])
def test_the_debug_page_shows_no_password_or_secret(settings, monkeypatch, accept):
    page = _render_debug_page(settings, monkeypatch, accept=accept)

    assert "could not connect" in page and "RuntimeError" in page  # the page is really the error page
    assert "DATABASE_URL" in page  # the names are listed, their values hidden
    for secret in (DB_PASSWORD, OWNER_PASSWORD, TOKEN, settings.SECRET_KEY):
        assert secret not in page, secret


def test_harmless_values_stay_readable(settings, monkeypatch):
    page = _render_debug_page(settings, monkeypatch)

    assert "/admin/" in page
    assert "Asia/Almaty" in page  # TIME_ZONE: not everything is hidden
