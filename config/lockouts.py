"""Brute-force protection of the admin login and the API token endpoint (django-axes).

Every `authenticate(request=...)` call is watched. Failures are counted in the database (the
`axes_accessattempt` table), so every worker and process shares them:

- a username from one client address is locked after LOGIN_FAILURE_LIMIT failures;
- a client address is locked after LOGIN_FAILURE_LIMIT_PER_ADDRESS failures whatever the usernames
  (password spraying; higher, because a school's whole staff may share one address behind NAT);
- a lockout ends on its own LOGIN_COOLOFF_MINUTES after the last failure (a failure during the
  lockout starts the wait again); a successful login clears the pair's failures.

Locked out, the API answers 429 with Retry-After in its error shape (code "throttled"), the admin a
page saying when to retry. The methodologist sees the lockouts in the admin and lifts one by deleting
it. The runtime role reaches `axes_accessattempt` in every context (login precedes the tenant context):
its tables are on the one allowlist of tables outside row-level security (tenants.rls.TABLES_WITHOUT_RLS).
"""

from django.conf import settings
from django.db.models import Sum
from django.shortcuts import render
from django.utils.timezone import now
from django.utils import translation
from django.utils.translation import gettext as _

from axes.attempts import get_cool_off_threshold
from axes.backends import AxesStandaloneBackend
from axes.handlers.database import AxesDatabaseHandler
from axes.helpers import get_cool_off
from axes.models import AccessAttempt
from apikit.errors import api_error, is_api_request


class LoginLockoutBackend(AxesStandaloneBackend):
    """First of AUTHENTICATION_BACKENDS: refuses a locked-out username or address before any password
    is checked. Without a request (shell, management commands) there is no network caller to throttle."""

    def authenticate(self, request, username=None, password=None, **kwargs):
        if request is None:
            return None
        return super().authenticate(request, username=username, password=password, **kwargs)


class LoginLockoutHandler(AxesDatabaseHandler):
    """django-axes' database handler, plus the per-address limit and two things the request path needs."""

    def is_locked(self, request, credentials=None) -> bool:
        return super().is_locked(request, credentials) or self.address_failures(request) >= settings.LOGIN_FAILURE_LIMIT_PER_ADDRESS

    @staticmethod
    def address_failures(request) -> int:
        attempts = AccessAttempt.objects.filter(ip_address=request.axes_ip_address)
        if settings.AXES_COOLOFF_TIME is not None:
            attempts = attempts.filter(attempt_time__gte=get_cool_off_threshold(request))
        return attempts.aggregate(total=Sum("failures_since_start"))["total"] or 0

    def user_login_failed(self, sender, credentials, request=None, **kwargs):
        super().user_login_failed(sender, credentials, request=request, **kwargs)
        if request is None:
            return
        if not request.axes_locked_out and self.address_failures(request) >= settings.LOGIN_FAILURE_LIMIT_PER_ADDRESS:
            request.axes_locked_out = True  # axes itself only knows the per-username limit
            request.axes_credentials = credentials
        # DRF passes its own Request: the middleware sees the Django request underneath.
        http_request = getattr(request, "_request", request)
        http_request.axes_locked_out = request.axes_locked_out
        http_request.axes_credentials = getattr(request, "axes_credentials", None)
        # A refused request rolls back (TenantContextMiddleware), but the failure must be kept, or
        # an attacker could guess for ever.
        http_request.commit_despite_error = True


def client_ip_address(request) -> str | None:
    """The client's address: REMOTE_ADDR, or behind a reverse proxy the header it sets
    (LOGIN_CLIENT_IP_HEADER, e.g. HTTP_X_REAL_IP; only when the proxy overwrites it)."""
    request = getattr(request, "_request", request)
    header = settings.LOGIN_CLIENT_IP_HEADER
    if header and request.META.get(header):
        return request.META[header].split(",")[0].strip()
    return request.META.get("REMOTE_ADDR")


def lockout_response(request, original_response=None, credentials=None):
    """AXES_LOCKOUT_CALLABLE: 429 with Retry-After; the API's error shape under /api/, a page elsewhere."""
    cool_off = get_cool_off(request)
    retry_after = int(cool_off.total_seconds()) if cool_off else None
    api = is_api_request(request)
    # API paths carry no language prefix: the client's Accept-Language chooses.
    language = translation.get_language_from_request(request) if api else translation.get_language()
    with translation.override(language):
        if retry_after:
            message = _("Too many failed sign-in attempts. Try again in %(minutes)s min.") % {
                "minutes": max(1, round(retry_after / 60)),
            }
        else:
            message = _("Too many failed sign-in attempts. Ask a methodologist to lift the lock.")
        if api:
            response = api_error(code="throttled", message=message, status=429)
        else:
            retry_at = now() + cool_off if cool_off else None
            response = render(request, "lockout.html", {"message": message, "retry_at": retry_at}, status=429)
    if retry_after:
        response["Retry-After"] = str(retry_after)
    return response
