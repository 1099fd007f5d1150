"""fork_textbook of 1,000 paragraphs with 5,000 alignments, set-based (textbooks.services), against two
baselines in the same run, as the runtime role in the school's context:
(a) what a Django developer would write: one bulk_create per level (chapters, paragraphs, alignments);
(b) the original platform's shape: one INSERT per chapter and per paragraph, alignments dropped.
Both speed-ups are reported; the target is only that the set-based fork is faster than each."""

import os

from django.db import connection
from django.test.utils import CaptureQueriesContext

from bench.common import bench_outcomes, check_constraints_now, figure, median_ms, rolled_back, timed
from bench.scale_data import _analyze
from tenants.context import super_admin_context, tenant_context
from tenants.models import School
from textbooks.models import Chapter, Paragraph, ParagraphOutcome, Textbook
from textbooks.services import textbook_fork

CHAPTERS, PARAGRAPHS_PER_CHAPTER, ALIGNMENTS_PER_PARAGRAPH = 20, 50, 5
RUNS = int(os.environ.get("BENCH_RUNS", "3"))


def _setup():
    subject, outcomes = bench_outcomes("bench_fork", ALIGNMENTS_PER_PARAGRAPH)
    school, _ = School.objects.get_or_create(code="bench-fork", defaults={"name_ru": "Бенчмарк"})
    textbook = Textbook.objects.filter(subject=subject, school__isnull=True, title="Бенчмарк").first()
    if textbook is None:
        textbook = Textbook.objects.create(subject=subject, title="Бенчмарк", grade_level=7)
        chapters = Chapter.objects.bulk_create(
            Chapter(textbook=textbook, number=n, title=f"Глава {n}") for n in range(1, CHAPTERS + 1)
        )
        paragraphs = Paragraph.objects.bulk_create(
            Paragraph(chapter=chapter, number=chapter.number * 1000 + n, title=f"§{n}", content="текст " * 200,
                      key_terms=["термин"] * 5, questions=[{"text": "вопрос?"}] * 3)
            for chapter in chapters for n in range(1, PARAGRAPHS_PER_CHAPTER + 1)
        )
        ParagraphOutcome.objects.bulk_create(
            ParagraphOutcome(paragraph=paragraph, outcome=outcome) for paragraph in paragraphs for outcome in outcomes
        )
    Textbook.objects.filter(school=school).delete()  # left over by an interrupted run
    return school, textbook


def _new_fork(*, textbook, school):
    return Textbook.objects.create(
        school=school, subject_id=textbook.subject_id, title=textbook.title, grade_level=textbook.grade_level,
        language=textbook.language, global_textbook=textbook, source_version=textbook.version,
    )


def _paragraph_copy(paragraph, chapter):
    return Paragraph(
        chapter=chapter, number=paragraph.number, sort_order=paragraph.sort_order, title=paragraph.title,
        content=paragraph.content, summary=paragraph.summary, learning_objective=paragraph.learning_objective,
        lesson_objective=paragraph.lesson_objective, key_terms=paragraph.key_terms, questions=paragraph.questions,
    )


def copy_bulk_create(*, textbook, school):
    """Baseline (a): what a Django developer would write, one bulk_create per level (chapters,
    paragraphs, alignments), every row read into Python and written back, alignments included."""
    fork = _new_fork(textbook=textbook, school=school)
    chapters = list(Chapter.objects.filter(textbook=textbook).order_by("pk"))
    new_chapters = Chapter.objects.bulk_create(
        Chapter(textbook=fork, number=chapter.number, title=chapter.title, description=chapter.description,
                sort_order=chapter.sort_order)
        for chapter in chapters
    )
    chapter_map = {old.pk: new for old, new in zip(chapters, new_chapters)}
    paragraphs = list(Paragraph.objects.filter(chapter__textbook=textbook).order_by("pk"))
    new_paragraphs = Paragraph.objects.bulk_create(
        _paragraph_copy(paragraph, chapter_map[paragraph.chapter_id]) for paragraph in paragraphs
    )
    paragraph_map = {old.pk: new.pk for old, new in zip(paragraphs, new_paragraphs)}
    ParagraphOutcome.objects.bulk_create(
        ParagraphOutcome(paragraph_id=paragraph_map[link.paragraph_id], outcome_id=link.outcome_id,
                         confidence=link.confidence, anchor=link.anchor, notes=link.notes)
        for link in ParagraphOutcome.objects.filter(paragraph__chapter__textbook=textbook).order_by("pk")
    )


def copy_row_by_row(*, textbook, school):
    """Baseline (b): the original platform's shape, one INSERT per chapter and per paragraph; it did
    not copy alignments at all (so this baseline does less work than the set-based fork)."""
    fork = _new_fork(textbook=textbook, school=school)
    for chapter in Chapter.objects.filter(textbook=textbook):
        new_chapter = Chapter.objects.create(textbook=fork, number=chapter.number, title=chapter.title,
                                             description=chapter.description, sort_order=chapter.sort_order)
        for paragraph in Paragraph.objects.filter(chapter=chapter):
            _paragraph_copy(paragraph, new_chapter).save(force_insert=True)


def _statements(copy, *, textbook, school) -> int:
    with rolled_back(), tenant_context(school_id=school.pk), CaptureQueriesContext(connection) as captured:
        copy(textbook=textbook, school=school)
        check_constraints_now()
    return len(captured.captured_queries)


def run() -> list[dict]:
    with super_admin_context():
        school, textbook = _setup()
    # Planner statistics as a live database has them (a fresh benchmark database has none yet, and the
    # set-based INSERT ... SELECT then gets a nested-loop plan that takes seconds).
    _analyze()
    sides = {"set_based": textbook_fork, "bulk_create": copy_bulk_create, "row_by_row": copy_row_by_row}
    samples = {name: [] for name in sides}
    statements = {name: _statements(copy, textbook=textbook, school=school) for name, copy in sides.items()}
    for _ in range(RUNS):  # the three sides alternate on every repetition
        for name, copy in sides.items():
            with rolled_back(), tenant_context(school_id=school.pk):
                samples[name].append(timed(lambda: (copy(textbook=textbook, school=school), check_constraints_now())))
    ms = {name: median_ms(values) for name, values in samples.items()}
    over_bulk = round(ms["bulk_create"] / ms["set_based"], 1)
    over_rows = round(ms["row_by_row"] / ms["set_based"], 1)
    size = f"{CHAPTERS * PARAGRAPHS_PER_CHAPTER} paragraphs, {CHAPTERS * PARAGRAPHS_PER_CHAPTER * ALIGNMENTS_PER_PARAGRAPH} alignments"
    common = f"{size}; median of {RUNS}, the sides alternating on every repetition; statements counted with DEBUG-style capture"
    return [
        figure("fork_textbook (set-based)", ms["set_based"], "ms", None, True,
               note=f"{common}; {statements['set_based']} statements"),
        figure("bulk_create per level (baseline a)", ms["bulk_create"], "ms", None, True,
               note=f"{common}; {statements['bulk_create']} statements; chapters, paragraphs and alignments copied"),
        figure("original platform's row-by-row copy (baseline b)", ms["row_by_row"], "ms", None, True,
               note=f"{common}; {statements['row_by_row']} statements; one INSERT per chapter and paragraph, "
                    "alignments not copied (the original platform dropped them)"),
        figure("fork speed-up over bulk_create per level", over_bulk, "x", "> 1", over_bulk > 1),
        figure("fork speed-up over the original row-by-row copy", over_rows, "x", "> 1", over_rows > 1),
    ]
