import time

from django.conf import settings
from django.core.exceptions import DisallowedHost
from django.db import transaction
from django.db.models.signals import post_delete, post_save
from django.http import Http404, HttpResponseNotFound
from django.urls import Resolver404, resolve

from tenants.context import NO_CONTEXT, WrongAddress, activate, context_for_user
from tenants.models import Domain, School


class SchoolHostMiddleware:
    """The school by Host header: a school's host sets `request.tenant` to the school; a public host
    (settings.PUBLIC_HOSTS) sets it to None; any other host is a 404 (fail closed). Host names are
    case-insensitive, as in DNS: SCHOOL-1.LOCALHOST is school-1.localhost.

    django-tenants' registry (School, Domain) without its TenantMainMiddleware, which switches the
    connection's schema twice per request (two `SET search_path`; all schools share one schema).
    A school found by its host is remembered in this process for settings.SCHOOL_HOST_CACHE_SECONDS
    (`school_hosts`): a changed domain or a deactivated school takes effect within that time in other
    processes, at once in the process that saved it. Unknown hosts are never remembered.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        try:
            hostname = request.get_host().split(":")[0].lower()
        except DisallowedHost:
            return HttpResponseNotFound()
        hostname = hostname.removeprefix("www.")  # as django-tenants
        if hostname in settings.PUBLIC_HOSTS:
            request.tenant = None
        else:
            request.tenant = school_hosts.school(hostname)
            if request.tenant is None:
                raise Http404(f'No school is served at "{hostname}".')
        return self.get_response(request)


class SchoolHosts:
    """host -> School, remembered for a short time (thread-safe enough: one dict assignment per entry)."""

    def __init__(self):
        self._entries = {}

    def school(self, hostname):
        now = time.monotonic()
        entry = self._entries.get(hostname)
        if entry is not None and entry[1] > now:
            return entry[0]
        school = self._lookup(hostname)
        if school is not None:
            if len(self._entries) >= MAX_REMEMBERED_HOSTS:
                self._entries.clear()
            self._entries[hostname] = (school, now + settings.SCHOOL_HOST_CACHE_SECONDS)
        return school

    @staticmethod
    def _lookup(hostname):
        # By the unique index (lower case); a domain saved with capitals is found by the second query,
        # which only unknown hosts pay. Domains and schools are reference data: no context needed.
        domains = Domain.objects.select_related("tenant")
        domain = domains.filter(domain=hostname).first() or domains.filter(domain__iexact=hostname).order_by("pk").first()
        return None if domain is None else domain.tenant

    def forget(self, **kwargs):
        self._entries.clear()


MAX_REMEMBERED_HOSTS = 20_000  # more schools than Kazakhstan has; the bound keeps a flood of hosts harmless
school_hosts = SchoolHosts()
post_save.connect(school_hosts.forget, sender=School, dispatch_uid="tenants.school_hosts.school_saved")
post_delete.connect(school_hosts.forget, sender=School, dispatch_uid="tenants.school_hosts.school_deleted")
post_save.connect(school_hosts.forget, sender=Domain, dispatch_uid="tenants.school_hosts.domain_saved")
post_delete.connect(school_hosts.forget, sender=Domain, dispatch_uid="tenants.school_hosts.domain_deleted")


class TenantContextMiddleware:
    """Opens the request's transaction and sets its tenant context as the first statement.

    Must come after AuthenticationMiddleware. Responses of 400 and above roll the transaction back,
    so a request that failed half-way leaves nothing behind; except a refused login, whose failure
    record must outlive the refusal (`request.commit_despite_error`, config/lockouts.py).
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        with transaction.atomic():
            if is_token_api_request(request):
                # The API view sets the context in the same statement that reads the token
                # (tenants.authentication); until then the transaction has none (every context setting
                # is transaction-local), and nothing before it reads school data.
                request.tenant_context = NO_CONTEXT
                return self.respond(request)
            try:
                context = context_for_user(user=request.user, host_school=getattr(request, "tenant", None))
            except WrongAddress:
                # Signing in as someone else, or out, works at any address (no way out is a trap);
                # every other page is the 403 page, which says where the user's address is.
                if not is_sign_in_or_out(request):
                    raise
                context = NO_CONTEXT
            activate(context)
            request.tenant_context = context
            return self.respond(request)

    def respond(self, request):
        response = self.get_response(request)
        if response.status_code >= 400 and not getattr(request, "commit_despite_error", False):
            transaction.set_rollback(True)
        return response


def is_token_api_request(request) -> bool:
    return request.path_info.startswith("/api/") and request.headers.get("Authorization", "")[:6].lower() == "token "



def is_sign_in_or_out(request) -> bool:
    try:
        match = resolve(request.path_info)
    except Resolver404:
        return False
    return match.namespace == "admin" and match.url_name in ("login", "logout")
