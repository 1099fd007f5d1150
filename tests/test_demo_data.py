"""The demo data of `./dev run`: complete, and loading it again changes nothing."""

import pytest

from curriculum.models import Framework, LearningOutcome
from tenants.context import super_admin_context, tenant_context
from tenants.models import School, User
from tests.prerequisites import shared_data
from textbooks.demo import DEMO_USERS, demo_data_load
from textbooks.models import Paragraph, ParagraphOutcome, Textbook


@pytest.fixture(autouse=True)
def _shared_data():
    shared_data("goso")
    shared_data("textbooks")


def snapshot():
    with super_admin_context():
        return {
            model.__name__: model.objects.count()
            for model in (Framework, LearningOutcome, School, User, Textbook, Paragraph, ParagraphOutcome)
        }


def test_demo_data_is_complete_and_loads_only_once(db, client):
    demo_data_load()
    first = snapshot()
    demo_data_load()
    assert snapshot() == first

    assert first["Framework"] == 9
    with super_admin_context():
        assert LearningOutcome.objects.filter(is_sample=False).count() == 2  # the only real texts in the files
        school = School.objects.get(code="school-1")
        fork = Textbook.objects.get(school=school)
        assert fork.global_textbook.school_id is None
        assert Paragraph.objects.filter(chapter__textbook=fork).count() == 47
    with tenant_context(school_id=school.pk):
        assert ParagraphOutcome.objects.filter(paragraph__chapter__textbook=fork).count() > 0

    for username, password, _role, _school in DEMO_USERS:
        assert client.login(username=username, password=password), username
        client.logout()
