"""Admin for textbooks and their alignment to GOSO (roles: config/roles.py).

Global textbooks (no school) are edited by methodologists and read by every school; a school edits
its own textbooks, usually copies (forks) of global ones, and aligns their paragraphs to outcomes.
"""

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.widgets import AutocompleteSelect
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models
from django.db.models import Count, F, Q
from django.template.response import TemplateResponse
from django.urls import path, re_path, reverse
from django.utils.html import format_html
from django.utils.http import urlencode
from django.utils.text import capfirst
from django.utils.translation import gettext, gettext_lazy as _

from curriculum.models import LearningOutcome
from curriculum.versions import VersionLabels
from config.admin_base import ProjectAdmin, ProjectInline
from tenants.models import School
from textbooks import admin_views
from textbooks.models import Chapter, ExternalAlignment, Paragraph, ParagraphOutcome, Textbook
from textbooks.external_alignments import external_item_check
from textbooks.selectors import outcomes_for_paragraph
from textbooks.services import textbook_fork

class OwnerFilter(admin.SimpleListFilter):
    title = _("owner")
    parameter_name = "owner"

    def lookups(self, request, model_admin):
        return [("global", _("Global (national)")), ("school", _("A school's own"))]

    def queryset(self, request, queryset):
        if self.value() in ("global", "school"):
            return queryset.filter(school__isnull=self.value() == "global")
        return queryset


class UpdateAvailableFilter(admin.SimpleListFilter):
    """Copies whose global textbook is at a newer version than the one they last took over."""

    title = _("update available")
    parameter_name = "update"

    def lookups(self, request, model_admin):
        return [("yes", _("Yes")), ("no", _("No"))]

    def queryset(self, request, queryset):
        outdated = Q(global_textbook__isnull=False) & (
            Q(source_version__isnull=True) | Q(source_version__lt=F("global_textbook__version"))
        )
        if self.value() == "yes":
            return queryset.filter(outdated)
        if self.value() == "no":
            return queryset.exclude(outdated)
        return queryset


@admin.display(description=_("owner"), ordering="school__name_ru")
def owner(obj):
    return obj.school or gettext("Global")


class LinesField(forms.CharField):
    """A list of strings edited as text, one item per line (blank lines are dropped)."""

    widget = forms.Textarea(attrs={"rows": 6})

    def prepare_value(self, value):
        if isinstance(value, list):
            return "\n".join(self.line_of(item) for item in value)
        return value

    def line_of(self, item):
        return str(item)

    def to_python(self, value):
        text = super().to_python(value)
        return [line.strip() for line in text.splitlines() if line.strip()]


class QuestionLinesField(LinesField):
    """Questions ({"text": ...} objects) edited one per line."""

    def line_of(self, item):
        return item.get("text", "") if isinstance(item, dict) else str(item)

    def to_python(self, value):
        return [{"text": line} for line in super().to_python(value)]


class ParagraphForm(forms.ModelForm):
    key_terms = LinesField(label=capfirst(_("key terms")), required=False, help_text=_("One term per line."))
    questions = QuestionLinesField(label=capfirst(_("questions")), required=False, help_text=_("One question per line."))

    class Meta:
        model = Paragraph
        fields = "__all__"

    def clean_questions(self):
        # A question kept word for word keeps whatever else it carries (answers, sources).
        previous = {item.get("text"): item for item in self.instance.questions or [] if isinstance(item, dict)}
        return [previous.get(item["text"], item) for item in self.cleaned_data["questions"]]


class ForkForm(forms.Form):
    school = forms.ModelChoiceField(School.objects.filter(is_active=True), label=capfirst(_("school")))


class ChapterInline(ProjectInline, admin.TabularInline):
    model = Chapter
    fields = ["number", "title", "sort_order"]
    extra = 0
    show_change_link = True


