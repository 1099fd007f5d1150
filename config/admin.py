"""The project's admin site (installed through config.apps.GosoAdminConfig, Django's documented seam
for a custom default site, so `admin.site` and `@admin.register` are this site everywhere)."""

from django.contrib import admin
from django.contrib.admin.views.autocomplete import AutocompleteJsonView
from django.utils.translation import gettext_lazy as _

from config.admin_base import LoginForm


class AutocompleteView(AutocompleteJsonView):
    """Choices labelled by the chosen model's `autocomplete_label(obj)` where its ModelAdmin has one
    (an outcome's whole text: str() shortens it for lists and links), else str(obj)."""

    def serialize_result(self, obj, to_field_name):
        label = getattr(self.model_admin, "autocomplete_label", str)
        return {"id": str(getattr(obj, to_field_name)), "text": label(obj)}


class GosoAdminSite(admin.AdminSite):
    site_header = _("GOSO Curriculum")
    site_title = _("GOSO Curriculum")
    index_title = _("Standards, textbooks and alignments")
    login_form = LoginForm  # tells a deactivated school's staff why (config/admin_base.py)

    def get_app_list(self, request, app_label=None):
        """The index page and the sidebar list models in the order people work through them (subjects,
        frameworks, sections ... alignments: each ModelAdmin's `menu_order`), not alphabetically."""
        app_list = super().get_app_list(request, app_label)

        def position(entry):
            return getattr(self._registry.get(entry["model"]), "menu_order", 1000), entry["name"]

        for app in app_list:
            app["models"].sort(key=position)
        app_list.sort(key=lambda app: min(position(entry) for entry in app["models"]))
        return app_list

    def autocomplete_view(self, request):
        return AutocompleteView.as_view(admin_site=self)(request)
