"""The admin for schools, accounts and login lockouts. Who may do what: config/roles.py; the shared
base classes: config/admin_base.py; the site: config/admin.py."""

from django import forms
from django.contrib import admin
from django.contrib.auth.models import Group
from django.contrib.auth.admin import UserAdmin
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext, gettext_lazy as _

from axes.admin import AccessAttemptAdmin
from axes.models import AccessAttempt
from config.admin_base import BilingualAdmin, ProjectAdminMixin, ProjectInline, own_rows, text_column
from config.roles import RolePermissions
from tenants.models import Domain, Role, School, User


class DomainForm(forms.ModelForm):
    class Meta:
        model = Domain
        fields = ["domain", "is_primary"]
        # django-tenants' DomainMixin gives these fields no translatable names.
        labels = {"domain": _("host name"), "is_primary": _("primary")}


class DomainInline(ProjectInline, admin.TabularInline):
    model = Domain
    form = DomainForm
    extra = 0
    fields = ["domain", "is_primary"]


@admin.register(School)
class SchoolAdmin(BilingualAdmin):
    menu_order = 110
    list_display = ["name", "code", "has_russian", "has_kazakh", "is_active"]
    list_filter = ["is_active"]
    search_fields = ["code", "name_ru", "name_kz"]
    ordering = ["name_ru"]
    fields = ["code", ("name_ru", "name_kz"), "is_active"]
    inlines = [DomainInline]
    name = text_column("name", _("name"))


@admin.register(User)
class AccountAdmin(ProjectAdminMixin, UserAdmin):
    """Methodologists manage every account; a school administrator manages the staff of their school."""

    menu_order = 120
    list_display = ["username", "first_name", "last_name", "role", "school", "is_active", "last_login"]
    list_filter = ["role", "is_active", "school"]
    list_select_related = ["school"]
    search_fields = ["username", "first_name", "last_name", "email"]
    autocomplete_fields = ["school"]
    fieldsets = [
        (None, {"fields": ["username", "password_change_link"]}),
        (_("Person"), {"fields": [("first_name", "last_name"), "email"]}),
        (_("Role"), {"fields": ["role", "school", "is_active", "is_staff"]}),
        (_("Dates"), {"fields": ["last_login", "date_joined"]}),
    ]
    add_fieldsets = [
        (None, {"fields": ["username", "password1", "password2"]}),
        (_("Role"), {"fields": ["role", "school"]}),
    ]
    readonly_fields = ["last_login", "date_joined", "password_change_link"]

    @admin.display(description=_("Password"))
    def password_change_link(self, obj):
        # Hashes live in user_credentials, out of the runtime role's reach: there is no hash to
        # summarise, only the page that sets a new password.
        if obj is None or obj.pk is None:
            return "-"
        url = reverse("admin:auth_user_password_change", args=[obj.pk])  # the name UserAdmin gives it
        return format_html('<a href="{}">{}</a>', url, gettext("Change password"))

    def get_queryset(self, request):
        # Accounts are readable in every context (identity precedes context): scope the list here.
        return own_rows(request, super().get_queryset(request))

    def get_list_filter(self, request):
        return self.list_filter if request.user.is_methodologist else ["role", "is_active"]

    def get_fieldsets(self, request, obj=None):
        fieldsets = super().get_fieldsets(request, obj)
        if request.user.is_methodologist:
            return fieldsets
        # School staff: the school is always the administrator's own, staff always enter the admin.
        return [
            (name, {**options, "fields": [f for f in options["fields"] if f not in ("school", "is_staff")]})
            for name, options in fieldsets
        ]

    def formfield_for_choice_field(self, db_field, request, **kwargs):
        if db_field.name == "role" and not request.user.is_methodologist:
            kwargs["choices"] = [(Role.SCHOOL_ADMIN, Role.SCHOOL_ADMIN.label), (Role.TEACHER, Role.TEACHER.label)]
        return super().formfield_for_choice_field(db_field, request, **kwargs)

    def save_model(self, request, obj, form, change):
        if not request.user.is_methodologist:
            obj.school_id = request.user.school_id
        if not change:
            obj.is_staff = True
        super().save_model(request, obj, form, change)


# Roles come from config/roles.py, not from Django's groups and per-user permissions: no Groups page.
admin.site.unregister(Group)


# Login lockouts (django-axes, config/lockouts.py): the methodologist reviews them and lifts one by
# deleting it (config/roles.py); nobody else sees them.
@admin.register(AccessAttempt)
class LockoutAdmin(RolePermissions, AccessAttemptAdmin):
    menu_order = 130
