"""Helpers for the REST API tests (imported by tests/test_api_*.py).

Clients authenticate with a real token (`Authorization: Token ...`), so every request goes the way
an API client's does: TenantContextMiddleware first sets the anonymous context, then the API view
authenticates the token and sets the user's context again.

Database set-up: these tests use the `db` fixture (each test one transaction, rolled back), so no
test has to flush tables; the schemathesis run calls the WSGI application in-process for the same
reason (tests/test_api_schemathesis.py). A `transactional_db` or `live_server` test must declare
`@pytest.mark.django_db(transaction=True, databases=["default", "owner"])`: `default` (the runtime
role, which may not TRUNCATE) mirrors `owner`, and Django flushes only non-mirror aliases, so with
`default` alone nothing is flushed and committed rows leak into the next test (checked), while with
`owner` listed the owner role truncates the tables after the test.
"""

from rest_framework.test import APIClient

from tenants.services import token_create

API = "/api/v1"


def token_for(user) -> str:
    """A new API token, created the way the login endpoint creates it (in the user's context)."""
    return token_create(user=user)[0]


def api_client(user=None, *, host="testserver") -> APIClient:
    """A client on `host` (a school host such as school-a.localhost, or the public testserver)
    that sends `user`'s token; no user: anonymous."""
    client = APIClient(HTTP_HOST=host)
    if user is not None:
        client.credentials(HTTP_AUTHORIZATION=f"Token {token_for(user)}")
    return client


def assert_error(response, status, code=None, fields=()):
    """The one error shape: {"error": {"code", "message", "fields"}}."""
    assert response.status_code == status, response.content
    error = response.json()["error"]
    assert set(error) == {"code", "message", "fields"}
    assert error["message"]
    if code is not None:
        assert error["code"] == code, error
    for field in fields:
        assert error["fields"].get(field), error
    return error


def ids(response) -> list[int]:
    assert response.status_code == 200, response.content
    return [row["id"] for row in response.json()["results"]]
