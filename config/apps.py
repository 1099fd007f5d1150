from axes.apps import AppConfig as AxesAppConfig
from django.contrib.admin.apps import AdminConfig
from django.templatetags.static import static
from django.utils.html import format_html
from django.utils.translation import gettext, gettext_lazy as _


class GosoAdminConfig(AdminConfig):
    default_site = "config.admin.GosoAdminSite"

    def ready(self):
        super().ready()
        from django.contrib.admin.templatetags import admin_list

        # Lists, read-only fields and inlines all call this one function (looked up at each call).
        admin_list._boolean_icon = translated_boolean_icon


class LockoutsConfig(AxesAppConfig):
    """django-axes, named in the user's language in the admin (its own name is "Axes")."""

    verbose_name = _("Sign-in lockouts")


def translated_boolean_icon(field_val):
    """Django's yes/no/unknown icon with its alt text translated (Django writes "True"/"False"/"None" in
    every language, which a screen reader reads out)."""
    icon = {True: "yes", False: "no", None: "unknown"}[field_val]
    label = {True: gettext("Yes"), False: gettext("No"), None: gettext("Unknown")}[field_val]
    return format_html('<img src="{}" alt="{}">', static(f"admin/img/icon-{icon}.svg"), label)