@admin.register(Textbook)
class TextbookAdmin(ProjectAdmin):
    menu_order = 60
    list_display = ["title", "subject", "grade_level", "language", owner, "update", "global_textbook", "chapter_count", "is_active"]
    list_filter = [OwnerFilter, UpdateAvailableFilter, "subject", "grade_level", "language", "is_active"]
    list_select_related = ["subject", "school", "global_textbook"]
    search_fields = ["title", "author", "isbn"]
    # Explicit orderings: a model's default ordering is dropped from annotated (GROUP BY) queries.
    ordering = ["subject__name_ru", "grade_level", "title"]
    autocomplete_fields = ["subject", "school"]
    autocomplete_writable_only = True
    readonly_fields = ["version", "content_updated_at", "global_textbook", "source_version", "source_update"]
    fieldsets = [
        (None, {"fields": ["school", "subject", "title", ("grade_level", "language"), "is_active"]}),
        (_("Publication"), {"fields": [("author", "publisher"), ("year", "isbn")]}),
        (_("Versions"), {"fields": [("version", "content_updated_at"), ("global_textbook", "source_version"), "source_update", "is_customized"]}),
    ]
    inlines = [ChapterInline]
    actions = ["fork_into_school"]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(chapter_count=Count("chapters"))

    @admin.display(description=_("chapters"), ordering="chapter_count")
    def chapter_count(self, obj):
        return obj.chapter_count

    @admin.display(description=_("update"))
    def update(self, obj):
        """For a copy with an update of its global textbook: a link to the review."""
        source = obj.global_textbook
        if source is None or (obj.source_version or 0) >= source.version:
            return None
        url = reverse("admin:textbooks_textbook_fork_update", args=[obj.pk])
        return format_html('<a href="{}">{}</a>', url, gettext("Update available"))

    @admin.display(description=_("updates of the global textbook"))
    def source_update(self, obj):
        return admin_views.source_status(obj)

    def get_urls(self):
        # Coverage reports, fork updates and carrying alignments over (textbooks/admin_views.py).
        def view(function):
            return self.admin_site.admin_view(lambda request, **kwargs: function(self, request, **kwargs))

        return [
            path("carry-over/", view(admin_views.carry_over_view), name="textbooks_textbook_carry_over"),
            path("<int:object_id>/coverage/", view(admin_views.coverage_view), name="textbooks_textbook_coverage"),
            path(
                "<int:object_id>/coverage/external/", view(admin_views.external_coverage_view),
                name="textbooks_textbook_external_coverage",
            ),
            re_path(
                r"^(?P<object_id>[0-9]+)/coverage/(?P<export>csv|xlsx)/$", view(admin_views.coverage_view),
                name="textbooks_textbook_coverage_export",
            ),
            path("<int:object_id>/source-changes/", view(admin_views.source_changes_view), name="textbooks_textbook_source_changes"),
            path("<int:object_id>/fork-update/", view(admin_views.fork_update_view), name="textbooks_textbook_fork_update"),
            *super().get_urls(),
        ]

    def get_fieldsets(self, request, obj=None):
        fieldsets = super().get_fieldsets(request, obj)
        if obj is None:  # a textbook being added has no versions yet (only the database's defaults)
            fieldsets = [entry for entry in fieldsets if entry[0] != _("Versions")]
        if request.user.is_methodologist:
            return fieldsets
        # A school's textbook always belongs to the school of whoever creates it.
        return [(name, {**options, "fields": [f for f in options["fields"] if f != "school"]}) for name, options in fieldsets]

    def save_model(self, request, obj, form, change):
        if not change and not request.user.is_methodologist:
            obj.school_id = request.user.school_id
        super().save_model(request, obj, form, change)

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        # A global textbook's page offers the copy directly (the same action as in the list), or for
        # a school that has copied it already, its copy.
        context["own_copy"] = self._own_copy(request, obj)
        context["can_fork"] = (
            obj is not None and obj.is_global and context["own_copy"] is None and self.has_fork_permission(request)
        )
        return super().render_change_form(request, context, add, change, form_url, obj)

    @admin.action(description=_("Copy the selected global textbooks into a school"), permissions=["fork"])
    def fork_into_school(self, request, queryset):
        if not request.user.is_methodologist:
            return self._fork_all(request, queryset, request.user.school)
        form = ForkForm(request.POST if "school" in request.POST else None)
        if form.is_valid():
            return self._fork_all(request, queryset, form.cleaned_data["school"])
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": _("Copy textbooks into a school"),
            "textbooks": queryset,
            "form": form,
            "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME,
        }
        return TemplateResponse(request, "admin/textbooks/textbook/fork_into_school.html", context)

    @staticmethod
    def _own_copy(request, obj):
        if obj is None or not obj.is_global or request.user.school_id is None:
            return None
        return Textbook.objects.filter(global_textbook=obj, school_id=request.user.school_id).first()

    def _fork_all(self, request, queryset, school):
        for textbook in queryset:
            try:
                fork = textbook_fork(textbook=textbook, school=school)
            except (ValidationError, PermissionDenied) as refusal:
                text = "; ".join(refusal.messages) if isinstance(refusal, ValidationError) else str(refusal)
                copy = Textbook.objects.filter(global_textbook=textbook, school=school).first()
                if copy is not None:  # already copied: lead to the copy
                    url = reverse("admin:textbooks_textbook_change", args=[copy.pk])
                    text = format_html('{} <a href="{}">{}</a>', text, url, gettext("Open the copy"))
                self.message_user(request, text, messages.WARNING)
                continue
            self.log_addition(request, fork, [{"added": {}}])
            link = format_html('<a href="{}">{}</a>', reverse("admin:textbooks_textbook_change", args=[fork.pk]), fork)
            self.message_user(
                request, format_html(gettext("“{}” was copied into {}: {}"), textbook.title, school, link), messages.SUCCESS
            )
        return None


