"""fork_textbook of 1,000 paragraphs with 5,000 alignments, set-based, against a row-by-row copy
(the seed system's approach: one INSERT per chapter, paragraph and alignment), in the same run, as
the runtime role in the school's context. Target: at least 10x faster."""

import os


from bench.common import check_constraints_now, figure, median_ms, rolled_back, timed
from curriculum.models import Framework, LearningOutcome, Section, Subject, Subsection
from tenants.context import super_admin_context, tenant_context
from tenants.models import School
from textbooks.models import Chapter, Paragraph, ParagraphOutcome, Textbook
from textbooks.services import textbook_fork

CHAPTERS, PARAGRAPHS_PER_CHAPTER, ALIGNMENTS_PER_PARAGRAPH = 20, 50, 5
RUNS = int(os.environ.get("BENCH_RUNS", "3"))


def _setup():
    subject, _ = Subject.objects.get_or_create(code="bench_fork", defaults={"name_ru": "Бенчмарк", "grade_from": 7, "grade_to": 7})
    framework, _ = Framework.objects.get_or_create(code="bench_fork", defaults={"subject": subject, "title_ru": "Бенчмарк"})
    section, _ = Section.objects.get_or_create(framework=framework, code="1", defaults={"name_ru": "Раздел"})
    subsection, _ = Subsection.objects.get_or_create(section=section, code="1.1", defaults={"name_ru": "Подраздел"})
    outcomes = [
        LearningOutcome.objects.get_or_create(
            framework=framework, code=f"7.1.1.{n}", defaults={"subsection": subsection, "grade": 7, "title_ru": f"цель {n}"}
        )[0]
        for n in range(1, ALIGNMENTS_PER_PARAGRAPH + 1)
    ]
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


def copy_row_by_row(*, textbook, school):
    """The baseline: what the seed's fork did, one INSERT per row (alignments included here)."""
    fork = Textbook.objects.create(
        school=school, subject_id=textbook.subject_id, title=textbook.title, grade_level=textbook.grade_level,
        language=textbook.language, global_textbook=textbook, source_version=textbook.version,
    )
    for chapter in Chapter.objects.filter(textbook=textbook):
        new_chapter = Chapter.objects.create(textbook=fork, number=chapter.number, title=chapter.title,
                                             description=chapter.description, sort_order=chapter.sort_order)
        for paragraph in Paragraph.objects.filter(chapter=chapter):
            new_paragraph = Paragraph.objects.create(
                chapter=new_chapter, number=paragraph.number, sort_order=paragraph.sort_order, title=paragraph.title,
                content=paragraph.content, summary=paragraph.summary, learning_objective=paragraph.learning_objective,
                lesson_objective=paragraph.lesson_objective, key_terms=paragraph.key_terms, questions=paragraph.questions,
            )
            for link in ParagraphOutcome.objects.filter(paragraph=paragraph):
                ParagraphOutcome.objects.create(paragraph=new_paragraph, outcome_id=link.outcome_id,
                                                confidence=link.confidence, anchor=link.anchor, notes=link.notes)


def run() -> list[dict]:
    with super_admin_context():
        school, textbook = _setup()
    samples = {"set_based": [], "row_by_row": []}
    for _ in range(RUNS):
        for name, copy in (("set_based", textbook_fork), ("row_by_row", copy_row_by_row)):
            with rolled_back(), tenant_context(school_id=school.pk):
                samples[name].append(timed(lambda: (copy(textbook=textbook, school=school), check_constraints_now())))
    set_based, row_by_row = median_ms(samples["set_based"]), median_ms(samples["row_by_row"])
    speedup = round(row_by_row / set_based, 1)
    size = f"{CHAPTERS * PARAGRAPHS_PER_CHAPTER} paragraphs, {CHAPTERS * PARAGRAPHS_PER_CHAPTER * ALIGNMENTS_PER_PARAGRAPH} alignments"
    return [
        figure("fork_textbook (set-based)", set_based, "ms", None, True, note=f"{size}; median of {RUNS}"),
        figure("row-by-row copy (baseline)", row_by_row, "ms", None, True, note=f"{size}; median of {RUNS}"),
        figure("fork speed-up over row-by-row", speedup, "x", ">= 10", speedup >= 10),
    ]

