import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

application = get_wsgi_application()

# Refuse to serve if the database role could bypass row-level security.
from tenants.checks import ensure_runtime_role_enforces_rls  # noqa: E402

ensure_runtime_role_enforces_rls()
