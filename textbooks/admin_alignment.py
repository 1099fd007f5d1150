"""The bulk alignment page of a chapter or a whole textbook: paragraphs x outcomes, a tick and a
confidence per cell, saved in one transaction (textbooks/alignment_grid.py). A plain form of
checkboxes (works without JavaScript); static/textbooks/alignment_grid.js adds conveniences.
Hooked into ChapterAdmin and TextbookAdmin by their get_urls (textbooks/admin.py)."""

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponseRedirect
from django.template.response import TemplateResponse
from django.utils.html import escape
from django.utils.safestring import mark_safe
from django.utils.translation import gettext, gettext_lazy as _

from config.roles import ALIGN, role_allows
from textbooks.admin_views import CoverageForm
from textbooks.alignment_grid import MAX_GRID_CELLS, alignment_grid, alignments_bulk_set, textbook_alignable
from textbooks.models import Chapter


class GridFilterForm(CoverageForm):
    """Framework and grades as on the coverage page, narrowed further to a section or subsection
    (offered from the framework shown: `offer` once the grid is known)."""

    section = forms.IntegerField(label=_("section"), required=False, min_value=1, widget=forms.Select)
    subsection = forms.IntegerField(label=_("subsection"), required=False, min_value=1, widget=forms.Select)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        del self.fields["min_confidence"]
        self.fields["grades"].help_text = _("None chosen: the textbook's grade. Choose more to widen.")

    def offer(self, *, sections, subsections):
        everything = [("", "—")]
        self.fields["section"].widget.choices = everything + [(s.pk, str(s)) for s in sections]
        self.fields["subsection"].widget.choices = everything + [(s.pk, str(s)) for s in subsections]


def _ids(values) -> list[int]:
    return [int(value) for value in values if value.isascii() and value.isdigit()]


def _posted_cells(post) -> list[tuple[int, int, str | None]]:
    """Every cell of the posted scope (the paragraphs and outcomes the page showed): ticked with its
    confidence (empty: 1), or not ticked (None: not aligned). A scope larger than any page shows is
    refused before it is expanded."""
    paragraphs, outcomes = _ids(post.getlist("paragraphs")), _ids(post.getlist("outcomes"))
    if len(paragraphs) * len(outcomes) > MAX_GRID_CELLS:
        raise ValidationError(
            gettext("At most %(cells)s cells can be saved at once.") % {"cells": MAX_GRID_CELLS}, code="too_many_cells",
        )
    cells = []
    for paragraph in paragraphs:
        for outcome in outcomes:
            if f"cell-{paragraph}-{outcome}" in post:
                cells.append((paragraph, outcome, post.get(f"confidence-{paragraph}-{outcome}", "").strip() or "1"))
            else:
                cells.append((paragraph, outcome, None))
    return cells


# One cell: a tick and a confidence, labelled for assistive technology by the row's header and the
# column's outcome text. Built in Python: a 4,000-cell grid renders in a fraction of the template's time.
_CELL = (
    '<td class="{ticked}" data-column="{column}" title="§{number} × {code}">'
    '<input type="checkbox" name="cell-{key}" id="cell-{key}" aria-labelledby="paragraph-{paragraph} outcome-text-{outcome}"{checked}{disabled}>'
    '<input type="number" name="confidence-{key}" value="{confidence}" min="0" max="1" step="0.01" placeholder="1" '
    'aria-labelledby="confidence-label paragraph-{paragraph} outcome-code-{outcome}"{disabled}></td>'
)


