"""Admin of external CASE frameworks (curriculum/external.py): methodologists import, re-sync (file or
CFPackages URL, previewed first) and delete them; everyone in the admin browses them (list, tree with a
search box, item pages with their associations). Nothing here is edited by hand: a framework is what its
publisher's package says. Crosswalks from GOSO outcomes to external items are an inline of the outcome
page (curriculum/admin.py). Roles: config/roles.py."""

import tempfile
import time
import uuid
from pathlib import Path

from django import forms
from django.contrib import admin, messages
from django.core import signing
from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.http import Http404, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext, gettext_lazy as _

from config.admin_base import ProjectAdmin, ProjectInline
from curriculum.case import external_framework_promote
from curriculum.external import (
    external_file_import, external_framework_delete, external_frameworks_listed, external_tree, external_url_import,
)
from curriculum.external_models import Crosswalk, ExternalAssociation, ExternalFramework, ExternalItem
from curriculum.models import Framework, Subject
from importkit.files import ImportFileError, max_file_bytes

UPLOADS = Path(tempfile.gettempdir()) / "goso-case-imports"
TOKEN_SALT = "curriculum.external_admin.upload"
TOKEN_MAX_AGE = 3600  # seconds between the preview and the import


class ExternalImportForm(forms.Form):
    package = forms.FileField(label=_("CFPackage file (JSON)"), required=False)
    url = forms.URLField(label=_("or a CFPackages URL"), required=False, assume_scheme="https",
                         help_text=_("e.g. https://example.org/ims/case/v1p0/CFPackages/<identifier>"))
    token = forms.CharField(widget=forms.HiddenInput, required=False)

    def clean(self):
        data = super().clean()
        given = [name for name in ("package", "url", "token") if data.get(name)]
        if not given:
            raise forms.ValidationError(_("Choose a file or give a URL."))
        if data.get("package") and data.get("url"):
            raise forms.ValidationError(_("Give either a file or a URL, not both."))
        upload = data.get("package")
        if upload and upload.size > max_file_bytes():
            self.add_error("package", _("The file is %(size).1f MB; files up to %(limit).1f MB are accepted.") % {
                "size": upload.size / 1024 / 1024, "limit": max_file_bytes() / 1024 / 1024})
        return data


class PromoteForm(forms.Form):
    code = forms.SlugField(label=_("GOSO framework code"), max_length=64,
                           help_text=_("The new framework's code, e.g. goso_math_2024 (a promotion never updates "
                                       "an existing framework)."))
    subject = forms.ModelChoiceField(label=_("subject"), queryset=Subject.objects.order_by("code"),
                                     to_field_name="code")


def _saved_upload(upload) -> str:
    """Keep an uploaded package between the preview and the import; returns a signed token naming it."""
    UPLOADS.mkdir(mode=0o700, exist_ok=True)
    expired = time.time() - TOKEN_MAX_AGE
    for old in UPLOADS.glob("*.json"):  # previews never confirmed
        if old.stat().st_mtime < expired:
            old.unlink(missing_ok=True)
    name = f"{uuid.uuid4()}.json"
    with open(UPLOADS / name, "wb") as file:
        for chunk in upload.chunks():
            file.write(chunk)
    return signing.dumps({"file": name, "original": upload.name}, salt=TOKEN_SALT)


def _upload_of(token: str) -> tuple[Path, str]:
    try:
        value = signing.loads(token, salt=TOKEN_SALT, max_age=TOKEN_MAX_AGE)
    except signing.BadSignature:
        raise ImportFileError(_("upload"), [_("the preview has expired; choose the file again")]) from None
    return UPLOADS / Path(value["file"]).name, value["original"]


def _flat(fields) -> list[str]:
    """Field names of a `fields` list whose rows may be tuples (every field is read-only here)."""
    return [name for entry in fields for name in (entry if isinstance(entry, tuple) else (entry,))]


class ExternalAdminMixin:
    list_per_page = 100