class ParagraphInline(ProjectInline, admin.TabularInline):
    model = Paragraph
    fields = ["number", "title", "sort_order"]
    extra = 0
    show_change_link = True


@admin.register(Chapter)
class ChapterAdmin(ProjectAdmin):
    menu_order = 70
    list_display = ["__str__", "textbook", owner, "paragraph_count"]
    list_filter = [OwnerFilter]
    list_select_related = ["textbook", "school"]
    search_fields = ["title", "textbook__title"]
    ordering = ["textbook", "sort_order", "number"]
    autocomplete_fields = ["textbook"]
    autocomplete_writable_only = True
    fields = ["textbook", ("number", "sort_order"), "title", "description"]
    inlines = [ParagraphInline]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(paragraph_count=Count("paragraphs"))

    @admin.display(description=_("paragraphs"), ordering="paragraph_count")
    def paragraph_count(self, obj):
        return obj.paragraph_count


class OutcomeChooser(AutocompleteSelect):
    """The outcome autocomplete, narrowed to a subject and grade (see LearningOutcomeAdmin).

    `known_outcomes` ({id: label}, shared by every row of the formset) labels the outcomes already
    chosen, so rendering N alignment rows costs no query per row.
    """

    def __init__(self, *args, subject_id, grade, known_outcomes, all_versions=False, **kwargs):
        # The current version of each framework only, unless the user widened the choice (?versions=all).
        self.narrowing = {"subject": subject_id, "grade": grade, **({"versions": "all"} if all_versions else {})}
        self.known_outcomes = known_outcomes
        super().__init__(*args, **kwargs)

    def get_url(self):
        return f"{super().get_url()}?{urlencode(self.narrowing)}"

    def optgroups(self, name, value, attr=None):
        selected = [str(item) for item in value if item not in (None, "")]
        if not selected or any(item not in self.known_outcomes for item in selected):
            return super().optgroups(name, value, attr)
        options = [self.create_option(name, item, self.known_outcomes[item], True, index) for index, item in enumerate(selected)]
        return [(None, options, 0)]


class ParagraphOutcomeInline(ProjectInline, admin.TabularInline):
    model = ParagraphOutcome
    fields = ["outcome", "confidence", "anchor", "notes", "cross_grade", "created_by", "created_at"]
    readonly_fields = ["cross_grade", "created_by", "created_at"]
    autocomplete_fields = ["outcome"]
    extra = 0
    verbose_name_plural = _("learning outcomes taught in this paragraph")
    formfield_overrides = {models.TextField: {"widget": forms.Textarea(attrs={"rows": 2, "cols": 30})}}

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("paragraph__chapter__textbook", "outcome", "created_by")

    @admin.display(description=_("other grade"), boolean=True)
    def cross_grade(self, obj):
        return obj.is_cross_grade if obj.pk else None

    def get_formset(self, request, obj=None, **kwargs):
        formset = super().get_formset(request, obj, **kwargs)
        textbook = obj.chapter.textbook
        outcome = formset.form.base_fields["outcome"]
        # Choices: outcomes of the textbook's subject and grade (offered: of the current versions, unless
        # widened to older ones; validated: any version), labelled with framework and version.
        labels = VersionLabels()
        outcome.widget = OutcomeChooser(
            ParagraphOutcome._meta.get_field("outcome"), self.admin_site,
            subject_id=textbook.subject_id, grade=textbook.grade_level, all_versions=request.GET.get("versions") == "all",
            known_outcomes={
                str(outcome.pk): labels.outcome(outcome)
                for outcome in LearningOutcome.objects.filter(paragraph_links__paragraph=obj)
            },
        )
        outcome.widget.is_required = True
        outcome.queryset = outcomes_for_paragraph(paragraph=obj)
        return formset


class ExternalAlignmentForm(forms.ModelForm):
    def clean_external_item(self):
        item = self.cleaned_data["external_item"]
        if "external_item" in self.changed_data:
            external_item_check(external_item=item)  # a deprecated item takes no new alignments
        return item


class ExternalAlignmentInline(ProjectInline, admin.TabularInline):
    """Items of external frameworks (Cambridge, IB, NIS) the paragraph teaches, beside GOSO outcomes."""

    model = ExternalAlignment
    form = ExternalAlignmentForm
    fields = ["external_item", "confidence", "notes", "created_by", "created_at"]
    readonly_fields = ["created_by", "created_at"]
    autocomplete_fields = ["external_item"]
    extra = 0
    verbose_name_plural = _("external framework items taught in this paragraph")
    formfield_overrides = {models.TextField: {"widget": forms.Textarea(attrs={"rows": 2, "cols": 30})}}

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("external_item__framework", "created_by")


