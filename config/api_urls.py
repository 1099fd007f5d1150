"""The REST API: /api/v1/ (versioned endpoints), /api/schema/ (OpenAPI 3), /api/docs/ (Swagger UI).
Outside i18n_patterns: API paths never carry a language prefix. Every view here derives from the
API kit (apikit.views; tests/test_api_kit.py)."""

from django.urls import include, path, re_path

from apikit.auth import TokenObtainView
from apikit.views import DocsView, SchemaView, UnknownPathView

v1 = [
    path("auth/token/", TokenObtainView.as_view(), name="token"),
    path("", include("curriculum.api.urls")),
    path("", include("textbooks.api.urls")),
]

urlpatterns = [
    path("v1/", include((v1, "api"), namespace="v1")),
    path("schema/", SchemaView.as_view(), name="api-schema"),
    path("docs/", DocsView.as_view(url_name="api-schema"), name="api-docs"),
    re_path(r"^.*$", UnknownPathView.as_view()),
]