@admin.register(ExternalFramework)
class ExternalFrameworkAdmin(ExternalAdminMixin, ProjectAdmin):
    menu_order = 55
    list_display = ["title", "creator", "version", "item_count", "last_synced_at", "tree_link"]
    search_fields = ["title", "creator", "identifier"]
    ordering = ["title"]
    fields = ["title", "identifier", "uri", "creator", "publisher", "version", "language", "subject",
              "adoption_status", ("status_start_date", "status_end_date"), "description", "notes", "license_uri",
              ("case_version", "framework_type"), "last_change_date_time", "source_url", "last_synced_at"]
    readonly_fields = _flat(fields)
    change_list_template = "admin/curriculum/externalframework/change_list.html"
    change_form_template = "admin/curriculum/externalframework/change_form.html"

    def get_queryset(self, request):
        return external_frameworks_listed()

    def changelist_view(self, request, extra_context=None):
        extra = {"can_import": self.has_import_permission(request), **(extra_context or {})}
        return super().changelist_view(request, extra_context=extra)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        extra = {"can_import": self.has_import_permission(request), **(extra_context or {})}
        return super().change_view(request, object_id, form_url, extra_context=extra)

    @admin.display(description=_("items"), ordering="item_count")
    def item_count(self, obj):
        return obj.item_count

    @admin.display(description=_("tree"))
    def tree_link(self, obj):
        return format_html('<a href="{}">{}</a>', reverse("admin:curriculum_externalframework_tree", args=[obj.pk]),
                           gettext("tree"))

    def get_urls(self):
        return [
            path("import/", self.admin_site.admin_view(self.import_view), name="curriculum_externalframework_import"),
            path("<int:object_id>/tree/", self.admin_site.admin_view(self.tree_view),
                 name="curriculum_externalframework_tree"),
            path("<int:object_id>/promote/", self.admin_site.admin_view(self.promote_view),
                 name="curriculum_externalframework_promote"),
            *super().get_urls(),
        ]

    def _page(self, request, template, title, **extra):
        context = {**self.admin_site.each_context(request), "opts": self.opts, "title": title, **extra}
        return TemplateResponse(request, f"admin/curriculum/externalframework/{template}", context)

    def tree_view(self, request, object_id):
        framework = self.get_object(request, object_id)
        if not self.has_view_permission(request, framework):
            raise PermissionDenied
        return self._page(request, "tree.html", framework.title, original=framework,
                          tree=external_tree(framework=framework),
                          can_import=self.has_import_permission(request))

    def import_view(self, request):
        """Import or re-sync: a file or a URL, previewed (dry run) before anything is written."""
        if not self.has_import_permission(request):
            raise PermissionDenied
        resync = None
        if (framework_id := request.GET.get("framework", "")).isdigit():
            resync = ExternalFramework.objects.filter(pk=framework_id).first()
        initial = {"url": resync.source_url} if resync else {}
        form = ExternalImportForm(request.POST or None, request.FILES or None, initial=initial)
        report = None
        if request.method == "POST" and form.is_valid():
            confirm = "import" in request.POST
            expected = resync.identifier if resync else None
            try:
                report, token = self._run(form.cleaned_data, dry_run=not confirm, expected=expected)
            except ImportFileError as error:
                for message in error.errors:
                    form.add_error(None, message)
            else:
                if confirm:
                    self.message_user(request, report.summary(), messages.SUCCESS)
                    return HttpResponseRedirect(
                        reverse("admin:curriculum_externalframework_tree", args=[report.framework_pk]))
                form = ExternalImportForm(initial={"url": form.cleaned_data.get("url"), "token": token})
        title = gettext("Re-sync %(title)s") % {"title": resync.title} if resync else gettext(
            "Import an external CASE framework")
        return self._page(request, "import.html", title, form=form, report=report, original=resync)

    def promote_view(self, request, object_id):
        """Promote a GOSO-shaped external framework to GOSO: a preview (dry run) of what would be created,
        then the import, in one transaction (curriculum/case.py: external_framework_promote)."""
        framework = self.get_object(request, object_id)
        if framework is None:
            raise Http404
        if not self.has_import_permission(request):
            raise PermissionDenied
        form = PromoteForm(request.POST or None)
        report = None
        if request.method == "POST" and form.is_valid():
            confirm = "promote" in request.POST
            code, subject = form.cleaned_data["code"], form.cleaned_data["subject"]
            try:
                report = external_framework_promote(framework=framework, code=code, subject_code=subject.code,
                                                    dry_run=not confirm)
            except ImportFileError as error:
                for message in error.errors:
                    form.add_error(None, message)
            else:
                if confirm:
                    self.message_user(request, report.summary(), messages.SUCCESS)
                    promoted = Framework.objects.get(code=code)
                    return HttpResponseRedirect(reverse("admin:curriculum_framework_change", args=[promoted.pk]))
        return self._page(request, "promote.html", gettext("Promote %(title)s to GOSO") % {"title": framework.title},
                          form=form, report=report, original=framework)

    def _run(self, data, *, dry_run, expected):
        if data.get("url"):
            return external_url_import(url=data["url"], dry_run=dry_run, expected=expected), ""
        token = data.get("token") or _saved_upload(data["package"])
        file, original = _upload_of(token)
        try:
            report = external_file_import(path=file, source=original, dry_run=dry_run, expected=expected)
        except ImportFileError:
            file.unlink(missing_ok=True)
            raise
        if not dry_run:
            file.unlink(missing_ok=True)
        return report, token

    def get_deleted_objects(self, objs, request):
        """A framework is deleted as a whole (items, associations, definitions, crosswalks): the page counts
        them instead of listing thousands, and asks for no permission on the parts."""
        frameworks = list(objs)
        counts = {
            ExternalFramework._meta.verbose_name_plural: len(frameworks),
            ExternalItem._meta.verbose_name_plural: ExternalItem.objects.filter(framework__in=frameworks).count(),
            ExternalAssociation._meta.verbose_name_plural: ExternalAssociation.objects.filter(
                framework__in=frameworks).count(),
            Crosswalk._meta.verbose_name_plural: Crosswalk.objects.filter(
                external_item__framework__in=frameworks).count(),
        }
        return [str(framework) for framework in frameworks], counts, set(), []

    def delete_model(self, request, obj):
        external_framework_delete(framework=obj)

    def delete_queryset(self, request, queryset):
        for framework in queryset:
            external_framework_delete(framework=framework)


