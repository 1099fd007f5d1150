"""The database's grade check (migrations 0004, 0015) on each of its three paths: outcomes written, a
subject's grades narrowed, a framework moved to another subject. 0015 starts it from the statement's rows."""

import pytest
from django.db import DatabaseError, transaction

from curriculum.models import Framework, LearningOutcome, Subject
from tenants.context import super_admin_context


def test_an_outcome_outside_its_subjects_grades_is_refused(outcome):
    with super_admin_context(), pytest.raises(DatabaseError, match="outside its subject"), transaction.atomic():
        LearningOutcome.objects.filter(pk=outcome.pk).update(grade=11, code="11" + outcome.code[outcome.code.index("."):])


def test_a_framework_moved_to_a_subject_without_its_grades_is_refused_and_one_with_them_is_not(outcome):
    with super_admin_context():
        narrow = Subject.objects.create(code="narrow", name_ru="Узкий", grade_from=10, grade_to=11)
        wide = Subject.objects.create(code="wide", name_ru="Широкий", grade_from=1, grade_to=11)
        with pytest.raises(DatabaseError, match="outside its subject"), transaction.atomic():
            Framework.objects.filter(pk=outcome.framework_id).update(subject=narrow)
        Framework.objects.filter(pk=outcome.framework_id).update(subject=wide)
        assert Framework.objects.get(pk=outcome.framework_id).subject == wide


def test_narrowing_another_subject_leaves_this_one(outcome):
    with super_admin_context():
        other = Subject.objects.create(code="other", name_ru="Другой", grade_from=1, grade_to=11)
        Subject.objects.filter(pk=other.pk).update(grade_from=10)
        with pytest.raises(DatabaseError, match="outside its subject"), transaction.atomic():
            Subject.objects.filter(pk=outcome.framework.subject_id).update(grade_from=outcome.grade + 1)
