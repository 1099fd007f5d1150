"""Admin for GOSO: methodologists edit it, school staff read it (roles: config/roles.py).

Codes sort numerically segment by segment everywhere (the `code_sort` column): 7.2.10.1 after 7.2.9.1.
"""

import datetime

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.text import capfirst
from django.utils.translation import gettext, gettext_lazy as _

from curriculum import admin_views, tree_views
from curriculum.case_views import CaseDownloadAdminMixin
from curriculum.external_admin import CrosswalkInline  # also registers the external frameworks' admin
from curriculum.models import Framework, LearningOutcome, Section, Subject, Subsection
from curriculum.selectors import framework_tree, outcomes_for_alignment
from curriculum.versions import VersionLabels, current_versions_only, framework_versions
from curriculum.spreadsheets import LearningOutcomeResource, SectionResource, SpreadsheetAdminMixin, SubsectionResource
from config.admin_base import BilingualAdmin, ProjectInline, is_autocomplete_request, text_column


def code_column():
    """The `code` list column, sorted by its numeric segments when the user sorts by it."""

    @admin.display(description=_("code"), ordering="code_sort")
    def code(self, obj):
        return obj.code

    return code


def _framework_id_of(obj):
    """The framework a GOSO object belongs to (its own id for a framework; None for a subject)."""
    if isinstance(obj, Framework):
        return obj.pk
    if isinstance(obj, Subsection):
        return obj.section.framework_id
    return getattr(obj, "framework_id", None)


def superseding_version(obj):
    """The newest version of obj's framework when a newer version supersedes that framework, else
    None. Remembered on the object: the admin asks several times per page."""
    if not hasattr(obj, "_superseded_by"):
        framework_id = _framework_id_of(obj)
        obj._superseded_by = None
        if framework_id is not None:
            version = framework_versions().get(framework_id)
            if version is not None and version.is_superseded:
                obj._superseded_by = version
    return obj._superseded_by


class SupersededReadOnly:
    """A superseded framework version and its content are read-only for everyone (the database
    refuses writes too, curriculum/migrations/0009_superseded_versions_read_only); only the version tools touch them."""

    def superseded(self, obj):
        return obj is not None and superseding_version(obj) is not None

    def has_change_permission(self, request, obj=None):
        return not self.superseded(obj) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return not self.superseded(obj) and super().has_delete_permission(request, obj)

    def has_add_permission(self, request, obj=None):
        # For an inline `obj` is the parent: nothing is added to a superseded version.
        if isinstance(self, admin.options.InlineModelAdmin):
            return not self.superseded(obj) and super().has_add_permission(request, obj)
        return super().has_add_permission(request)


class GosoAdmin(SupersededReadOnly, BilingualAdmin):
    list_per_page = 100
    # Labels of the framework/section/subsection choosers of this admin's form (see formfield_for_foreignkey).
    version_labelled_fields = {}

    def change_view(self, request, object_id, form_url="", extra_context=None):
        obj = self.get_object(request, object_id)
        if request.method == "GET" and (version := superseding_version(obj)) is not None:
            current = reverse("admin:curriculum_framework_change", args=[version.current_id])
            self.message_user(
                request,
                format_html(
                    gettext("{name} belongs to a superseded version of the framework ({label}): it is read-only, so that "
                      "alignments and published identifiers keep their meaning. Make changes in the current version: "
                      "<a href=\"{url}\">{current}</a>."),
                    name=capfirst(self.opts.verbose_name), label=version.label, url=current,
                    current=framework_versions()[version.current_id].label,
                ),
                messages.WARNING,
            )
        return super().change_view(request, object_id, form_url, extra_context)

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        formfield = super().formfield_for_foreignkey(db_field, request, **kwargs)
        label = self.version_labelled_fields.get(db_field.name)
        if formfield is not None and label is not None:
            labels = VersionLabels()
            formfield.label_from_instance = getattr(labels, label)
            if label == "subsection":
                formfield.queryset = formfield.queryset.select_related("section")
        return formfield

    def get_search_results(self, request, queryset, search_term):
        queryset, may_have_duplicates = super().get_search_results(request, queryset, search_term)
        if is_autocomplete_request(request) and request.GET.get("model_name") in ("section", "subsection", "learningoutcome"):
            # A new section, subsection or outcome goes into a current version only.
            queryset = queryset.exclude(**{f"{self.framework_path}__next_versions__isnull": False})
        return queryset, may_have_duplicates

    def autocomplete_labeller(self):
        """The label of each autocomplete result (config.admin): framework and version included."""
        return getattr(VersionLabels(), self.version_label) if self.version_label else None

    version_label = None
    framework_path = "framework"

    @admin.display(description=_("framework version"))
    def framework_version(self, obj):
        return VersionLabels().framework(_framework_id_of(obj))

    def get_list_display(self, request):
        # One query for every row's version label (VersionLabels), shared by this request's list.
        labels = VersionLabels()

        @admin.display(description=_("framework version"), ordering=f"{self.framework_path}__code")
        def framework_version(obj):
            return labels.framework(_framework_id_of(obj))

        return [framework_version if name == "framework_version" else name for name in super().get_list_display(request)]


