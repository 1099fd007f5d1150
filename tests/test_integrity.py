"""Bad input gets a clear error from the database rules and changes nothing."""

from decimal import Decimal

import pytest
from django.utils import translation
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction

from curriculum.models import LearningOutcome, Section, Subsection
from tenants.context import super_admin_context, tenant_context
from database_errors import user_errors_from_database
from textbooks.models import Chapter, ParagraphOutcome, Textbook
from textbooks.services import alignment_create, alignments_replace


@pytest.fixture(autouse=True)
def english():
    # The interface defaults to Russian; these tests read the English source messages.
    with translation.override("en"):
        yield


def refused(write, match):
    """The write fails with a ValidationError whose message contains `match`."""
    with pytest.raises(ValidationError) as caught:
        with user_errors_from_database(), transaction.atomic():
            write()
    assert match in " ".join(caught.value.messages)


def outcome_count():
    with super_admin_context():
        return LearningOutcome.objects.count()


@pytest.mark.parametrize(
    "grade, code, message",
    [
        (7, "7.3.1.1", 'does not agree with grade 7 and subsection "2.1"'),
        (8, "7.2.1.1", 'does not agree with grade 8 and subsection "2.1"'),
        (12, "12.2.1.1", "Grade must be between 1 and 11"),
        (7, "7.2.1", "Code: a learning outcome code is grade.section.subsection.number"),
    ],
)
def test_outcome_code_must_agree_with_its_grade_and_subsection(subsection, grade, code, message):
    before = outcome_count()
    with super_admin_context():
        refused(
            lambda: LearningOutcome.objects.create(
                framework=subsection.section.framework, subsection=subsection, grade=grade, code=code, title_ru="x"
            ),
            message,
        )
    assert outcome_count() == before


def test_outcome_subsection_must_belong_to_its_framework(subsection, subject):
    from curriculum.models import Framework

    with super_admin_context():
        other = Framework.objects.create(code="other", subject=subject, title_ru="Другая")
        refused(
            lambda: LearningOutcome.objects.create(framework=other, subsection=subsection, grade=7, code="7.2.1.1", title_ru="x"),
            "belongs to another framework",
        )


def test_renumbering_a_subsection_under_its_outcomes_is_refused(outcome):
    with super_admin_context():
        refused(lambda: Subsection.objects.filter(pk=outcome.subsection_id).update(code="2.5"), 'does not agree with grade 7 and subsection "2.5"')
        refused(lambda: Section.objects.filter(pk=outcome.subsection.section_id).update(code="3"), 'does not start with its section code "3"')


def test_a_branch_can_be_renumbered_in_one_transaction(outcome):
    with super_admin_context():
        with transaction.atomic():
            from django.db import connection

            with connection.cursor() as cursor:
                cursor.execute("SET CONSTRAINTS ALL DEFERRED")
            Subsection.objects.filter(pk=outcome.subsection_id).update(code="2.5")
            LearningOutcome.objects.filter(pk=outcome.pk).update(code="7.2.5.1")
        assert LearningOutcome.objects.get(pk=outcome.pk).code == "7.2.5.1"


def test_subsection_code_must_start_with_its_section_code(section):
    with super_admin_context():
        refused(lambda: Subsection.objects.create(section=section, code="3.1", name_ru="x"), 'does not start with its section code "2"')


def test_model_validation_gives_the_same_messages_before_writing(subsection):
    outcome = LearningOutcome(framework=subsection.section.framework, subsection=subsection, grade=7, code="7.3.1.1", title_ru="x")
    with super_admin_context(), pytest.raises(ValidationError) as caught:
        outcome.full_clean()
    assert 'expected 7.2.1.N' in str(caught.value.message_dict["code"])


def test_confidence_above_one_is_refused(school_a, paragraph_a, outcome):
    with tenant_context(school_id=school_a.pk):
        with pytest.raises(ValidationError) as caught:
            alignment_create(paragraph=paragraph_a, outcome=outcome, confidence=Decimal("1.5"))
        assert "confidence" in caught.value.message_dict
        # And the database refuses it too, should any path skip the validation.
        refused(lambda: ParagraphOutcome.objects.create(paragraph=paragraph_a, outcome=outcome, confidence=Decimal("1.5")), "Confidence must be between 0 and 1")
        assert not ParagraphOutcome.objects.filter(paragraph=paragraph_a).exists()


def test_a_school_cannot_map_a_global_paragraph(school_a, global_paragraph, outcome):
    with tenant_context(school_id=school_a.pk):
        with pytest.raises(PermissionDenied):
            alignment_create(paragraph=global_paragraph, outcome=outcome)
    with super_admin_context():
        assert not ParagraphOutcome.objects.filter(paragraph=global_paragraph).exists()


def test_a_duplicate_mapping_is_refused(school_a, alignment_a):
    with tenant_context(school_id=school_a.pk):
        with pytest.raises(ValidationError, match="already aligned"):
            alignment_create(paragraph=alignment_a.paragraph, outcome=alignment_a.outcome)
        with pytest.raises(ValidationError, match="listed twice"):
            alignments_replace(
                paragraph=alignment_a.paragraph, items=[{"outcome": alignment_a.outcome}, {"outcome": alignment_a.outcome}]
            )
        assert ParagraphOutcome.objects.filter(paragraph=alignment_a.paragraph).count() == 1


def test_copied_school_id_always_follows_the_textbook(school_a, school_b, textbook_a, textbook_b):
    with super_admin_context():
        chapter = Chapter.objects.create(textbook=textbook_a, number=50, title="x")
        chapter.refresh_from_db()
        assert chapter.school_id == school_a.pk
        # Moving content to another school's textbook, or the textbook to another school, is refused.
        refused(lambda: Chapter.objects.filter(pk=chapter.pk).update(textbook=textbook_b), "cannot move")
        refused(lambda: Textbook.objects.filter(pk=textbook_a.pk).update(school=school_b), "cannot move")


def test_grade_outside_one_to_eleven_is_refused_for_textbooks(subject):
    with super_admin_context():
        refused(lambda: Textbook.objects.create(subject=subject, title="x", grade_level=12), "Grade must be between 1 and 11")
