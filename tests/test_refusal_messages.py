"""Every database refusal reaches a person as a translated, specific message: never a constraint name, a table
or PostgreSQL's own English (issue 12, item 6: "Raw constraint names in messages (learning_outcomes_code_format)").

Each named constraint of the project's models is broken by a write that skips the forms' checks (as a bug or a
bulk path could), and the refusal is turned into a message the way the admin and the API do it
(database_errors.py); a few are also broken through the admin's forms, where Django itself reports them.
"""

import datetime
from decimal import Decimal

import pytest
from django.apps import apps
from django.db import DatabaseError, transaction
from django.utils import translation

from curriculum.models import Framework, LearningOutcome, OutcomeVersionLink, Section, Subject, Subsection
from database_errors import database_error_as_user_error
from tenants.context import super_admin_context
from tenants.models import Role, School, User
from textbooks.models import Chapter, Paragraph, ParagraphOutcome, Textbook

PROJECT_APPS = {"curriculum", "textbooks", "tenants"}


def _update(model, row, **values):
    return lambda: model.objects.filter(pk=row.pk).update(**values)


def _copy(model, row, **changes):
    """A second row like `row` (its unique values kept unless changed)."""
    def create():
        values = {
            field.attname: getattr(row, field.attname) for field in model._meta.concrete_fields
            if not field.primary_key and not field.generated and not getattr(field, "auto_now_add", False)
            and not (field.unique and field.name.startswith("case_"))
        }
        model.objects.create(**{**values, **changes})
    return create


def _link(outcome, other, **values):
    return lambda: OutcomeVersionLink.objects.create(
        old_outcome=outcome, new_outcome=other, kind="same_code", similarity=Decimal("1"), **values
    )


@pytest.fixture
def rows(outcome, global_alignment, textbook_a, alignment_a, admin_a, textbook_b):
    with super_admin_context():
        other = LearningOutcome.objects.create(
            framework=outcome.framework, subsection=outcome.subsection, grade=7, code="7.2.1.2", title_ru="цель 2",
        )
        OutcomeVersionLink.objects.create(old_outcome=outcome, new_outcome=other, kind="same_code", similarity=1)
        maths = Subject.objects.create(code="maths", name_ru="Математика", grade_from=5, grade_to=9)
        framework = Framework.objects.create(code="goso_maths", subject=maths, title_ru="Математика")
        section = Section.objects.create(framework=framework, code="1", name_ru="Числа")
        subsection = Subsection.objects.create(section=section, code="1.1", name_ru="Дроби")
        foreign = LearningOutcome.objects.create(
            framework=framework, subsection=subsection, grade=7, code="7.1.1.1", title_ru="складывать дроби",
        )
    with super_admin_context():
        paragraph = Paragraph.objects.select_related("chapter__textbook").get(pk=global_alignment.paragraph_id)
        paragraph_a = Paragraph.objects.select_related("chapter").get(pk=alignment_a.paragraph_id)
        paragraph_b = Paragraph.objects.select_related("chapter").filter(chapter__textbook=textbook_b).get()
    return {
        "subject": outcome.framework.subject, "framework": outcome.framework, "section": outcome.subsection.section,
        "subsection": outcome.subsection, "outcome": outcome, "other": other, "textbook": paragraph.chapter.textbook,
        "chapter": paragraph.chapter, "paragraph": paragraph, "alignment": global_alignment, "fork": textbook_a,
        "school": textbook_a.school, "user": admin_a, "foreign": foreign, "other_school": textbook_b,
        "chapter_a": paragraph_a.chapter, "paragraph_a": paragraph_a, "alignment_a": alignment_a,
        "paragraph_b": paragraph_b,
    }