class GosoInline(SupersededReadOnly, ProjectInline):
    pass


@admin.register(Subject)
class SubjectAdmin(GosoAdmin):
    menu_order = 10
    list_display = ["name", "code", "grade_from", "grade_to", "framework_count", "has_kazakh", "is_active"]
    list_filter = ["is_active"]
    search_fields = ["code", "name_ru", "name_kz"]
    ordering = ["name_ru"]  # explicit: a model's default ordering is dropped from annotated (GROUP BY) queries
    fields = ["code", ("name_ru", "name_kz"), ("grade_from", "grade_to"), "is_active"]

    name = text_column("name", _("name"))

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(framework_count=Count("frameworks"))

    @admin.display(description=_("frameworks"), ordering="framework_count")
    def framework_count(self, obj):
        return obj.framework_count


class SectionInline(GosoInline, admin.TabularInline):
    model = Section
    fields = ["code", "name_ru", "name_kz", "display_order", "is_active"]
    ordering = ["code_sort"]
    extra = 0
    show_change_link = True


class AmendmentsField(forms.CharField):
    """Amending orders ({"order_number", "date"} objects) edited one per line: "467 2022-11-21"."""

    widget = forms.Textarea(attrs={"rows": 3})

    def prepare_value(self, value):
        if isinstance(value, list):
            return "\n".join(f"{item.get('order_number', '')} {item.get('date', '')}".strip() for item in value if isinstance(item, dict))
        return value

    def to_python(self, value):
        amendments = []
        for number, line in enumerate(super().to_python(value).splitlines(), start=1):
            if not line.strip():
                continue
            order_number, _space, date = line.strip().rpartition(" ")
            try:
                parsed = datetime.date.fromisoformat(date)
            except ValueError:
                parsed = None
            if not order_number.strip() or parsed is None:
                raise ValidationError(
                    _('Line %(line)s, "%(text)s": expected an order number and a date (YYYY-MM-DD), e.g. "467 2022-11-21".'),
                    code="invalid_amendment", params={"line": number, "text": line.strip()},
                )
            amendments.append({"order_number": order_number.strip(), "date": parsed.isoformat()})
        return amendments


class FrameworkForm(forms.ModelForm):
    amendments = AmendmentsField(
        label=capfirst(_("amendments")), required=False,
        help_text=_("One amending order per line: its number and date, e.g. 467 2022-11-21."),
    )

    class Meta:
        model = Framework
        fields = "__all__"

    def clean_amendments(self):
        # An amendment kept as it was keeps whatever else it records.
        previous = {
            (item.get("order_number"), item.get("date")): item
            for item in self.instance.amendments or [] if isinstance(item, dict)
        }
        return [previous.get((item["order_number"], item["date"]), item) for item in self.cleaned_data["amendments"]]


