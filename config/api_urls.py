"""The REST API: /api/v1/ (versioned endpoints), /api/schema/ (OpenAPI 3), /api/docs/ (Swagger UI).
Outside i18n_patterns: API paths never carry a language prefix."""

from django.urls import include, path, re_path
from django.utils.translation import gettext as _
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from config.views import api_error

from tenants.api import TokenLogoutAllView, TokenLogoutView, TokenObtainView


def api_not_found(request, unmatched):
    """Unknown API paths (e.g. /api/v1/outcomes/abc/) answer in the API's error shape, not HTML."""
    return api_error(code="not_found", message=_("Not found."), status=404)


v1 = [
    path("auth/token/", TokenObtainView.as_view(), name="token"),
    path("auth/logout/", TokenLogoutView.as_view(), name="logout"),
    path("auth/logout-all/", TokenLogoutAllView.as_view(), name="logout-all"),
    path("", include("curriculum.api.urls")),
    path("", include("textbooks.api.urls")),
]

urlpatterns = [
    path("v1/", include((v1, "api"), namespace="v1")),
    path("schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("docs/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
    re_path(r"^(?P<unmatched>.*)$", api_not_found),
]
