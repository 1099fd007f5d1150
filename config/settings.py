"""One settings module, read from the environment (and a git-ignored `.env` written by `./dev`).

Development defaults are safe: DEBUG is off unless asked for, and a production-like configuration
(DEBUG off) refuses to start with a missing or development secret key or a wildcard host.
"""

from datetime import timedelta
import datetime
import tempfile
from pathlib import Path

import environ
from csp.constants import NONE, SELF, UNSAFE_INLINE
from django.core.checks.security.base import (
    SECRET_KEY_INSECURE_PREFIX, SECRET_KEY_MIN_LENGTH, SECRET_KEY_MIN_UNIQUE_CHARACTERS,
)
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
# ENV_FILE: another file than .env (tests point it at /dev/null to check the defaults).
environ.Env.read_env(env.str("ENV_FILE", default=str(BASE_DIR / ".env")), overwrite=False)

DEBUG = env.bool("DEBUG", default=False)

_DEVELOPMENT_SECRET_KEY = "development-only-secret-key-not-for-production"
SECRET_KEY = env.str("SECRET_KEY", default=_DEVELOPMENT_SECRET_KEY)

# Hosts that are not a school: requests there work in the national (public) context. Host names
# are compared in lower case (DNS names are case-insensitive). The test client's `testserver` is
# no default: the tests add it themselves (tests/conftest.py).
PUBLIC_HOSTS = [host.lower() for host in env.list("PUBLIC_HOSTS", default=["localhost", "127.0.0.1"])]
# How long a process remembers which school a host serves (tenants.middleware.SchoolHosts): a changed
# domain or a deactivated school takes effect in other processes within this time.
SCHOOL_HOST_CACHE_SECONDS = env.float("SCHOOL_HOST_CACHE_SECONDS", default=30)
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["localhost", ".localhost", "127.0.0.1", "[::1]"] if DEBUG else [])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])


def _secret_key_weakness(key: str) -> str | None:
    """Why `key` is unfit for production (None: fit); Django's own thresholds (check W009)."""
    if key == _DEVELOPMENT_SECRET_KEY or key.startswith(SECRET_KEY_INSECURE_PREFIX):
        return "it is the development key"
    if len(key) < SECRET_KEY_MIN_LENGTH:
        return f"it has {len(key)} characters, at least {SECRET_KEY_MIN_LENGTH} are needed"
    if len(set(key)) < SECRET_KEY_MIN_UNIQUE_CHARACTERS:
        return f"it has {len(set(key))} distinct characters, at least {SECRET_KEY_MIN_UNIQUE_CHARACTERS} are needed"
    return None


if not DEBUG:
    if weakness := _secret_key_weakness(SECRET_KEY):
        raise ImproperlyConfigured(
            f"SECRET_KEY must be set to a long random string when DEBUG is off ({weakness}); for example: "
            "python3 -c 'import secrets; print(secrets.token_urlsafe(50))'"
        )
    if "*" in ALLOWED_HOSTS:
        raise ImproperlyConfigured("ALLOWED_HOSTS must list the real host names when DEBUG is off, not '*'.")

# HTTPS, from the environment; secure defaults when DEBUG is off (README, "Production settings").
_PRODUCTION = not DEBUG
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=_PRODUCTION)
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31_536_000 if _PRODUCTION else 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=_PRODUCTION)
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=_PRODUCTION)
# Behind a TLS-terminating proxy: e.g. SECURE_PROXY_SSL_HEADER=HTTP_X_FORWARDED_PROTO,https. Opt-in
# only: trusting the header without a proxy that always sets it would let clients fake HTTPS.
SECURE_PROXY_SSL_HEADER = tuple(env.list("SECURE_PROXY_SSL_HEADER", default=[])) or None
SESSION_COOKIE_SECURE = env.bool("SESSION_COOKIE_SECURE", default=_PRODUCTION)
CSRF_COOKIE_SECURE = env.bool("CSRF_COOKIE_SECURE", default=_PRODUCTION)
SESSION_COOKIE_HTTPONLY = True
# Nothing here reads the CSRF cookie from JavaScript (the admin sends the form field; Swagger UI
# clients use a token).
CSRF_COOKIE_HTTPONLY = env.bool("CSRF_COOKIE_HTTPONLY", default=True)
SESSION_COOKIE_SAMESITE = env.str("SESSION_COOKIE_SAMESITE", default="Lax")
CSRF_COOKIE_SAMESITE = env.str("CSRF_COOKIE_SAMESITE", default="Lax")

