"""Admin pages for coverage reports, fork updates and carrying alignments over to a new framework
version: thin views over textbooks/coverage.py and textbooks/versions.py, hooked into TextbookAdmin
(textbooks/admin.py) by its get_urls."""

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.html import format_html
from django.utils.http import content_disposition_header
from django.utils.text import slugify
from django.utils.translation import gettext, gettext_lazy as _

from config.roles import ALIGN
from curriculum.codes import MAX_GRADE, MIN_GRADE
from curriculum.models import ExternalFramework, Framework
from textbooks.coverage import coverage_csv, coverage_xlsx, textbook_coverage
from textbooks.external_coverage import textbook_external_coverage
from textbooks.fork_updates import (
    ALIGNMENT_KEYS, ALIGNMENTS, CHAPTER_FIELDS, EXTERNAL_ALIGNMENTS, OURS, PARAGRAPH_FIELDS, THEIRS, fork_update_apply,
    fork_update_review,
)
from textbooks.models import Chapter, Paragraph, Textbook
from textbooks.versions import alignments_carry_over, fork_update_info

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class CoverageForm(forms.Form):
    framework = forms.ModelChoiceField(
        Framework.objects.none(), label=_("framework"), required=False,
        empty_label=_("the one in force"),
    )
    grades = forms.TypedMultipleChoiceField(
        label=_("grades"), required=False, coerce=int, widget=forms.CheckboxSelectMultiple,
        choices=[(grade, str(grade)) for grade in range(MIN_GRADE, MAX_GRADE + 1)],
        help_text=_("None chosen: the textbook's grade."),
    )
    min_confidence = forms.DecimalField(
        label=_("minimum confidence"), required=False, min_value=0, max_value=1, max_digits=3, decimal_places=2,
        help_text=_("Alignments below it do not count."),
    )

    def __init__(self, *args, textbook, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["framework"].queryset = Framework.objects.filter(
            subject_id=textbook.subject_id, deleted_at__isnull=True
        ).order_by("-valid_from", "code")


def _context(model_admin, request, textbook, title, **extra):
    return {
        **model_admin.admin_site.each_context(request),
        "opts": model_admin.opts,
        "original": textbook,
        "title": title,
        **extra,
    }


def _without(query, name) -> str:
    query = query.copy()
    query.pop(name, None)
    return query.urlencode()


def _viewable_textbook(model_admin, request, object_id) -> Textbook:
    textbook = model_admin.get_object(request, object_id)  # 404 when hidden (another school's)
    if not model_admin.has_view_permission(request, textbook):
        raise PermissionDenied
    return textbook


def coverage_view(model_admin, request, object_id, export=None):
    """The coverage page (a bar per section, a grid of outcomes coloured by coverage, the gaps and the
    paragraphs aligned to nothing), or with `export` the same report as a CSV or XLSX download."""
    textbook = _viewable_textbook(model_admin, request, object_id)
    form = CoverageForm(request.GET or None, textbook=textbook)
    coverage, error = None, None
    if form.is_bound and not form.is_valid():
        error = gettext("Please correct the choices below.")
    else:
        options = form.cleaned_data if form.is_bound else {}
        try:
            coverage = textbook_coverage(
                context=request.tenant_context, textbook_id=textbook.pk,
                framework_id=options["framework"].pk if options.get("framework") else None,
                grades=options.get("grades"), min_confidence=options.get("min_confidence"),
            )
        except ValidationError as refusal:
            error = " ".join(refusal.messages)
    if export and coverage is not None:
        name = f"coverage-{slugify(textbook.title, allow_unicode=True)}-{coverage.framework.code}.{export}"
        if export == "csv":
            response = HttpResponse(coverage_csv(coverage).encode("utf-8-sig"), content_type="text/csv; charset=utf-8")
        else:
            response = HttpResponse(coverage_xlsx(coverage), content_type=XLSX)
        response["Content-Disposition"] = content_disposition_header(True, name)
        return response
    context = _context(
        model_admin, request, textbook, gettext("Coverage: %(textbook)s") % {"textbook": textbook},
        form=form, coverage=coverage, error=error, query=request.GET.urlencode(),
        print_view=request.GET.get("print") == "1", query_without_print=_without(request.GET, "print"),
    )
    return TemplateResponse(request, "admin/textbooks/textbook/coverage.html", context)


class ExternalCoverageForm(forms.Form):
    framework = forms.ModelChoiceField(ExternalFramework.objects.order_by("title", "id"), label=_("external framework"))
    min_confidence = CoverageForm.base_fields["min_confidence"]


def external_coverage_view(model_admin, request, object_id):
    """The textbook against an external framework: items taught directly or through a GOSO outcome
    crosswalked to them (textbooks/external_coverage.py)."""
    textbook = _viewable_textbook(model_admin, request, object_id)
    form = ExternalCoverageForm(request.GET or None)
    coverage, error = None, None
    if form.is_bound and not form.is_valid():
        error = gettext("Please correct the choices below.")
    elif form.is_bound:
        try:
            coverage = textbook_external_coverage(
                context=request.tenant_context, textbook_id=textbook.pk,
                framework_id=form.cleaned_data["framework"].pk, min_confidence=form.cleaned_data.get("min_confidence"),
            )
        except ValidationError as refusal:
            error = " ".join(refusal.messages)
    context = _context(
        model_admin, request, textbook,
        gettext("Coverage against an external framework: %(textbook)s") % {"textbook": textbook},
        form=form, coverage=coverage, error=error,
    )
    return TemplateResponse(request, "admin/textbooks/textbook/external_coverage.html", context)


def source_changes_view(model_admin, request, object_id):
    """For a school's copy: what changed in the global textbook it was copied from."""
    textbook = _viewable_textbook(model_admin, request, object_id)
    update = fork_update_info(fork=textbook)
    context = _context(
        model_admin, request, textbook, gettext("Changes in the source of %(textbook)s") % {"textbook": textbook},
        update=update,
    )
    return TemplateResponse(request, "admin/textbooks/textbook/source_changes.html", context)


def source_status(textbook: Textbook):
    """For the change page of a fork: up to date, or "update available" with a link to the changes.
    Uses textbook.global_textbook (select it with the textbook to spare a query)."""
    source = textbook.global_textbook
    if source is None:
        return "—"
    copied = textbook.source_version or 0
    if copied >= source.version:
        return gettext("Up to date (version %(version)s of the global textbook).") % {"version": source.version}
    return format_html(
        '<strong>{}</strong> <a href="{}">{}</a>',
        gettext("Update available: the global textbook is at version %(source)s, this copy was made from version %(copied)s.")
        % {"source": source.version, "copied": copied},
        reverse("admin:textbooks_textbook_fork_update", args=[textbook.pk]),
        gettext("Review the update"),
    )


class CarryOverForm(forms.Form):
    framework = forms.ModelChoiceField(
        Framework.objects.filter(previous_version__isnull=False, deleted_at__isnull=True).select_related("previous_version"),
        label=_("new framework version"),
        help_text=_("Alignments to outcomes of its previous version are added for each accepted link."),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["framework"].label_from_instance = lambda framework: gettext("%(new)s (from %(old)s)") % {
            "new": framework.code, "old": framework.previous_version.code,
        }


def carry_over_view(model_admin, request):
    """Carry alignments over to a new framework version: a methodologist carries every school's and
    the global ones, a school administrator the school's own."""
    if not model_admin.role_allows(request, ALIGN):
        raise PermissionDenied
    form = CarryOverForm(request.POST or None, initial={"framework": request.GET.get("framework")})
    report = None
    if request.method == "POST" and form.is_valid():
        try:
            report = alignments_carry_over(framework=form.cleaned_data["framework"])
        except (ValidationError, PermissionDenied) as refusal:
            text = "; ".join(refusal.messages) if isinstance(refusal, ValidationError) else str(refusal)
            model_admin.message_user(request, text, messages.ERROR)
        else:
            model_admin.message_user(
                request,
                gettext("%(count)s alignments were carried over to %(framework)s.")
                % {"count": report.carried, "framework": report.framework.code},
                messages.SUCCESS,
            )
    context = {
        **model_admin.admin_site.each_context(request),
        "opts": model_admin.opts,
        "title": gettext("Carry alignments over to a new framework version"),
        "form": form,
        "report": report,
    }
    return TemplateResponse(request, "admin/textbooks/textbook/carry_over.html", context)


# Fork updates: the three-way review page of a copy (textbooks/fork_updates.py) ---------------------

def _shown(name, value, review):
    """A field's value as text for the review table; None: the side does not have the item."""
    if name in ALIGNMENT_KEYS:
        codes = review.outcome_codes if name == ALIGNMENTS else review.external_item_labels
        rows = sorted((codes.get(target, target), link["confidence"]) for target, link in value.items())
        return ", ".join(f"{code} ({confidence})" for code, confidence in rows)
    if isinstance(value, list):
        return "; ".join(item.get("text", "") if isinstance(item, dict) else str(item) for item in value)
    return str(value)


def _field_label(name, is_chapter):
    if name == ALIGNMENTS:
        return gettext("alignments")
    if name == EXTERNAL_ALIGNMENTS:
        return gettext("external alignments")
    return (Chapter if is_chapter else Paragraph)._meta.get_field(name).verbose_name


def _review_rows(item, review):
    """The fields worth showing: those that differ between the sides that have the item, and the
    filled ones of a side alone (an addition or a removal); the title always."""
    sides = [item.base, item.theirs, item.ours]
    present = [side for side in sides if side is not None]
    names = (*CHAPTER_FIELDS,) if item.is_chapter else (*PARAGRAPH_FIELDS, *ALIGNMENT_KEYS)
    rows = []
    for name in names:
        values = [side.get(name) for side in present]
        differs = any(value != values[0] for value in values)
        if name == "title" or differs or (len(present) < 3 and any(values)):
            rows.append({
                "label": _field_label(name, item.is_chapter), "differs": differs,
                "values": [None if side is None else _shown(name, side.get(name), review) for side in sides],
            })
    return rows


def fork_update_view(model_admin, request, object_id):
    """A copy's update review: paragraph by paragraph the copied version, the global textbook now and
    the copy now; take changes over (selected or all non-conflicting), decide conflicts, mark reviewed."""
    textbook = _viewable_textbook(model_admin, request, object_id)
    can_apply = model_admin.has_change_permission(request, textbook)
    url = reverse("admin:textbooks_textbook_fork_update", args=[textbook.pk])
    chosen = {}
    if request.method == "POST":
        if not can_apply:
            raise PermissionDenied
        chosen = {key: THEIRS for key in request.POST.getlist("take")}
        chosen |= {
            name.removeprefix("decide-"): value
            for name, value in request.POST.items() if name.startswith("decide-") and value in (THEIRS, OURS)
        }
        action = request.POST.get("action")
        try:
            report = fork_update_apply(
                fork=textbook, decisions=chosen, take_all_non_conflicting=action == "all",
                mark_reviewed=action == "reviewed", source_version=_int_or_none(request.POST.get("source_version")),
            )
        except (ValidationError, PermissionDenied) as refusal:
            text = "; ".join(refusal.messages) if isinstance(refusal, ValidationError) else str(refusal)
            model_admin.message_user(request, text, messages.ERROR)
        else:
            summary = gettext("%(taken)s taken over from the global textbook, %(kept)s kept as in this copy, %(pending)s still to decide.") % {
                "taken": report.taken, "kept": report.kept, "pending": report.pending,
            }
            if report.reviewed:
                summary += " " + gettext("This copy is up to date with the global textbook.")
            model_admin.log_change(request, textbook, [{"changed": {"fields": [gettext("update of the global textbook")]}}])
            model_admin.message_user(request, summary, messages.SUCCESS)
            return HttpResponseRedirect(url)
    review = fork_update_review(fork=textbook)
    items = []
    if review is not None:
        items = [
            {"item": item, "rows": _review_rows(item, review), "choice": chosen.get(item.key)}
            for item in review.pending
        ]
    context = _context(
        model_admin, request, textbook, gettext("Update of the global textbook: %(textbook)s") % {"textbook": textbook},
        review=review, items=items, can_apply=can_apply, action_url=url,
        local_only=[item for item in review.items if item.status == "local"] if review else [],
    )
    return TemplateResponse(request, "admin/textbooks/textbook/fork_update.html", context)


def _int_or_none(value):
    return int(value) if value and value.isascii() and value.isdigit() else None
