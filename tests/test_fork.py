from decimal import Decimal

import pytest
from django.utils import translation
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tenants.context import super_admin_context, tenant_context
from tests.conftest import make_textbook
from textbooks.models import Chapter, Paragraph, ParagraphOutcome, Textbook
from textbooks.services import textbook_fork


@pytest.fixture(autouse=True)
def english():
    # The interface defaults to Russian; these tests read the English source messages.
    with translation.override("en"):
        yield


def align_every_paragraph(textbook, outcome):
    for paragraph in Paragraph.objects.filter(chapter__textbook=textbook):
        ParagraphOutcome.objects.create(
            paragraph=paragraph, outcome=outcome, confidence=Decimal("0.75"), anchor=f"p{paragraph.number}", notes="n"
        )


def test_fork_copies_everything_into_the_school(school_a, global_textbook, global_alignment):
    with tenant_context(school_id=school_a.pk):
        fork = textbook_fork(textbook=global_textbook, school=school_a)

        assert fork.school_id == school_a.pk
        assert fork.global_textbook_id == global_textbook.pk
        assert fork.source_version == global_textbook.version
        assert fork.is_customized is False
        for field in ("title", "subject_id", "grade_level", "language", "author", "publisher", "year", "isbn"):
            assert getattr(fork, field) == getattr(global_textbook, field)

        copied = Paragraph.objects.get(chapter__textbook=fork)
        original = Paragraph.objects.get(chapter__textbook=global_textbook)
        for field in ("number", "sort_order", "title", "content", "summary", "learning_objective",
                      "lesson_objective", "key_terms", "questions"):
            assert getattr(copied, field) == getattr(original, field)
        assert copied.key_terms == ["Тауке хан", "Жеты жаргы"]
        assert copied.questions == [{"text": "Каковы основные цели?"}]
        assert copied.school_id == school_a.pk
        assert copied.chapter.school_id == school_a.pk

        link = ParagraphOutcome.objects.get(paragraph=copied)
        assert link.school_id == school_a.pk
        assert link.outcome_id == global_alignment.outcome_id
        assert link.confidence == Decimal("0.80")
        # The global textbook keeps its own alignment.
        assert ParagraphOutcome.objects.filter(paragraph=original).count() == 1


def fork_queries(school, size, subject, outcome):
    with super_admin_context():
        textbook = make_textbook(subject, title=f"Size {size}", chapters=5, paragraphs=size // 5)
        align_every_paragraph(textbook, outcome)
    with tenant_context(school_id=school.pk), CaptureQueriesContext(connection) as queries:
        fork = textbook_fork(textbook=textbook, school=school)
    with super_admin_context():
        assert Paragraph.objects.filter(chapter__textbook=fork).count() == size
        assert ParagraphOutcome.objects.filter(paragraph__chapter__textbook=fork).count() == size
    return len(queries)


def test_fork_query_count_does_not_grow_with_size(school_a, subject, outcome):
    assert fork_queries(school_a, 5, subject, outcome) == fork_queries(school_a, 500, subject, outcome)


def test_school_cannot_fork_into_another_school(school_a, school_b, global_textbook):
    with tenant_context(school_id=school_a.pk):
        with pytest.raises(PermissionDenied):
            textbook_fork(textbook=global_textbook, school=school_b)
    with super_admin_context():
        assert not Textbook.objects.filter(school=school_b).exists()


def test_second_fork_is_a_clear_error(school_a, global_textbook):
    with tenant_context(school_id=school_a.pk):
        textbook_fork(textbook=global_textbook, school=school_a)
        with pytest.raises(ValidationError, match="already has a copy"):
            textbook_fork(textbook=global_textbook, school=school_a)
    with super_admin_context():
        assert Textbook.objects.filter(school=school_a, global_textbook=global_textbook).count() == 1


def test_only_global_textbooks_can_be_forked(school_a, textbook_a):
    with tenant_context(school_id=school_a.pk):
        with pytest.raises(ValidationError, match="Only global textbooks"):
            textbook_fork(textbook=textbook_a, school=school_a)


def test_super_admin_forks_into_any_school(school_b, global_textbook):
    with super_admin_context():
        fork = textbook_fork(textbook=global_textbook, school=school_b)
        assert Chapter.objects.get(textbook=fork).school_id == school_b.pk
