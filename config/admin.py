"""The project's admin site (installed through config.apps.GosoAdminConfig, Django's documented seam
for a custom default site, so `admin.site` and `@admin.register` are this site everywhere)."""

from django.contrib import admin
from django.contrib.admin.views.autocomplete import AutocompleteJsonView
from django.utils.translation import gettext_lazy as _

from config.admin_base import LoginForm


class LabelledAutocompleteJsonView(AutocompleteJsonView):
    """Autocomplete results labelled by the ModelAdmin's `autocomplete_labeller()` where it has one
    (e.g. outcomes with their framework and version), else by str()."""

    def serialize_result(self, obj, to_field_name):
        result = super().serialize_result(obj, to_field_name)
        if not hasattr(self, "_label"):
            labeller = getattr(self.model_admin, "autocomplete_labeller", None)
            self._label = labeller() if labeller else None
        if self._label is not None:
            result["text"] = self._label(obj)
        return result


class GosoAdminSite(admin.AdminSite):
    site_header = _("GOSO Curriculum")
    site_title = _("GOSO Curriculum")
    index_title = _("Standards, textbooks and alignments")
    login_form = LoginForm  # tells a deactivated school's staff why (config/admin_base.py)

    def autocomplete_view(self, request):
        return LabelledAutocompleteJsonView.as_view(admin_site=self)(request)

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