def refusals(r):
    """Constraint name -> a write that breaks it."""
    return {
        "schools_live_in_public_schema": _update(School, r["school"], schema_name="school_a"),
        "users_role_matches_school": _update(User, r["user"], school=None),
        "users_superuser_is_methodologist": _update(User, r["user"], is_superuser=True),
        "subjects_code_format": _update(Subject, r["subject"], code="Bad Code"),
        "subjects_grade_from_range": _update(Subject, r["subject"], grade_from=0),
        "subjects_grade_to_range": _update(Subject, r["subject"], grade_to=12),
        "subjects_grade_order": _update(Subject, r["subject"], grade_from=9, grade_to=5),
        "frameworks_validity_order": _update(
            Framework, r["framework"], valid_from=datetime.date(2025, 1, 1), valid_to=datetime.date(2024, 1, 1)
        ),
        "goso_sections_code_unique_per_framework": _copy(Section, r["section"]),
        "goso_sections_code_format": _update(Section, r["section"], code="0"),
        "goso_subsections_code_unique_per_section": _copy(Subsection, r["subsection"]),
        "goso_subsections_code_format": _update(Subsection, r["subsection"], code="2.0"),
        "learning_outcomes_code_unique_per_framework": _copy(LearningOutcome, r["outcome"]),
        "learning_outcomes_code_format": _update(LearningOutcome, r["outcome"], code="7.2.1.0"),
        "learning_outcomes_grade_range": _update(LearningOutcome, r["outcome"], grade=12),
        "learning_outcomes_grade_in_subject_range": _update(Subject, r["subject"], grade_from=8, grade_to=9),
        "learning_outcomes_code_matches_place": _update(Subsection, r["subsection"], code="2.5"),
        "learning_outcomes_subsection_in_framework": _update(LearningOutcome, r["foreign"], subsection=r["subsection"]),
        "goso_subsections_code_matches_section": _update(Section, r["section"], code="3"),
        "chapters_school_is_parents": _update(Chapter, r["chapter_a"], textbook=r["other_school"]),
        "paragraphs_school_is_parents": _update(Paragraph, r["paragraph_a"], chapter=r["paragraph_b"].chapter),
        "paragraph_outcomes_school_is_parents": _update(ParagraphOutcome, r["alignment_a"], paragraph=r["paragraph_b"]),
        "textbooks_school_is_fixed": _update(Textbook, r["fork"], school=r["other_school"].school),
        "outcome_version_links_unique": _link(r["outcome"], r["other"]),
        "outcome_version_links_similarity_range": _update(
            OutcomeVersionLink, OutcomeVersionLink.objects.get(old_outcome=r["outcome"]), similarity=Decimal("2")
        ),
        "outcome_version_links_kind_valid": _update(
            OutcomeVersionLink, OutcomeVersionLink.objects.get(old_outcome=r["outcome"]), kind="guess"
        ),
        "outcome_version_links_status_valid": _update(
            OutcomeVersionLink, OutcomeVersionLink.objects.get(old_outcome=r["outcome"]), status="maybe"
        ),
        "textbooks_grade_range": _update(Textbook, r["textbook"], grade_level=0),
        "textbooks_one_fork_per_school": lambda: [  # a second copy of the same global textbook
            _copy(Textbook, r["fork"], global_textbook_id=r["textbook"].pk)() for _twice in range(2)
        ],
        "textbooks_forks_belong_to_a_school": _update(Textbook, r["textbook"], global_textbook=r["fork"]),
        "chapters_number_unique_per_textbook": _copy(Chapter, r["chapter"]),
        "paragraphs_number_unique_per_chapter": _copy(Paragraph, r["paragraph"]),
        "paragraphs_key_terms_is_list": _update(Paragraph, r["paragraph"], key_terms={"term": 1}),
        "paragraphs_questions_is_list": _update(Paragraph, r["paragraph"], questions="?"),
        "paragraphs_key_terms_size": _update(Paragraph, r["paragraph"], key_terms=["t"] * 201),
        "paragraphs_questions_size": _update(Paragraph, r["paragraph"], questions=[{"text": "?"}] * 201),
        "paragraphs_content_length": _update(Paragraph, r["paragraph"], content="x" * 200_001),
        "paragraph_outcomes_unique": _copy(ParagraphOutcome, r["alignment"]),
        "paragraph_outcomes_outcome_of_textbook_subject": _update(ParagraphOutcome, r["alignment"], outcome=r["foreign"]),
        "paragraph_outcomes_confidence_range": _update(ParagraphOutcome, r["alignment"], confidence=Decimal("5")),
        "paragraph_outcomes_notes_length": _update(ParagraphOutcome, r["alignment"], notes="x" * 2_001),
    }


# The constraints broken for real by refusals() (the others are checked from their names only).
REAL_REFUSALS = [
    "chapters_number_unique_per_textbook", "chapters_school_is_parents", "frameworks_validity_order",
    "goso_sections_code_format", "goso_sections_code_unique_per_framework", "goso_subsections_code_format",
    "goso_subsections_code_matches_section", "goso_subsections_code_unique_per_section",
    "learning_outcomes_code_format", "learning_outcomes_code_matches_place", "learning_outcomes_code_unique_per_framework",
    "learning_outcomes_grade_in_subject_range", "learning_outcomes_grade_range", "learning_outcomes_subsection_in_framework",
    "outcome_version_links_kind_valid", "outcome_version_links_similarity_range", "outcome_version_links_status_valid",
    "outcome_version_links_unique", "paragraph_outcomes_confidence_range", "paragraph_outcomes_notes_length",
    "paragraph_outcomes_outcome_of_textbook_subject", "paragraph_outcomes_school_is_parents", "paragraph_outcomes_unique",
    "paragraphs_content_length", "paragraphs_key_terms_is_list", "paragraphs_key_terms_size",
    "paragraphs_number_unique_per_chapter", "paragraphs_questions_is_list", "paragraphs_questions_size",
    "paragraphs_school_is_parents", "schools_live_in_public_schema", "subjects_code_format", "subjects_grade_from_range",
    "subjects_grade_order", "subjects_grade_to_range", "textbooks_forks_belong_to_a_school", "textbooks_grade_range",
    "textbooks_one_fork_per_school", "textbooks_school_is_fixed", "users_role_matches_school",
    "users_superuser_is_methodologist",
]