@admin.register(Framework)
class FrameworkAdmin(CaseDownloadAdminMixin, GosoAdmin):
    menu_order = 20
    form = FrameworkForm
    bilingual_field = "title"
    list_display = [
        "title", "code", "subject", "version", "order_number", "order_date", "outcome_count", "has_kazakh", "is_active",
        "tree_link",
    ]
    version_label = "framework_full"
    framework_path = "pk"
    list_filter = ["subject", "is_active"]
    list_select_related = ["subject"]
    search_fields = ["code", "title_ru", "title_kz", "order_number"]
    ordering = ["subject__name_ru", "code"]
    autocomplete_fields = ["subject"]
    fieldsets = [
        (None, {"fields": ["code", "subject", ("title_ru", "title_kz"), "is_active"]}),
        (_("Normative act"), {"fields": [
            "document_type", ("order_number", "order_date"), ("ministry_ru", "ministry_kz"), "appendix_number",
            "amendments", ("valid_from", "valid_to"), "previous_version",
        ]}),
    ]
    readonly_fields = ["previous_version"]
    inlines = [SectionInline]
    title = text_column("title", _("title"))

    def get_fieldsets(self, request, obj=None):
        fieldsets = super().get_fieldsets(request, obj)
        if self.has_change_permission(request, obj):
            return fieldsets
        # Read-only: the orders as text, not the stored JSON.
        swap = {"amendments": "amendments_list"}
        return [(name, {**options, "fields": [swap.get(f, f) for f in options["fields"]]}) for name, options in fieldsets]

    @admin.display(description=_("amendments"))
    def amendments_list(self, obj):
        return AmendmentsField().prepare_value(obj.amendments) or "—"

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(outcome_count=Count("outcomes"))

    @admin.display(description=_("outcomes"), ordering="outcome_count")
    def outcome_count(self, obj):
        return obj.outcome_count

    def get_search_results(self, request, queryset, search_term):
        queryset, may_have_duplicates = super(GosoAdmin, self).get_search_results(request, queryset, search_term)
        if is_autocomplete_request(request):
            # Sections and outcomes are added to a current version only.
            queryset = queryset.filter(next_versions__isnull=True)
        return queryset, may_have_duplicates

    def get_list_display(self, request):
        labels = VersionLabels()

        @admin.display(description=_("version"))
        def version(obj):
            current = labels[obj.pk]
            if not current.is_superseded:
                return gettext("v%(number)s (current)") % {"number": current.number}
            newest = labels[current.current_id]
            return format_html(
                '{} · <a href="{}">{}</a>', gettext("v%(number)s") % {"number": current.number},
                reverse("admin:curriculum_framework_change", args=[newest.id]),
                gettext("superseded by v%(number)s (%(code)s)") % {"number": newest.number, "code": newest.code},
            )

        return [version if name == "version" else name for name in super().get_list_display(request)]

    def version(self, obj):  # the list's column is built per request in get_list_display
        return VersionLabels().framework(obj.pk)

    @admin.display(description=_("tree"))
    def tree_link(self, obj):
        return format_html('<a href="{}">{}</a>', reverse("admin:curriculum_framework_tree", args=[obj.pk]), _("tree"))

    def get_urls(self):
        tree = path(
            "<path:object_id>/tree/", self.admin_site.admin_view(self.tree_view), name="curriculum_framework_tree"
        )
        # Framework versions (curriculum/admin_views.py).
        def view(function):
            return self.admin_site.admin_view(lambda request, **kwargs: function(self, request, **kwargs))

        versions = [
            path("<int:object_id>/new-version/", view(admin_views.new_version_view), name="curriculum_framework_new_version"),
            path("<int:object_id>/version-links/", view(admin_views.version_links_view), name="curriculum_framework_version_links"),
            # The tree's editor (curriculum/tree_views.py).
            path("<int:object_id>/tree/structure/", view(tree_views.tree_structure_view), name="curriculum_framework_structure"),
            path("<int:object_id>/tree/renumber/", view(tree_views.tree_renumber_view), name="curriculum_framework_renumber"),
            path("<int:object_id>/compare/", view(admin_views.version_compare_view), name="curriculum_framework_compare"),
        ]
        return [tree, *versions, *super().get_urls()]

    def tree_view(self, request, object_id):
        framework = self.get_object(request, object_id)
        if not self.has_view_permission(request, framework):
            raise PermissionDenied
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "original": framework,
            "title": str(framework),
            "subtitle": _("Sections, subsections and learning outcomes by grade"),
            "tree": framework_tree(framework=framework),
        }
        if tree_views.framework_editable(self, request, framework):
            context.update(tree_views.tree_editor_context(framework))
            return TemplateResponse(request, "admin/curriculum/framework/tree_editor.html", context)
        return TemplateResponse(request, "admin/curriculum/framework/tree.html", context)


