"""Admin for GOSO: methodologists edit it, school staff read it (roles: config/roles.py).

Codes sort numerically segment by segment everywhere (the `code_sort` column): 7.2.10.1 after 7.2.9.1.
"""

import datetime

from django import forms
from django.contrib import admin
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.formats import date_format
from django.utils.html import format_html
from django.utils.text import capfirst
from django.utils.translation import get_language, gettext_lazy as _

from curriculum import admin_views
from curriculum.case_views import CaseDownloadAdminMixin
from curriculum.external_admin import CrosswalkInline  # also registers the external frameworks' admin
from curriculum.models import Framework, LearningOutcome, Section, Subject, Subsection
from curriculum.selectors import framework_tree, outcomes_for_alignment
from curriculum.spreadsheets import LearningOutcomeResource, SectionResource, SpreadsheetAdminMixin, SubsectionResource
from config.admin_base import BilingualAdmin, ProjectInline, is_autocomplete_request


def code_column():
    """The `code` list column, sorted by its numeric segments when the user sorts by it."""

    @admin.display(description=_("code"), ordering="code_sort")
    def code(self, obj):
        return obj.code

    return code


class GosoAdmin(BilingualAdmin):
    list_per_page = 100


class GosoInline(ProjectInline):
    pass


@admin.register(Subject)
class SubjectAdmin(GosoAdmin):
    menu_order = 10
    list_display = ["name_ru", "name_kz", "code", "grade_from", "grade_to", "framework_count", "has_kazakh", "is_active"]
    list_filter = ["is_active"]
    search_fields = ["code", "name_ru", "name_kz"]
    ordering = ["name_ru"]  # explicit: a model's default ordering is dropped from annotated (GROUP BY) queries
    fields = ["code", ("name_ru", "name_kz"), ("grade_from", "grade_to"), "is_active"]

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
        "title_ru", "code", "subject", "order", "outcome_count", "has_kazakh", "is_active", "tree_link",
    ]
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

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(outcome_count=Count("outcomes"))

    @admin.display(description=_("outcomes"), ordering="outcome_count")
    def outcome_count(self, obj):
        return obj.outcome_count

    @admin.display(description=_("order"), ordering="order_date")
    def order(self, obj):
        # Number and date in one column: the list fits a 1280 px screen.
        return format_html("№ {}<br>{}", obj.order_number or "—", date_format(obj.order_date) if obj.order_date else "")

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
            "title": framework.title_ru,
            "subtitle": _("Sections, subsections and learning outcomes by grade"),
            "tree": framework_tree(framework=framework),
            "language_kz": request.LANGUAGE_CODE == "kk",
        }
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
    list_display = ["code_column", "name_ru", "framework", "has_kazakh", "is_active"]
    list_filter = ["framework", "is_active"]
    list_select_related = ["framework"]
    search_fields = ["code", "name_ru", "name_kz", "framework__code", "framework__title_ru"]
    autocomplete_fields = ["framework"]
    fields = ["framework", "code", ("name_ru", "name_kz"), ("description_ru", "description_kz"), "display_order", "is_active"]
    inlines = [SubsectionInline]
    code_column = code_column()


@admin.register(Subsection)
class SubsectionAdmin(SpreadsheetAdminMixin, GosoAdmin):
    menu_order = 40
    resource_classes = [SubsectionResource]
    list_display = ["code_column", "name_ru", "section", "framework", "has_kazakh", "is_active"]
    list_filter = ["section__framework", "is_active"]
    list_select_related = ["section__framework"]
    search_fields = ["code", "name_ru", "name_kz", "section__framework__code", "section__framework__title_ru"]
    autocomplete_fields = ["section"]
    fields = ["section", "code", ("name_ru", "name_kz"), ("description_ru", "description_kz"), "display_order", "is_active"]
    code_column = code_column()

    @admin.display(description=_("framework"), ordering="section__framework")
    def framework(self, obj):
        return obj.section.framework


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
    list_display = ["code_column", "short_title", "grade", "subsection_code", "framework_code", "has_russian", "has_kazakh", "is_active"]
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

    @admin.display(description=_("text (Russian)"), ordering="title_ru")
    def short_title(self, obj):
        return obj.title_ru if len(obj.title_ru) <= 120 else f"{obj.title_ru[:119]}…"

    @admin.display(description=_("framework"), ordering="framework__code")
    def framework_code(self, obj):
        return obj.framework.code

    @admin.display(description=_("subsection"), ordering="subsection__code_sort")
    def subsection_code(self, obj):
        return obj.subsection.code

    def get_search_results(self, request, queryset, search_term):
        queryset, may_have_duplicates = super().get_search_results(request, queryset, search_term)
        # A chooser may narrow the outcomes to what a subject's grade can teach (?subject=&grade=),
        # e.g. the textbook alignment chooser.
        # ?grade= may list several grades (7,8) when the user widens the choice.
        subject = request.GET.get("subject", "")
        grades = [int(grade) for grade in request.GET.get("grade", "").split(",") if grade.isascii() and grade.isdigit()]
        if is_autocomplete_request(request) and subject.isascii() and subject.isdigit() and grades:
            queryset = outcomes_for_alignment(subject_id=int(subject), grades=grades, queryset=queryset)
        return queryset, may_have_duplicates

    def autocomplete_label(self, obj):
        # Choosers show the whole text (str() shortens it), in Kazakh where the interface is.
        return f"{obj.code} {obj.title_kz if get_language() == 'kk' and obj.title_kz else obj.title_ru}"