def declared_constraint_names():
    names = set()
    for model in apps.get_models():
        if model._meta.app_label in PROJECT_APPS:
            names |= {constraint.name for constraint in model._meta.constraints}
            names |= set(getattr(model, "database_rule_messages", {}))
    return names


def test_the_real_refusals_cover_the_constraints_of_this_part(rows):
    """The constraints added with this test (later ones: test_every_constraint_name_becomes_a_message)."""
    assert set(refusals(rows)) == set(REAL_REFUSALS) <= declared_constraint_names()


class _Diagnostic:
    def __init__(self, name, table):
        self.constraint_name, self.table_name, self.column_name, self.message_detail = name, table, None, None
        self.message_primary = f'new row for relation "{table}" violates check constraint "{name}"'


class _Refusal(Exception):
    def __init__(self, name, table, sqlstate):
        super().__init__(name)
        self.diag, self.sqlstate = _Diagnostic(name, table), sqlstate


@pytest.mark.parametrize("name", sorted(declared_constraint_names()))
def test_every_constraint_name_becomes_a_message(name):
    """Every named rule of the models, as PostgreSQL reports it, becomes a message without the name."""
    from django.db import IntegrityError
    from django.db.models import UniqueConstraint

    from database_errors import _constraints_by_name

    model, constraint = _constraints_by_name().get(name, (None, None))
    error = IntegrityError(name)
    error.__cause__ = _Refusal(
        name, model._meta.db_table if model else "t", "23505" if isinstance(constraint, UniqueConstraint) else "23514"
    )

    with translation.override("kk"):
        message = "; ".join(database_error_as_user_error(error).messages)

    assert name not in message and "violates" not in message and message, message


@pytest.mark.parametrize("name", sorted(REAL_REFUSALS))
def test_a_refusal_is_a_translated_message_without_internals(name, rows):
    with super_admin_context():
        with pytest.raises(DatabaseError) as refused, transaction.atomic():
            refusals(rows)[name]()
    error = refused.value

    with translation.override("kk"):
        kazakh = "; ".join(database_error_as_user_error(error).messages)
    with translation.override("en"):
        english = "; ".join(database_error_as_user_error(error).messages)

    assert name in str(error.__cause__.diag.constraint_name or error)  # the refusal we meant, not another one
    for text in (kazakh, english):
        assert name not in text and "violates" not in text and "relation" not in text, text
    assert kazakh != english, kazakh  # translated


def test_an_undeclared_refusal_names_the_fields(rows):
    """Constraints whose model declares no message (unique pairs) get one naming their fields."""
    with super_admin_context():
        with pytest.raises(DatabaseError) as refused, transaction.atomic():
            refusals(rows)["chapters_number_unique_per_textbook"]()

    with translation.override("ru"):
        message = database_error_as_user_error(refused.value).messages[0]

    assert message == "Другая запись уже содержит такие же значения: учебник, номер."


@pytest.mark.parametrize("language", ["ru", "kk", "en"])
def test_the_admin_reports_a_subject_constraint_by_its_rule(language, client, methodologist, subject):
    """Through the admin's form (Django's own check of the constraint), in each language."""
    client.force_login(methodologist)
    prefix = "" if language == "ru" else f"/{language}"

    page = client.post(f"{prefix}/admin/curriculum/subject/add/", {
        "code": "Bad Code", "name_ru": "Предмет", "name_kz": "", "grade_from": 9, "grade_to": 5, "is_active": "on",
    }).content.decode()

    with translation.override(language):
        from django.utils.translation import gettext

        expected = [gettext("'From grade' must not be above 'to grade'."),
                    gettext("Code: use lower-case latin letters, digits and _ (e.g. history_kz).")]
    assert "subjects_code_format" not in page and "subjects_grade_order" not in page
    for message in expected:
        assert message.replace("'", "&#x27;") in page
    if language != "en":
        assert "must not be above" not in page


def test_a_value_of_the_wrong_form_is_a_message_not_a_server_error(rows):
    """A code the numeric sort key cannot read ("x") fails before any check: PostgreSQL's data error."""
    with super_admin_context():
        with pytest.raises(DatabaseError) as refused, transaction.atomic():
            _update(LearningOutcome, rows["outcome"], code="x")()

    with translation.override("kk"):
        message = database_error_as_user_error(refused.value).messages[0]

    assert message == "Рұқсат етілмеген мән: бұл мән."