# Content-Security-Policy (django-csp): only this site's scripts, no inline script, no framing. The
# admin's templates keep inline <style> blocks and style attributes (coverage bars), hence
# 'unsafe-inline' for styles only; Swagger UI runs from files (apikit.views.DocsView).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF, UNSAFE_INLINE],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    },
}

# `tenants` comes after auth (its ready() replaces auth's last-login receiver) and before
# django_tenants, so that our `migrate` command (owner role, no per-school schemas) wins.
SHARED_APPS = [
    "django.contrib.contenttypes",
    "django.contrib.auth",
    "tenants",
    "django_tenants",
    "config.apps.LockoutsConfig",  # django-axes: login lockouts (config/lockouts.py), with a translated name
    "config.apps.GosoAdminConfig",  # django.contrib.admin with the project's site (config/admin.py)
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.postgres",
    "rest_framework",
    "knox",  # API tokens: hashed, expiring, revocable (model tenants.ApiToken)
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_filters",
    "import_export",  # spreadsheet export/import of GOSO in the admin (curriculum/spreadsheets.py)
    "curriculum",
    "textbooks",
]
# Schools are isolated by rows (row-level security), not by schemas: no app lives in a per-school
# schema. django-tenants requires a non-empty list, so it holds an app that is shared anyway.
TENANT_APPS = ["django.contrib.contenttypes"]
INSTALLED_APPS = SHARED_APPS

TENANT_MODEL = "tenants.School"
TENANT_DOMAIN_MODEL = "tenants.Domain"
TENANT_LIMIT_SET_CALLS = True  # every school lives in the public schema: set search_path once
AUTH_USER_MODEL = "tenants.User"
# Sessions and password hashes are read only through the identity functions (README, "Security model").
SESSION_ENGINE = "tenants.sessions"

MIDDLEWARE = [
    # Django's LocaleMiddleware; /api/ answers in the client's Accept-Language. Outermost, so every
    # answer (the 503, the host's refusals) is translated; the language needs no session.
    "apikit.middleware.ApiLocaleMiddleware",
    "config.middleware.DatabaseUnavailableMiddleware",  # database unreachable -> 503
    "tenants.middleware.SchoolHostMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "tenants.replicas.ReplicaMiddleware",  # safe requests on the read replica, if one is configured
    "tenants.middleware.TenantContextMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "axes.middleware.AxesMiddleware",  # last: a locked-out login becomes the 429 of config/lockouts.py
]

ROOT_URLCONF = "config.urls"
CSRF_FAILURE_VIEW = "config.views.csrf_failure"  # the API's error shape under /api/
# The bulk alignment grid posts two fields per cell (textbooks/alignment_grid.py MAX_GRID_CELLS = 4,000).
DATA_UPLOAD_MAX_NUMBER_FIELDS = 10_000
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "config" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
            ],
        },
    },
]


