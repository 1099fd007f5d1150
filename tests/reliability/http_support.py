"""One API call over HTTP as a generated school's administrator (token), for tests that need a single
request rather than a load (tests/reliability/test_statement_counts.py, test_replicas.py)."""

import http.client
import json


def api_call(port: int, school, method: str, path: str, body=None, *, host: str | None = None):
    """(status, decoded JSON body or None)."""
    headers = {"Host": host or school.host, "Authorization": f"Token {school.token}", "Accept": "application/json"}
    payload = None
    if body is not None:
        payload = json.dumps(body).encode()
        headers["Content-Type"] = "application/json"
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        connection.request(method, path, body=payload, headers=headers)
        response = connection.getresponse()
        raw = response.read()
        return response.status, (json.loads(raw) if raw else None)
    finally:
        connection.close()
