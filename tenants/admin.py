"""The admin site's shared rules (roles, 404 for hidden rows, database refusals as messages) and
the admin for schools and accounts.

Who may do what. Every ModelAdmin of the project declares `role_actions`; row-level security
enforces the same rules in the database, these checks only keep buttons and forms honest.

| model                                | methodologist | school administrator           | teacher                        |
|--------------------------------------|---------------|--------------------------------|--------------------------------|
| GOSO: subjects ... learning outcomes | everything    | view                           | view                           |
| schools, school domains              | everything    | -                              | -                              |
| accounts                             | everything    | own school's staff: everything | -                              |
| textbooks, chapters                  | everything    | view; own school's: everything | view                           |
| paragraphs                           | everything    | view; own school's: everything | view; own school's: change     |
| paragraph alignments                 | everything    | view; own school's: everything | view; own school's: everything |

"Own school's" is decided per object (`belongs_to_users_school`); global textbooks are read-only
for every school, another school's rows are invisible (a 404, not a 403: nothing hints they exist).
Copying (forking) a global textbook: methodologists into any school, school administrators into
their own (textbooks/admin.py). Teachers edit content and align it, but never delete or restructure
a textbook.
"""

from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin
from django.core.exceptions import ValidationError
from django.db import DatabaseError, transaction
from django.db.models import Q
from django.http import Http404, HttpResponseRedirect
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext, gettext_lazy as _

from database_errors import database_error_as_user_error
from tenants.models import Domain, Role, School, User

VIEW, ADD, CHANGE, DELETE = "view", "add", "change", "delete"
EVERYTHING = frozenset({VIEW, ADD, CHANGE, DELETE})
READ_ONLY = frozenset({VIEW})


class RolePermissions:
    """has_*_permission from the user's role (ModelAdmin and inlines; for an inline `obj` is the parent).

    `role_actions`: role -> the actions it may take. For school staff a change or delete of an
    existing object is also limited to their own school's objects.
    """

    role_actions = {Role.METHODOLOGIST: EVERYTHING}

    def belongs_to_users_school(self, request, obj) -> bool:
        return getattr(obj, "school_id", None) is not None and obj.school_id == request.user.school_id

    def role_allows(self, request, action, obj=None) -> bool:
        user = request.user
        if not (user.is_active and user.is_staff):
            return False
        if action not in self.role_actions.get(user.role, ()):
            return False
        if obj is None or action == VIEW or user.is_methodologist:
            return True
        return self.belongs_to_users_school(request, obj)

    def has_module_permission(self, request):
        return self.role_allows(request, VIEW)

    def has_view_permission(self, request, obj=None):
        return self.role_allows(request, VIEW, obj)

    def has_add_permission(self, request, obj=None):
        return self.role_allows(request, ADD, obj)

    def has_change_permission(self, request, obj=None):
        return self.role_allows(request, CHANGE, obj)

    def has_delete_permission(self, request, obj=None):
        return self.role_allows(request, DELETE, obj)


def own_rows(request, queryset):
    """The rows a user may write: all for a methodologist, the own school's for school staff."""
    if request.user.is_methodologist:
        return queryset
    return queryset.filter(school_id=request.user.school_id)


def is_autocomplete_request(request) -> bool:
    """The admin's autocomplete (select2) endpoint is asking for choices."""
    return request.resolver_match is not None and request.resolver_match.url_name == "autocomplete"


