from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TenantsConfig(AppConfig):
    name = "tenants"
    verbose_name = _("Schools and accounts")

    def ready(self):
        from tenants import checks, signals  # noqa: F401  (registers the system checks, connects the login receiver)
