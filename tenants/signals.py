from django.contrib.auth import user_logged_in
from django.contrib.auth.models import update_last_login
from django.core.exceptions import PermissionDenied
from django.dispatch import receiver
from django.utils import timezone

from tenants.context import context_for_user, tenant_context

# Django's receiver writes last_login in whatever context the login request had (anonymous), which
# row-level security refuses. Ours writes it in the context of the user who just signed in.
user_logged_in.disconnect(update_last_login, dispatch_uid="update_last_login")


@receiver(user_logged_in, dispatch_uid="tenants_update_last_login")
def update_last_login_in_user_context(sender, request, user, **kwargs):
    try:
        context = context_for_user(user=user, host_school=getattr(request, "tenant", None))
    except PermissionDenied:
        return  # signed in on the wrong host: the next request is refused, nothing to record
    with tenant_context(school_id=context.school_id, super_admin=context.super_admin):
        user.last_login = timezone.now()
        user.save(update_fields=["last_login"])