class ProjectAdminMixin(RolePermissions):
    """Shared by every ModelAdmin here (see ProjectAdmin).

    - An object the user cannot see (row-level security hid it, or it does not exist) is the
      normal 404 page, on the change, delete and history pages alike.
    - A write the database refuses (row-level security, a constraint or trigger) is an error
      message on the page the user was on, never a 500; nothing of the attempt is kept.
    """

    menu_order = 1000  # position in the index and sidebar (config.admin.GosoAdminSite)
    # Choosers (autocomplete) offer only rows the user may write into, e.g. a school's own
    # textbooks when adding a chapter: global content is readable but not a valid parent.
    autocomplete_writable_only = False

    def get_search_results(self, request, queryset, search_term):
        queryset, may_have_duplicates = super().get_search_results(request, queryset, search_term)
        if self.autocomplete_writable_only and is_autocomplete_request(request):
            queryset = own_rows(request, queryset)
        return queryset, may_have_duplicates

    def get_object(self, request, object_id, from_field=None):
        obj = super().get_object(request, object_id, from_field)
        if obj is None:
            raise Http404(gettext("No %(name)s with this ID.") % {"name": self.opts.verbose_name})
        return obj

    def _reporting_database_refusals(self, request, view, *args, **kwargs):
        try:
            with transaction.atomic():
                return view(request, *args, **kwargs)
        except DatabaseError as error:
            refusal = database_error_as_user_error(error)
            if refusal is error:
                raise
            text = "; ".join(refusal.messages) if isinstance(refusal, ValidationError) else str(refusal)
            self.message_user(request, gettext("Not saved: %(reason)s") % {"reason": text}, messages.ERROR)
            return HttpResponseRedirect(request.get_full_path())

    def changeform_view(self, request, *args, **kwargs):
        return self._reporting_database_refusals(request, super().changeform_view, *args, **kwargs)

    def changelist_view(self, request, *args, **kwargs):
        return self._reporting_database_refusals(request, super().changelist_view, *args, **kwargs)

    def delete_view(self, request, *args, **kwargs):
        return self._reporting_database_refusals(request, super().delete_view, *args, **kwargs)


class ProjectAdmin(ProjectAdminMixin, admin.ModelAdmin):
    """Base of every ModelAdmin here."""


class ProjectInline(RolePermissions):
    """Mixin for inlines: the same role rules, decided on the parent object."""


def translation_status_filter(field_base):
    """A list filter finding rows whose `<field_base>_kz` or `<field_base>_ru` text is empty."""

    class TranslationStatusFilter(admin.SimpleListFilter):
        title = _("translation")
        parameter_name = "translation"

        def lookups(self, request, model_admin):
            return [
                ("no_kz", _("Kazakh text missing")),
                ("no_ru", _("Russian text missing")),
                ("complete", _("both languages")),
            ]

        def queryset(self, request, queryset):
            missing_kz = Q(**{f"{field_base}_kz": ""})
            missing_ru = Q(**{f"{field_base}_ru": ""})
            if self.value() == "no_kz":
                return queryset.filter(missing_kz)
            if self.value() == "no_ru":
                return queryset.filter(missing_ru)
            if self.value() == "complete":
                return queryset.exclude(missing_kz | missing_ru)
            return queryset

    return TranslationStatusFilter


class BilingualAdmin(ProjectAdmin):
    """Lists show whether the Russian and Kazakh texts (`<bilingual_field>_ru`/`_kz`) are filled in."""

    bilingual_field = "name"

    def get_list_filter(self, request):
        return (*super().get_list_filter(request), translation_status_filter(self.bilingual_field))

    @admin.display(description=_("RU"), boolean=True)
    def has_russian(self, obj):
        return bool(getattr(obj, f"{self.bilingual_field}_ru"))

    @admin.display(description=_("KZ"), boolean=True)
    def has_kazakh(self, obj):
        return bool(getattr(obj, f"{self.bilingual_field}_kz"))


class DomainInline(ProjectInline, admin.TabularInline):
    model = Domain
    extra = 0
    fields = ["domain", "is_primary"]


@admin.register(School)
class SchoolAdmin(BilingualAdmin):
    menu_order = 110
    list_display = ["name_ru", "code", "has_russian", "has_kazakh", "is_active"]
    list_filter = ["is_active"]
    search_fields = ["code", "name_ru", "name_kz"]
    ordering = ["name_ru"]
    fields = ["code", ("name_ru", "name_kz"), "is_active"]
    inlines = [DomainInline]


@admin.register(User)
class AccountAdmin(ProjectAdminMixin, UserAdmin):
    """Methodologists manage every account; a school administrator manages the staff of their school."""

    role_actions = {Role.METHODOLOGIST: EVERYTHING, Role.SCHOOL_ADMIN: EVERYTHING}
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