class SubsectionInline(GosoInline, admin.TabularInline):
    model = Subsection
    fields = ["code", "name_ru", "name_kz", "display_order", "is_active"]
    ordering = ["code_sort"]
    extra = 0
    show_change_link = True


@admin.register(Section)
class SectionAdmin(SpreadsheetAdminMixin, GosoAdmin):
    menu_order = 30
    resource_classes = [SectionResource]
    list_display = ["code_column", "name", "framework_version", "has_kazakh", "is_active"]
    list_filter = ["framework", "is_active"]
    version_labelled_fields = {"framework": "framework_full"}
    version_label = "section"
    list_select_related = ["framework"]
    search_fields = ["code", "name_ru", "name_kz", "framework__code", "framework__title_ru"]
    autocomplete_fields = ["framework"]
    fields = ["framework", "code", ("name_ru", "name_kz"), ("description_ru", "description_kz"), "display_order", "is_active"]
    inlines = [SubsectionInline]
    code_column = code_column()
    name = text_column("name", _("name"))


@admin.register(Subsection)
class SubsectionAdmin(SpreadsheetAdminMixin, GosoAdmin):
    menu_order = 40
    resource_classes = [SubsectionResource]
    list_display = ["code_column", "name", "section", "framework_version", "has_kazakh", "is_active"]
    list_filter = ["section__framework", "is_active"]
    version_labelled_fields = {"section": "section"}
    version_label = "subsection"
    framework_path = "section__framework"
    list_select_related = ["section__framework"]
    search_fields = ["code", "name_ru", "name_kz", "section__framework__code", "section__framework__title_ru"]
    autocomplete_fields = ["section"]
    fields = ["section", "code", ("name_ru", "name_kz"), ("description_ru", "description_kz"), "display_order", "is_active"]
    code_column = code_column()
    name = text_column("name", _("name"))

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("section")  # labels name the section's framework

    def get_search_results(self, request, queryset, search_term):
        queryset, may_have_duplicates = super().get_search_results(request, queryset, search_term)
        # The outcome form's subsection chooser follows the framework chosen beside it (?framework=).
        framework = request.GET.get("framework", "")
        if is_autocomplete_request(request) and framework.isdigit():
            queryset = queryset.filter(section__framework_id=int(framework))
        return queryset, may_have_duplicates


class FrameworkFilter(admin.SimpleListFilter):
    """Frameworks by subject and code: their official titles are too long to tell apart in a sidebar."""

    title = _("framework")
    parameter_name = "framework__id__exact"

    def lookups(self, request, model_admin):
        frameworks = Framework.objects.select_related("subject").order_by("subject__name_ru", "code")
        return [(str(framework.pk), f"{framework.subject} · {framework.code}") for framework in frameworks]

    def queryset(self, request, queryset):
        return queryset.filter(framework_id=self.value()) if self.value() else queryset


