from django.contrib.auth.backends import ModelBackend


class SchoolStaffBackend(ModelBackend):
    """Django's model backend, refusing a login of the staff of an inactive school (School.is_active).

    Only new logins are refused here; sessions and tokens of such staff are refused on their next
    request by `tenants.context.context_for_user`, with a page saying why. Reactivating the school
    restores access with the same passwords.
    """

    def authenticate(self, request, username=None, password=None, **kwargs):
        user = super().authenticate(request, username=username, password=password, **kwargs)
        if user is not None and user.school_id is not None and not user.school.is_active:
            if request is not None:  # the login form says why (config/admin_base.LoginForm)
                getattr(request, "_request", request).school_inactive = True
            return None
        return user
