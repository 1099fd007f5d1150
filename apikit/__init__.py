"""The REST API kit: what every view under /api/ is built from, so no view can forget a part of it.

- `apikit.views`: `ApiViewSet` and `ApiView`, the only bases of API views. After authentication they
  work in the caller's tenant context; `visible_rows(context=...)` is where a view's rows start.
- `apikit.middleware.ApiLocaleMiddleware`: every /api/ response in the language the client asks
  for (Accept-Language).
- `apikit.errors`: the one error shape `{"error": {"code", "message", "fields"}}`, from DRF's
  exception handler and from Django's own error handlers (CSRF failures, unknown hosts, 404s, and
  an unhandled error: a JSON 500 without internals, logged by Django).
- `apikit.parsers`: JSON bodies within the upload limit and a bounded nesting depth.
- `apikit.schema`: OpenAPI (drf-spectacular) with the error responses documented on every operation.
- `apikit.fields`: ids as whole numbers (IdField, IdRelatedField, the ModelSerializer base).
- `apikit.pagination`, `apikit.filters`: strict page sizes, keyset (cursor) links, integer and boolean filters.

The kit knows nothing of the domain: curriculum/api and textbooks/api build on it; config wires it.
(tests/test_api_kit.py fails when a view under /api/ does not derive from it.)
"""