def _rows(grid, *, read_only, posted=None, chapters=()):
    """Template rows: per paragraph the HTML of its cells, and the chapter's heading where a chapter
    starts (`chapters`: a whole textbook's). `posted`: the values of a refused save, shown again so
    no edit is lost."""
    disabled = " disabled" if read_only else ""
    codes = [escape(outcome.code) for outcome in grid.outcomes]
    headings = {chapter.number: str(chapter) for chapter in chapters}
    rows, chapter = [], None
    for paragraph in grid.paragraphs:
        heading = headings.get(paragraph.chapter_number) if paragraph.chapter_number != chapter else None
        chapter = paragraph.chapter_number
        cells = []
        for column, outcome in enumerate(grid.outcomes):
            key = (paragraph.id, outcome.id)
            if posted is not None:
                value = posted.get(key)
                ticked, confidence = value is not None, value or ""
            else:
                ticked, confidence = key in grid.confidence, grid.confidence.get(key, "")
            cells.append(_CELL.format(
                ticked="ticked" if ticked else "", column=column, number=paragraph.number, code=codes[column],
                key=f"{paragraph.id}-{outcome.id}", paragraph=paragraph.id, outcome=outcome.id,
                checked=" checked" if ticked else "", disabled=disabled, confidence=escape(confidence),
            ))
        rows.append({"paragraph": paragraph, "heading": heading, "cells": mark_safe("".join(cells))})  # values escaped above
    return rows


def alignment_grid_view(model_admin, request, object_id):
    """GET: the grid (filters in the query string). POST: save every cell of the grid shown."""
    obj = model_admin.get_object(request, object_id)  # 404 when hidden (another school's)
    if not model_admin.has_view_permission(request, obj):
        raise PermissionDenied
    chapter = obj if isinstance(obj, Chapter) else None
    textbook = obj.textbook if chapter else obj
    language = request.LANGUAGE_CODE

    form = GridFilterForm(request.GET or None, textbook=textbook)
    options = form.cleaned_data if form.is_bound and form.is_valid() else {}
    refusal = textbook_alignable(textbook=textbook, context=request.tenant_context)
    if refusal is None and not role_allows(user=request.user, model="textbooks.paragraph", action=ALIGN, obj=textbook):
        refusal = gettext("Your role does not allow aligning paragraphs.")
    errors, posted = [], None
    if form.is_bound and form.errors:
        errors.append(gettext("Please correct the choices below."))

    if request.method == "POST" and not errors:
        cells = []
        try:
            cells = _posted_cells(request.POST)
            if refusal:
                raise PermissionDenied(refusal)
            result = alignments_bulk_set(textbook=textbook, cells=cells, created_by=request.user)
        except (ValidationError, PermissionDenied) as problem:
            errors += problem.messages if isinstance(problem, ValidationError) else [str(problem)]
            posted = {(p, o): value for p, o, value in cells}
        else:
            model_admin.message_user(
                request, gettext("Alignments saved: %(summary)s") % {"summary": result.summary()}, messages.SUCCESS,
            )
            return HttpResponseRedirect(request.get_full_path())

    grid = None
    if not (form.is_bound and form.errors):
        try:
            grid = alignment_grid(
                context=request.tenant_context, textbook=textbook, chapter=chapter,
                framework_id=options["framework"].pk if options.get("framework") else None,
                grades=options.get("grades"), section_id=options.get("section"), subsection_id=options.get("subsection"),
            )
        except ValidationError as problem:
            errors += problem.messages
    if grid is not None:
        form.offer(sections=grid.section_choices, subsections=grid.subsection_choices)
    chapters = list(textbook.chapters.order_by("sort_order", "number")) if chapter is None else []
    title = gettext("Align in bulk: %(object)s") % {"object": obj}
    context = {
        **model_admin.admin_site.each_context(request),
        "opts": model_admin.opts,
        "original": obj,
        "title": title,
        "textbook": textbook,
        "chapter": chapter,
        "form": form,
        "grid": grid,
        "rows": _rows(grid, read_only=bool(refusal), posted=posted, chapters=chapters) if grid and not grid.too_large else [],
        "language": language,
        "errors": errors,
        "read_only": refusal,
        "max_cells": MAX_GRID_CELLS,
        "chapters": chapters,
        "media": model_admin.media,
    }
    return TemplateResponse(request, "admin/textbooks/alignment_grid.html", context)