class AlignmentFilter(admin.SimpleListFilter):
    title = _("alignment")
    parameter_name = "aligned"

    def lookups(self, request, model_admin):
        return [("yes", _("aligned to outcomes")), ("no", _("aligned to nothing"))]

    def queryset(self, request, queryset):
        if self.value() in ("yes", "no"):
            return queryset.filter(alignment_count__gt=0) if self.value() == "yes" else queryset.filter(alignment_count=0)
        return queryset


@admin.register(Paragraph)
class ParagraphAdmin(ProjectAdmin):
    menu_order = 80
    form = ParagraphForm
    list_display = ["__str__", "chapter", "textbook", owner, "alignment_count"]
    list_filter = [OwnerFilter, AlignmentFilter]
    search_fields = ["title", "chapter__textbook__title"]
    ordering = ["chapter", "sort_order", "number"]
    autocomplete_fields = ["chapter"]
    autocomplete_writable_only = True
    fieldsets = [
        (None, {"fields": ["chapter", ("number", "sort_order"), "title"]}),
        (_("Content"), {"fields": [
            "content", "summary", ("learning_objective", "lesson_objective"), ("key_terms", "questions"),
        ]}),
    ]
    inlines = [ParagraphOutcomeInline, ExternalAlignmentInline]

    def get_queryset(self, request):
        # The textbook is shown in the list and needed by the alignment chooser (subject, grade).
        return (
            super().get_queryset(request)
            .select_related("chapter__textbook", "school")
            .annotate(alignment_count=Count("outcome_links"))
        )

    @admin.display(description=_("textbook"), ordering="chapter__textbook__title")
    def textbook(self, obj):
        return obj.chapter.textbook

    @admin.display(description=_("alignments"), ordering="alignment_count")
    def alignment_count(self, obj):
        return obj.alignment_count

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        # The alignment chooser offers the current framework versions; a link widens it to older ones.
        context["all_versions"] = request.GET.get("versions") == "all"
        return super().render_change_form(request, context, add, change, form_url, obj)

    def get_inline_instances(self, request, obj=None):
        # Alignments are chosen among the textbook's subject and grade: known once the paragraph exists.
        return super().get_inline_instances(request, obj) if obj is not None else []

    def save_formset(self, request, form, formset, change):
        if formset.model not in (ParagraphOutcome, ExternalAlignment):
            return super().save_formset(request, form, formset, change)
        for alignment in formset.save(commit=False):
            if alignment.pk is None:
                alignment.created_by = request.user
            alignment.save()
        for alignment in formset.deleted_objects:
            alignment.delete()


@admin.register(ParagraphOutcome)
class ParagraphOutcomeAdmin(ProjectAdmin):
    menu_order = 90
    list_display = [
        "outcome_code", "outcome", "framework_version", "paragraph", "textbook", "cross_grade", "confidence", "created_by",
        "created_at",
    ]
    list_filter = [OwnerFilter]
    list_select_related = ["outcome", "paragraph__chapter__textbook", "created_by"]
    search_fields = ["outcome__code", "outcome__title_ru", "paragraph__title"]
    autocomplete_fields = ["paragraph", "outcome"]
    fields = ["paragraph", "outcome", "confidence", "anchor", "notes", "created_by", "created_at"]
    readonly_fields = ["created_by", "created_at"]
    ordering = ["paragraph__chapter__textbook", "outcome__code_sort"]

    @admin.display(description=_("code"), ordering="outcome__code_sort")
    def outcome_code(self, obj):
        return obj.outcome.code

    def framework_version(self, obj):  # the list's column is built per request in get_list_display
        return VersionLabels().framework(obj.outcome.framework_id)

    def get_list_display(self, request):
        labels = VersionLabels()  # one query for the whole list

        @admin.display(description=_("framework version"), ordering="outcome__framework__code")
        def framework_version(obj):
            return labels.framework(obj.outcome.framework_id)

        return [framework_version if name == "framework_version" else name for name in super().get_list_display(request)]

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        formfield = super().formfield_for_foreignkey(db_field, request, **kwargs)
        if db_field.name == "outcome" and formfield is not None:
            formfield.label_from_instance = VersionLabels().outcome
        return formfield

    @admin.display(description=_("textbook"), ordering="paragraph__chapter__textbook__title")
    def textbook(self, obj):
        return obj.paragraph.chapter.textbook

    @admin.display(description=_("other grade"), boolean=True)
    def cross_grade(self, obj):
        """The outcome's grade differs from the textbook's: allowed, shown for review."""
        return obj.is_cross_grade

    def save_model(self, request, obj, form, change):
        if not change:
            obj.created_by = request.user
        super().save_model(request, obj, form, change)