class SectionFilter(admin.SimpleListFilter):
    """Sections of the framework chosen in the framework filter (a list of every section of every
    framework would be long and ambiguous)."""

    title = _("section")
    parameter_name = "section"

    def lookups(self, request, model_admin):
        framework = request.GET.get("framework__id__exact")
        if not framework or not framework.isdigit():
            return []
        return [(str(section.pk), str(section)) for section in Section.objects.filter(framework_id=framework).order_by("code_sort")]

    def queryset(self, request, queryset):
        return queryset.filter(subsection__section_id=self.value()) if self.value() else queryset


class SubsectionFilter(admin.SimpleListFilter):
    """Subsections of the chosen section (or, without one, of the chosen framework)."""

    title = _("subsection")
    parameter_name = "subsection"

    def lookups(self, request, model_admin):
        section = request.GET.get("section")
        framework = request.GET.get("framework__id__exact")
        if section and section.isdigit():
            subsections = Subsection.objects.filter(section_id=section)
        elif framework and framework.isdigit():
            subsections = Subsection.objects.filter(section__framework_id=framework)
        else:
            return []
        return [(str(subsection.pk), str(subsection)) for subsection in subsections.order_by("code_sort")]

    def queryset(self, request, queryset):
        return queryset.filter(subsection_id=self.value()) if self.value() else queryset


@admin.register(LearningOutcome)
class LearningOutcomeAdmin(SpreadsheetAdminMixin, GosoAdmin):
    menu_order = 50
    resource_classes = [LearningOutcomeResource]
    bilingual_field = "title"
    list_display = ["code_column", "short_title", "grade", "subsection_code", "framework_version", "has_russian", "has_kazakh", "is_active"]
    version_labelled_fields = {"framework": "framework_full", "subsection": "subsection"}
    version_label = "outcome"
    list_filter = [FrameworkFilter, SectionFilter, SubsectionFilter, "grade", "is_active", "is_sample"]
    list_select_related = ["framework", "subsection"]
    search_fields = ["^code", "title_ru", "title_kz"]
    autocomplete_fields = ["framework", "subsection"]
    fieldsets = [
        (None, {"fields": [("framework", "subsection"), ("grade", "code"), ("title_ru", "title_kz")]}),
        (_("Details"), {"fields": [
            ("description_ru", "description_kz"), "cognitive_level", "display_order", "is_sample", "is_active",
        ]}),
    ]
    code_column = code_column()
    inlines = [CrosswalkInline]

    short_title = text_column("title", _("text"))

    class Media:
        js = ["curriculum/outcome_form.js"]  # the subsection chooser follows the chosen framework

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change, **kwargs)
        subsection = form.base_fields.get("subsection")
        if obj is not None and subsection is not None and hasattr(subsection.widget, "widget"):
            # Without JavaScript, the chooser of a saved outcome still offers its framework's subsections.
            chooser = subsection.widget.widget
            chooser.get_url = lambda: f"{type(chooser).get_url(chooser)}?framework={obj.framework_id}"
        return form

    @admin.display(description=_("subsection"), ordering="subsection__code_sort")
    def subsection_code(self, obj):
        return obj.subsection.code

    def get_search_results(self, request, queryset, search_term):
        queryset, may_have_duplicates = super().get_search_results(request, queryset, search_term)
        # A chooser may narrow the outcomes to what a subject's grade can teach (?subject=&grade=),
        # e.g. the textbook alignment chooser.
        subject, grade = request.GET.get("subject", ""), request.GET.get("grade", "")
        if is_autocomplete_request(request) and subject.isdigit() and grade.isdigit():
            queryset = outcomes_for_alignment(subject_id=int(subject), grade=int(grade), queryset=queryset)
        # New alignments are offered the current version of each framework unless widened (?versions=all).
        if is_autocomplete_request(request) and request.GET.get("model_name") == "paragraphoutcome":
            if request.GET.get("versions") != "all":
                queryset = current_versions_only(queryset)
        return queryset, may_have_duplicates