class AssociationsTable:
    """The associations that touch an item, as a table (item page)."""

    @staticmethod
    def render(item):
        rows = ExternalAssociation.objects.filter(
            Q(origin_identifier=item.identifier) | Q(destination_identifier=item.identifier)
        ).select_related("origin_item", "destination_item").order_by("association_type", "position")

        def end(held, identifier, title):
            if held is not None:
                return format_html('<a href="{}">{}</a>', reverse("admin:curriculum_externalitem_change",
                                                                 args=[held.pk]), str(held))
            return format_html("{} <small>{}</small>", title, identifier)

        body = format_html_join("", "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>", (
            (end(row.origin_item, row.origin_identifier, row.origin_title), row.association_type,
             end(row.destination_item, row.destination_identifier, row.destination_title),
             gettext("deprecated") if row.is_deprecated else "")
            for row in rows))
        if not body:
            return gettext("None")
        return format_html('<table><thead><tr><th>{}</th><th>{}</th><th>{}</th><th></th></tr></thead>'
                           "<tbody>{}</tbody></table>", gettext("origin"), gettext("association type"),
                           gettext("destination"), body)


@admin.register(ExternalItem)
class ExternalItemAdmin(ExternalAdminMixin, ProjectAdmin):
    menu_order = 56
    list_display = ["human_coding_scheme", "statement", "item_type", "framework", "is_deprecated"]
    list_filter = ["framework", "is_deprecated"]
    list_select_related = ["framework"]
    search_fields = ["human_coding_scheme", "full_statement", "abbreviated_statement", "identifier"]
    ordering = ["framework", "position"]
    fields = ["framework", "human_coding_scheme", "full_statement", "abbreviated_statement", "alternative_label",
              "item_type", "education_level", "language", "list_enumeration", "notes", "parent", "sequence_number",
              "identifier", "uri", ("status_start_date", "status_end_date"), "last_change_date_time",
              "is_deprecated", "associations"]
    readonly_fields = _flat(fields)

    @admin.display(description=_("full statement"), ordering="full_statement")
    def statement(self, obj):
        return obj.full_statement if len(obj.full_statement) <= 120 else f"{obj.full_statement[:119]}…"

    @admin.display(description=_("associations"))
    def associations(self, obj):
        return AssociationsTable.render(obj)

    def get_search_results(self, request, queryset, search_term):
        queryset, may_have_duplicates = super().get_search_results(request, queryset, search_term)
        # The crosswalk chooser offers live items only (a deprecated one is kept for existing links).
        if request.resolver_match and request.resolver_match.url_name == "autocomplete":
            queryset = queryset.filter(is_deprecated=False)
        return queryset, may_have_duplicates


class CrosswalkInline(ProjectInline, admin.TabularInline):
    """Links of a GOSO outcome to external items (published in our CASE packages)."""

    model = Crosswalk
    fields = ["external_item", "association_type", "notes"]
    autocomplete_fields = ["external_item"]
    extra = 0
    verbose_name = _("crosswalk to an external framework")
    verbose_name_plural = _("crosswalks to external frameworks")
