from django.conf import settings
from django.db import transaction
from django.http import Http404
from django.urls import Resolver404, resolve
from django_tenants.middleware.main import TenantMainMiddleware

from tenants.context import NO_CONTEXT, WrongAddress, activate, context_for_user


class SchoolHostMiddleware(TenantMainMiddleware):
    """django-tenants' resolver: a school's host sets `request.tenant` to the school; a public host
    (settings.PUBLIC_HOSTS) sets it to None; any other host is a 404 (fail closed). Host names are
    case-insensitive, as in DNS: SCHOOL-1.LOCALHOST is school-1.localhost."""

    @staticmethod
    def hostname_from_request(request):
        return TenantMainMiddleware.hostname_from_request(request).lower()

    def get_tenant(self, domain_model, hostname):
        try:
            return super().get_tenant(domain_model, hostname)  # by the unique index (lower case)
        except domain_model.DoesNotExist:
            if hostname in settings.PUBLIC_HOSTS:
                raise
            # A domain saved with capitals: only unknown hosts pay this second query.
            domain = domain_model.objects.select_related("tenant").filter(domain__iexact=hostname).order_by("pk").first()
            if domain is None:
                raise
            return domain.tenant

    def no_tenant_found(self, request, hostname):
        if hostname in settings.PUBLIC_HOSTS:
            request.tenant = None
            return None
        raise Http404(f'No school is served at "{hostname}".')


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
            response = self.get_response(request)
            if response.status_code >= 400 and not getattr(request, "commit_despite_error", False):
                transaction.set_rollback(True)
            return response



def is_sign_in_or_out(request) -> bool:
    try:
        match = resolve(request.path_info)
    except Resolver404:
        return False
    return match.namespace == "admin" and match.url_name in ("login", "logout")
