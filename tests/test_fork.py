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


# What a fork sets on purpose, per model; every other concrete field (Model._meta) must be copied as
# is, so a field added to a model and forgotten in the fork SQL fails test_fork_copies_every_field.
SET_BY_FORK = {
    Textbook: {"id", "school", "global_textbook", "source_version", "source_snapshot", "version", "is_customized", "created_at",
               "updated_at", "content_updated_at"},
    Chapter: {"id", "textbook", "school"},
    Paragraph: {"id", "chapter", "school"},
    ParagraphOutcome: {"id", "paragraph", "school"},
}


def copied_fields(model):
    fields = model._meta.concrete_fields
    assert SET_BY_FORK[model] <= {field.name for field in fields}, "SET_BY_FORK names a field the model does not have"
    return [field for field in fields if field.name not in SET_BY_FORK[model]]


def assert_copied(copy, original):
    model = type(original)
    for field in copied_fields(model):
        value = getattr(original, field.attname)
        # A value of its own in every copied field: a column the fork leaves out cannot match by chance.
        assert value not in (None, "", [], {}, field.get_default()), (
            f"test data: give the original {model.__name__}.{field.name} a non-default value"
        )
        assert getattr(copy, field.attname) == value, f"the fork did not copy {model.__name__}.{field.name}"


@pytest.fixture
def rich_global_textbook(subject, outcome, methodologist):
    """A global textbook with a non-default value in every field a fork copies."""
    with super_admin_context():
        textbook = Textbook.objects.create(
            subject=subject, title="Тарих", grade_level=7, language="kk", author="Автор", publisher="Атамұра",
            year=2025, isbn="978-601-07-1769-5", is_active=False,
        )
        for number in (1, 2):
            chapter = Chapter.objects.create(
                textbook=textbook, number=number, title=f"Глава {number}", description=f"Описание {number}",
                sort_order=10 - number,
            )
            paragraph = Paragraph.objects.create(
                chapter=chapter, number=number * 100 + 1, sort_order=5, title=f"Параграф {number}", content="текст",
                summary="итог", learning_objective="цель", lesson_objective="цель урока",
                key_terms=["Тауке хан", "Жеты жаргы"], questions=[{"text": "Каковы основные цели?"}],
            )
            ParagraphOutcome.objects.create(
                paragraph=paragraph, outcome=outcome, confidence=Decimal("0.80"), anchor=f"p{number}",
                notes="заметка", created_by=methodologist,
            )
        return Textbook.objects.get(pk=textbook.pk)


def test_fork_copies_every_field(school_a, rich_global_textbook):
    original = rich_global_textbook
    with tenant_context(school_id=school_a.pk):
        fork = textbook_fork(textbook=original, school=school_a)
    with super_admin_context():
        fork = Textbook.objects.get(pk=fork.pk)
        assert_copied(fork, original)
        assert (fork.school_id, fork.global_textbook_id) == (school_a.pk, original.pk)
        assert (fork.source_version, fork.version, fork.is_customized) == (original.version, 1, False)
        # Timestamps are the fork's own (content_updated_at: the database's default, as for any new textbook).
        assert (fork.created_at, fork.updated_at) != (original.created_at, original.updated_at)

        chapters = {chapter.number: chapter for chapter in Chapter.objects.filter(textbook=fork)}
        paragraphs = {(p.chapter.number, p.number): p for p in Paragraph.objects.filter(chapter__textbook=fork).select_related("chapter")}
        links = {(link.paragraph_id, link.outcome_id): link for link in ParagraphOutcome.objects.filter(paragraph__chapter__textbook=fork)}
        originals = list(Chapter.objects.filter(textbook=original))
        assert len(chapters) == len(originals) == 2
        for chapter in originals:
            assert_copied(chapters[chapter.number], chapter)
            assert chapters[chapter.number].school_id == school_a.pk
        original_paragraphs = list(Paragraph.objects.filter(chapter__textbook=original).select_related("chapter"))
        assert len(paragraphs) == len(original_paragraphs) == 2
        for paragraph in original_paragraphs:
            copy = paragraphs[(paragraph.chapter.number, paragraph.number)]
            assert_copied(copy, paragraph)
            assert copy.school_id == school_a.pk and copy.chapter_id == chapters[paragraph.chapter.number].pk
            for link in ParagraphOutcome.objects.filter(paragraph=paragraph):
                copied_link = links.pop((copy.pk, link.outcome_id))
                assert_copied(copied_link, link)
                assert copied_link.school_id == school_a.pk
                # The global textbook keeps its own alignment.
                assert link.paragraph_id == paragraph.pk and link.school_id is None
        assert links == {}, "the fork made alignments the original does not have"


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
