"""Production settings (issue 10, finding 7): from the environment, secure when DEBUG is off.

Each case runs Django in a subprocess with ENV_FILE=/dev/null, so only the variables given count."""

import json
import re
import subprocess
import sys
from urllib.parse import quote

import pytest
from django.conf import settings
from django.db import connections
from django.test import Client

from tenants.context import super_admin_context
from tenants.models import Domain

STRONG_KEY = "Vb7q2-LmX9pR4tZ8wK1sN6yH3cJ0fD5gA_eU2iO7rT4vB9nM1kQ"
PRODUCTION_ENV = {
    "PATH": "/usr/bin:/bin",
    "ENV_FILE": "/dev/null",
    "SECRET_KEY": STRONG_KEY,
    "ALLOWED_HOSTS": "goso.example.kz,.goso.example.kz",
    "DATABASE_URL": "postgres://goso_app:p@127.0.0.1:1/goso",
    "DATABASE_OWNER_URL": "postgres://goso_owner:p@127.0.0.1:1/goso",
}


def django_run(env: dict, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "manage.py", *args], env=env, capture_output=True, text=True, cwd=settings.BASE_DIR, timeout=120,
    )


def production_settings(**overrides) -> dict:
    code = (
        "import django, json, os; os.environ['DJANGO_SETTINGS_MODULE'] = 'config.settings'; django.setup();"
        "from django.conf import settings as s;"
        "print(json.dumps({k: getattr(s, k) for k in ["
        "'DEBUG', 'SECURE_SSL_REDIRECT', 'SECURE_HSTS_SECONDS', 'SECURE_HSTS_INCLUDE_SUBDOMAINS', 'SECURE_HSTS_PRELOAD',"
        "'SECURE_PROXY_SSL_HEADER', 'SESSION_COOKIE_SECURE', 'CSRF_COOKIE_SECURE', 'SESSION_COOKIE_HTTPONLY',"
        "'CSRF_COOKIE_HTTPONLY', 'SESSION_COOKIE_SAMESITE', 'CSRF_COOKIE_SAMESITE', 'PUBLIC_HOSTS', 'ALLOWED_HOSTS']}))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], env={**PRODUCTION_ENV, **overrides}, capture_output=True, text=True,
        cwd=settings.BASE_DIR, timeout=60,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def _database_url(alias: str) -> str:
    database = connections[alias].settings_dict
    return (f"postgres://{quote(database['USER'])}:{quote(database['PASSWORD'])}@{database['HOST']}:{database['PORT']}"
            f"/{database['NAME']}")


def test_check_deploy_passes_with_only_the_four_required_variables(db):
    # The migrated test database: the deploy checks include comparing its schema with the migrations.
    env = {**PRODUCTION_ENV, "DEBUG": "false",
           "DATABASE_URL": _database_url("default"), "DATABASE_OWNER_URL": _database_url("owner")}

    result = django_run(env, "check", "--deploy", "--fail-level", "WARNING")

    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_check_deploy_has_no_security_warning_even_without_a_database():
    result = django_run({**PRODUCTION_ENV, "DEBUG": "false"}, "check", "--deploy")

    issues = re.findall(r"\((\w+\.[WE]\d+)\)", result.stdout + result.stderr)
    assert issues == ["tenants.W001"], result.stdout + result.stderr  # only: the schema could not be compared


def test_secure_defaults_when_debug_is_off():
    values = production_settings()

    assert values["DEBUG"] is False
    assert values["SECURE_SSL_REDIRECT"] is True
    assert values["SECURE_HSTS_SECONDS"] >= 31_536_000
    assert values["SECURE_HSTS_INCLUDE_SUBDOMAINS"] is values["SECURE_HSTS_PRELOAD"] is True
    assert values["SESSION_COOKIE_SECURE"] is values["CSRF_COOKIE_SECURE"] is True
    assert values["SESSION_COOKIE_HTTPONLY"] is values["CSRF_COOKIE_HTTPONLY"] is True
    assert values["SESSION_COOKIE_SAMESITE"] == values["CSRF_COOKIE_SAMESITE"] == "Lax"
    assert values["SECURE_PROXY_SSL_HEADER"] is None  # opt-in only


def test_no_test_host_in_production():
    values = production_settings()

    assert "testserver" not in values["PUBLIC_HOSTS"]
    assert "testserver" not in values["ALLOWED_HOSTS"]


def test_each_setting_comes_from_the_environment():
    values = production_settings(
        SECURE_SSL_REDIRECT="false", SECURE_HSTS_SECONDS="60", SECURE_HSTS_PRELOAD="false",
        SECURE_PROXY_SSL_HEADER="HTTP_X_FORWARDED_PROTO,https", SESSION_COOKIE_SAMESITE="Strict",
        PUBLIC_HOSTS="GOSO.Example.KZ",
    )

    assert values["SECURE_SSL_REDIRECT"] is False
    assert values["SECURE_HSTS_SECONDS"] == 60
    assert values["SECURE_HSTS_PRELOAD"] is False
    assert values["SECURE_PROXY_SSL_HEADER"] == ["HTTP_X_FORWARDED_PROTO", "https"]
    assert values["SESSION_COOKIE_SAMESITE"] == "Strict"
    assert values["PUBLIC_HOSTS"] == ["goso.example.kz"]


@pytest.mark.parametrize("key, reason", [
    ("a" * 64, "1 distinct characters"),  # finding 7: one repeated letter
    ("x" * 32, "32 characters"),
    ("Vb7q2-LmX9pR4tZ8wK1sN6yH3cJ0fD5g", "32 characters"),  # random but short
    ("abcd" * 20, "4 distinct characters"),
    ("development-only-secret-key-not-for-production", "development key"),
    ("", "0 characters"),
])
def test_weak_secret_keys_are_refused_with_the_reason(key, reason):
    result = django_run({**PRODUCTION_ENV, "DEBUG": "false", "SECRET_KEY": key}, "check")

    assert result.returncode != 0
    assert "SECRET_KEY must be set to a long random string" in result.stderr
    assert reason in result.stderr


def test_a_debug_run_accepts_a_development_key():
    result = django_run({**PRODUCTION_ENV, "DEBUG": "true", "SECRET_KEY": "dev"}, "check")

    assert result.returncode == 0, result.stderr


def test_host_names_are_case_insensitive(client, admin_a, school_b):
    with super_admin_context():
        Domain.objects.create(domain="School-B2.Localhost", tenant=school_b)
    client = Client()
    client.force_login(admin_a)

    # Resolved to school A: its administrator works there (on another school's host: a 403).
    assert client.get("/api/v1/subjects/", HTTP_HOST="SCHOOL-A.LOCALHOST").status_code == 200
    # A domain saved with capitals is found too, and is school B's.
    assert client.get("/api/v1/subjects/", HTTP_HOST="school-b2.localhost").status_code == 403
    assert client.get("/api/v1/subjects/", HTTP_HOST="NOWHERE.LOCALHOST").status_code == 404


def test_responses_carry_a_content_security_policy(client, db):
    policy = client.get("/api/v1/subjects/")["Content-Security-Policy"]

    assert "script-src 'self'" in policy
    assert "frame-ancestors 'none'" in policy
    assert "unsafe-inline" not in policy.split("script-src")[1].split(";")[0]


def test_swagger_ui_runs_without_inline_script(client, db):
    page = client.get("/api/docs/").content.decode()
    scripts = [tag for tag in page.split("<script")[1:]]

    assert scripts and all(tag.lstrip().startswith("src=") for tag in scripts), scripts
    script_url = page.split('<script src="')[-1].split('"')[0].replace("&amp;", "&")
    script = client.get(script_url)
    assert script.status_code == 200
    assert script["Content-Type"].startswith("application/javascript")
    assert "/api/schema/" in script.content.decode()