def _database(url_variable):
    config = env.db_url(url_variable)
    config["ENGINE"] = "tenants.postgresql"  # django-tenants' backend without its per-request statements
    config["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
    config["CONN_HEALTH_CHECKS"] = True  # a look at the socket, not a `SELECT 1` (tenants/postgresql/base.py)
    return config


if "DATABASE_URL" not in env:
    raise ImproperlyConfigured(
        "DATABASE_URL is not set. Run `./dev run` (it starts a local PostgreSQL and writes .env) "
        "or set DATABASE_URL and DATABASE_OWNER_URL yourself."
    )

# `default` is the runtime role that serves every request (row-level security applies to it);
# `owner` owns the tables and runs migrations. In tests the owner creates the test database and
# `default` mirrors it, so the tests run as the runtime role.
DATABASES = {"default": _database("DATABASE_URL")}
DATABASES["owner"] = _database("DATABASE_OWNER_URL") if "DATABASE_OWNER_URL" in env else dict(DATABASES["default"])
DATABASES["owner"]["TEST"] = {"NAME": env.str("TEST_DATABASE_NAME", default=None), "DEPENDENCIES": []}
DATABASES["default"]["TEST"] = {"MIRROR": "owner"}
# A PostgreSQL hot standby of the primary (optional, tenants/replicas.py): safe requests read from it.
if "DATABASE_REPLICA_URL" in env:
    DATABASES["replica"] = _database("DATABASE_REPLICA_URL")
    DATABASES["replica"]["TEST"] = {"MIRROR": "default"}
REPLICA_CHECK_SECONDS = env.float("REPLICA_CHECK_SECONDS", default=0.5)  # how often a process reads its position
REPLICA_MAX_LAG_SECONDS = env.float("REPLICA_MAX_LAG_SECONDS", default=10)  # more lag: skipped
REPLICA_RETRY_SECONDS = env.float("REPLICA_RETRY_SECONDS", default=5)  # an unreachable replica is skipped this long
REPLICA_MARKER_SECONDS = env.int("REPLICA_MARKER_SECONDS", default=300)  # how long a write's position is remembered
CACHES = {
    "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
    # Read-your-writes markers, shared by the processes of one machine; several machines need a shared
    # cache here (e.g. django.core.cache.backends.redis.RedisCache).
    "replica_markers": {
        "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
        "LOCATION": env.str("REPLICA_MARKER_DIR", default=str(Path(tempfile.gettempdir()) / "goso-replica-markers")),
        "OPTIONS": {"MAX_ENTRIES": 100_000},
    },
}
TENANT_SYNC_ROUTER = "tenants.routers.SharedSchemaRouter"
DATABASE_ROUTERS = [TENANT_SYNC_ROUTER]
# The NOLOGIN role the runtime role switches to in the super-admin (methodologist) context.
DATABASE_SUPER_ADMIN_ROLE = env.str("DATABASE_SUPER_ADMIN_ROLE", default=f"{DATABASES['default']['USER']}_super_admin")

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTHENTICATION_BACKENDS = [
    "config.lockouts.LoginLockoutBackend",  # first: a locked-out login is refused before any password check
    "tenants.backends.SchoolStaffBackend",  # Django's, refusing staff of an inactive school
]

# Login lockouts (config/lockouts.py, django-axes): counted in the database, shared by all processes.
LOGIN_FAILURE_LIMIT = env.int("LOGIN_FAILURE_LIMIT", default=10)  # per username and client address
LOGIN_FAILURE_LIMIT_PER_ADDRESS = env.int("LOGIN_FAILURE_LIMIT_PER_ADDRESS", default=100)  # any usernames
LOGIN_CLIENT_IP_HEADER = env.str("LOGIN_CLIENT_IP_HEADER", default="")  # behind a proxy, e.g. HTTP_X_REAL_IP
AXES_FAILURE_LIMIT = LOGIN_FAILURE_LIMIT
AXES_COOLOFF_TIME = datetime.timedelta(minutes=env.float("LOGIN_COOLOFF_MINUTES", default=15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]  # the per-address limit: LoginLockoutHandler
AXES_RESET_ON_SUCCESS = True
AXES_HANDLER = "config.lockouts.LoginLockoutHandler"
AXES_LOCKOUT_CALLABLE = "config.lockouts.lockout_response"
AXES_CLIENT_IP_CALLABLE = "config.lockouts.client_ip_address"
AXES_DISABLE_ACCESS_LOG = True  # successful logins: last_login and the sessions say enough
AXES_ENABLE_ADMIN = False  # registered with the project's roles in tenants/admin.py
AXES_VERBOSE = False
AXES_USERNAME_FORM_FIELD = "username"  # a plain string: axes' lazy default breaks the debug page's settings cleanser

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "ru"
LANGUAGES = [("ru", _("Russian")), ("kk", _("Kazakh")), ("en", _("English"))]
# The project's own strings first; then locale_vendor/: the project's translations of third-party apps' strings
# (Django admin, auth, django-import-export) where their own catalogues are incomplete (Kazakh). Both beat the
# apps' catalogues, which Django consults after LOCALE_PATHS. makemessages never writes to locale_vendor/.
LOCALE_PATHS = [BASE_DIR / "locale", BASE_DIR / "locale_vendor"]
FORMAT_MODULE_PATH = ["config.formats"]  # Kazakh dates and a 24-hour clock (Django has no kk formats)
TIME_ZONE = "Asia/Almaty"
USE_I18N = True
USE_TZ = True

# Real GOSO frameworks and a textbook for the demo (the repository's sibling folder shared/data).
SHARED_DATA_DIR = Path(env.str("SHARED_DATA_DIR", default=str(BASE_DIR.parent / "shared" / "data")))

# CASE: where the CASE service is published; every URI in a CASE package starts with it (never the
# request's Host header). Imports (GOSO JSON and CASE packages) refuse larger files before reading them.
CASE_BASE_URL = env.str("CASE_BASE_URL", default="http://localhost:8000")
GOSO_IMPORT_MAX_FILE_BYTES = env.int("GOSO_IMPORT_MAX_FILE_BYTES", default=80 * 1024 * 1024)

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"

REST_FRAMEWORK = {
    # Token first: its WWW-Authenticate header makes an anonymous call a 401 (not a 403).
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "tenants.authentication.TokenAuthentication",
        "apikit.authentication.SessionAuthentication",  # CSRF refusals in the API's terms
    ],
    # Who may do what: the one declaration of roles (config/roles.py), as for the admin.
    "DEFAULT_PERMISSION_CLASSES": ["config.roles.RolePermission"],
    "DEFAULT_SCHEMA_CLASS": "apikit.schema.ApiAutoSchema",
    "DEFAULT_FILTER_BACKENDS": ["apikit.filters.FilterBackend"],
    "DEFAULT_PARSER_CLASSES": ["apikit.parsers.JSONParser"],
    "DEFAULT_PAGINATION_CLASS": "apikit.pagination.ApiPagination",
    "EXCEPTION_HANDLER": "apikit.errors.api_exception_handler",
}

# API tokens (django-rest-knox): a working day by default; `API_TOKEN_TTL_HOURS=0` never expires (not advised).
_TOKEN_TTL_HOURS = env.float("API_TOKEN_TTL_HOURS", default=10)
KNOX_TOKEN_MODEL = "tenants.ApiToken"
REST_KNOX = {
    "TOKEN_TTL": timedelta(hours=_TOKEN_TTL_HOURS) if _TOKEN_TTL_HOURS > 0 else None,
    "AUTO_REFRESH": False,  # a fixed lifetime: a stolen token dies on schedule
    "TOKEN_MODEL": KNOX_TOKEN_MODEL,
}

SPECTACULAR_SETTINGS = {
    "TITLE": "GOSO Curriculum API",
    "DESCRIPTION": "Kazakhstan's state education standard (GOSO), textbooks and their alignments.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SCHEMA_PATH_PREFIX": r"/api/v1",  # tags and operation ids from the resource name
    # /api/docs/ loads Swagger UI from this app (drf-spectacular-sidecar), not from a CDN.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,  # read-only fields stay out of request bodies
}

# Error pages and reports never show a database URL, password or secret (config/error_reports.py).
DEFAULT_EXCEPTION_REPORTER_FILTER = "config.error_reports.SecretsHidingFilter"
DEFAULT_EXCEPTION_REPORTER = "config.error_reports.SecretsHidingReporter"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
}
