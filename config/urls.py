from django.conf.urls.i18n import i18n_patterns
from django.contrib import admin
from django.urls import include, path
from django.views.generic import RedirectView

urlpatterns = [
    path("i18n/", include("django.conf.urls.i18n")),
    path("api/", include("config.api_urls")),  # REST API, outside i18n_patterns
    path("ims/case/v1p1/", include("curriculum.case_views")),  # CASE 1.1 service, outside i18n_patterns
    # The 1.0 paths other CASE servers mirror from (the same service; URIs stay v1p1).
    path("ims/case/v1p0/", include(("curriculum.case_views", "case"), namespace="case-v1p0")),
]
urlpatterns += i18n_patterns(
    path("admin/", admin.site.urls),
    # The admin is the product's home page (and the target of its "View site" link).
    path("", RedirectView.as_view(pattern_name="admin:index")),
    prefix_default_language=False,
)

handler400 = "config.views.bad_request"
handler403 = "config.views.permission_denied"
handler404 = "config.views.page_not_found"
handler500 = "config.views.server_error"
