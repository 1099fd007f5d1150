"""Fail closed at the HTTP level: a request whose school cannot be resolved (an unknown host) or that
names no user (anonymous) sees no school data and cannot write, on the real server."""

import json
import urllib.error
import urllib.request

import pytest

from tests.reliability.conftest import super_admin_cursor

pytestmark = pytest.mark.reliability


def _call(server, path, *, host, token=None, method="GET", body=None):
    headers = {"Host": host, "Accept": "application/json"}
    if token:
        headers["Authorization"] = f"Token {token}"
    data = None
    if body is not None:
        data = json.dumps(body).encode()
        headers["Content-Type"] = "application/json"
    request = urllib.request.Request(f"http://127.0.0.1:{server.port}{path}", data=data, headers=headers, method=method)
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


def _alignments(cluster, paragraph_id) -> int:
    with super_admin_cursor(cluster) as cursor:
        cursor.execute("SELECT count(*) FROM paragraph_outcomes WHERE paragraph_id = %s", [paragraph_id])
        return cursor.fetchone()[0]


@pytest.fixture
def school(schools):
    return schools[0]


def test_unknown_host_is_a_404_even_with_a_valid_token(scratch_cluster, app_server, school):
    before = _alignments(scratch_cluster, school.create_paragraph)
    assert before > 0  # the school has rows that could leak
    for path in ("/api/v1/alignments/", f"/api/v1/paragraphs/{school.create_paragraph}/outcomes/", "/admin/"):
        status, body = _call(app_server, path, host="no-such-school.localhost", token=school.token)
        assert status == 404, (path, status, body[:300])
        assert '"results"' not in body and '"school"' not in body  # the 404 page, no rows
    status, body = _call(
        app_server, "/api/v1/alignments/", host="no-such-school.localhost", token=school.token, method="POST",
        body={"paragraph": school.create_paragraph, "outcome": school.create_candidates[0]},
    )
    assert status == 404, body[:300]
    assert _alignments(scratch_cluster, school.create_paragraph) == before


@pytest.mark.parametrize("host_of", [lambda school: school.host, lambda school: "localhost"], ids=["school host", "public host"])
def test_anonymous_requests_see_no_school_data_and_cannot_write(scratch_cluster, app_server, school, host_of):
    before = _alignments(scratch_cluster, school.create_paragraph)
    for path in ("/api/v1/alignments/", "/api/v1/textbooks/", f"/api/v1/paragraphs/{school.create_paragraph}/outcomes/"):
        status, body = _call(app_server, path, host=host_of(school))
        assert status == 401, (path, status, body[:300])
        assert '"school"' not in body
    for method, path, body in (
        ("POST", "/api/v1/alignments/", {"paragraph": school.create_paragraph, "outcome": school.create_candidates[0]}),
        ("PUT", f"/api/v1/paragraphs/{school.create_paragraph}/outcomes/", {"alignments": []}),
    ):
        status, text = _call(app_server, path, host=host_of(school), method=method, body=body)
        assert status == 401, (method, path, status, text[:300])
    assert _alignments(scratch_cluster, school.create_paragraph) == before
