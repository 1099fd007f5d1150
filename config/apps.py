from django.contrib.admin.apps import AdminConfig


class GosoAdminConfig(AdminConfig):
    default_site = "config.admin.GosoAdminSite"
