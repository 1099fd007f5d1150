"""Base classes of every ModelAdmin and inline of the project: permissions from the one declaration
of roles (config/roles.py), 404 for rows the user cannot see, database refusals as messages, and the
bilingual (Russian / Kazakh) list helpers."""

from django.contrib import admin, messages
from django.contrib.admin.forms import AdminAuthenticationForm
from django.core.exceptions import ValidationError
from django.db import DatabaseError, transaction
from django.db.models import Q
from django.http import Http404, HttpResponseRedirect
from django.utils.text import capfirst
from django.utils.translation import gettext, gettext_lazy as _

from config.history import admin_change_message, entry_values
from config.roles import RolePermissions
from tenants.context import SchoolInactive
from database_errors import database_error_as_user_error
from languages import text_html


class LoginForm(AdminAuthenticationForm):
    """The admin's login form: the right password of a deactivated school's staff is told why it is
    refused (tenants/backends.py), instead of "wrong password"."""

    def get_invalid_login_error(self):
        if getattr(self.request, "school_inactive", False):
            return ValidationError(SchoolInactive.message(), code=SchoolInactive.code)
        return super().get_invalid_login_error()


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

    def changelist_view(self, request, extra_context=None, **kwargs):
        # Django's "Select %s to change" puts the name in the nominative ("Выберите программа для
        # изменения"), wrong in Russian and Kazakh: the list is headed by its plural name instead.
        extra_context = {"title": capfirst(self.opts.verbose_name_plural), **(extra_context or {})}
        return self._reporting_database_refusals(request, super().changelist_view, extra_context=extra_context, **kwargs)

    def delete_view(self, request, *args, **kwargs):
        return self._reporting_database_refusals(request, super().delete_view, *args, **kwargs)

    # History shows old -> new values (config/history.py).
    def construct_change_message(self, request, form, formsets, add=False):
        return admin_change_message(super().construct_change_message(request, form, formsets, add), form, formsets)

    def history_view(self, request, object_id, extra_context=None):
        response = super().history_view(request, object_id, extra_context)
        for entry in getattr(response, "context_data", {}).get("action_list") or ():
            entry.value_changes = entry_values(entry)
        return response


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


def text_column(field, description, *, limit=120):
    """A list column with the `<field>_ru`/`_kz` text in the interface language (languages.py), marked where
    it falls back to the other language; sorted by the Russian text."""

    @admin.display(description=description, ordering=f"{field}_ru")
    def column(self, obj):
        return text_html(obj, field, limit=limit)

    return column


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
