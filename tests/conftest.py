"""Test set-up: a real PostgreSQL, the owner role creates and migrates the test database, and every
test runs as the runtime role (the `default` alias mirrors `owner`'s test database with the runtime
role's credentials), so row-level security applies to the tests exactly as to the app.

Fixtures are chained: school -> subject -> framework -> section -> subsection -> outcome ->
global textbook -> chapter -> paragraph -> alignment; schools A (the owner) and B (the outsider).
"""

from decimal import Decimal

import pytest
from django.conf import settings as django_settings
from django.db import connections
from django.utils import translation

from curriculum.models import Framework, LearningOutcome, Section, Subject, Subsection
from tenants.context import super_admin_context, tenant_context
from tenants.models import Domain, Role, School, User
from tests.prerequisites import pytest_runtest_makereport  # noqa: F401 (hook: CI=true turns skips into failures)
from tests.timing import pytest_runtest_logreport, pytest_terminal_summary  # noqa: F401 (hooks: time per file)
from textbooks.models import Chapter, Paragraph, ParagraphOutcome, Textbook

PASSWORD = "correct-horse-battery-staple"


@pytest.fixture(scope="session")
def django_db_setup(request, django_test_environment, django_db_blocker, django_db_keepdb):
    from django.test.utils import setup_databases, teardown_databases

    with django_db_blocker.unblock():
        # `owner` creates and migrates; `default` (runtime role) mirrors it.
        config = setup_databases(
            verbosity=request.config.option.verbose,
            interactive=False,
            keepdb=django_db_keepdb,
            aliases={"owner", "default"},
            serialized_aliases=set(),
        )
    yield
    if not django_db_keepdb:
        with django_db_blocker.unblock():
            for alias in connections:
                connections[alias].close()
            teardown_databases(config, verbosity=request.config.option.verbose)


@pytest.fixture(autouse=True)
def _default_language():
    # A request to /kk/... leaves Kazakh active in the test thread (and reverse() would then build
    # /kk/ URLs): every test starts in the default language.
    translation.activate(django_settings.LANGUAGE_CODE)
    yield
    translation.deactivate()


@pytest.fixture(autouse=True)
def _hosts(settings):
    # Schools are served at <code>.localhost; the test client's own host is public (the settings
    # never name `testserver` themselves).
    settings.ALLOWED_HOSTS = [".localhost", "localhost", "testserver"]
    settings.PUBLIC_HOSTS = [*settings.PUBLIC_HOSTS, "testserver"]


@pytest.fixture
def as_super_admin():
    return super_admin_context


@pytest.fixture
def as_school():
    def enter(school):
        return tenant_context(school_id=school.pk)

    return enter


def make_school(code, number):
    school = School.objects.create(code=code, name_ru=f"Школа № {number}", name_kz=f"№ {number} мектеп")
    Domain.objects.create(domain=f"{code}.localhost", tenant=school, is_primary=True)
    return school


def make_user(username, *, role, school=None):
    return User.objects.create_user(username=username, password=PASSWORD, role=role, school=school, is_staff=True)


@pytest.fixture
def school_a(db):
    with super_admin_context():
        return make_school("school-a", 1)


@pytest.fixture
def school_b(db):
    with super_admin_context():
        return make_school("school-b", 2)


@pytest.fixture
def methodologist(db):
    with super_admin_context():
        return make_user("methodologist", role=Role.METHODOLOGIST)


@pytest.fixture
def admin_a(school_a):
    with super_admin_context():
        return make_user("admin_a", role=Role.SCHOOL_ADMIN, school=school_a)


@pytest.fixture
def admin_b(school_b):
    with super_admin_context():
        return make_user("admin_b", role=Role.SCHOOL_ADMIN, school=school_b)


@pytest.fixture
def teacher_a(school_a):
    with super_admin_context():
        return make_user("teacher_a", role=Role.TEACHER, school=school_a)


@pytest.fixture
def subject(db):
    with super_admin_context():
        return Subject.objects.create(code="history_kz", name_ru="История Казахстана", name_kz="Қазақстан тарихы", grade_from=5, grade_to=9)


@pytest.fixture
def framework(subject):
    with super_admin_context():
        return Framework.objects.create(
            code="goso_hist_kz_2022_09_16", subject=subject, title_ru="ГОСО История Казахстана (5-9 классы)",
            order_number="399", amendments=[{"order_number": "467", "date": "2022-11-21"}],
        )


@pytest.fixture
def section(framework):
    with super_admin_context():
        return Section.objects.create(framework=framework, code="2", name_ru="Развитие культуры")


@pytest.fixture
def subsection(section):
    with super_admin_context():
        return Subsection.objects.create(section=section, code="2.1", name_ru="Мировоззрение и религия")


@pytest.fixture
def outcome(subsection):
    with super_admin_context():
        return LearningOutcome.objects.create(
            framework=subsection.section.framework, subsection=subsection, grade=7, code="7.2.1.1",
            title_ru="объяснять роль религии",
        )


def make_textbook(subject, *, school=None, title="История Казахстана (XVIII-XIX вв.)", chapters=1, paragraphs=1):
    textbook = Textbook.objects.create(school=school, subject=subject, title=title, grade_level=7, language="ru")
    for chapter_number in range(1, chapters + 1):
        chapter = Chapter.objects.create(textbook=textbook, number=chapter_number, title=f"Глава {chapter_number}")
        for paragraph_number in range(1, paragraphs + 1):
            Paragraph.objects.create(
                chapter=chapter, number=chapter_number * 1000 + paragraph_number, title=f"Параграф {paragraph_number}",
                learning_objective="проведем анализ", key_terms=["Тауке хан", "Жеты жаргы"],
                questions=[{"text": "Каковы основные цели?"}],
            )
    return textbook


@pytest.fixture
def global_textbook(subject):
    with super_admin_context():
        return make_textbook(subject)


@pytest.fixture
def global_paragraph(global_textbook):
    with super_admin_context():
        return Paragraph.objects.get(chapter__textbook=global_textbook)


@pytest.fixture
def global_alignment(global_paragraph, outcome):
    with super_admin_context():
        return ParagraphOutcome.objects.create(paragraph=global_paragraph, outcome=outcome, confidence=Decimal("0.80"))


@pytest.fixture
def textbook_a(subject, school_a):
    with super_admin_context():
        return make_textbook(subject, school=school_a, title="Учебник школы A")


@pytest.fixture
def paragraph_a(textbook_a):
    with super_admin_context():
        return Paragraph.objects.get(chapter__textbook=textbook_a)


@pytest.fixture
def alignment_a(paragraph_a, outcome):
    with super_admin_context():
        return ParagraphOutcome.objects.create(paragraph=paragraph_a, outcome=outcome)


@pytest.fixture
def textbook_b(subject, school_b):
    with super_admin_context():
        return make_textbook(subject, school=school_b, title="Учебник школы B")


@pytest.fixture
def paragraph_b(textbook_b):
    with super_admin_context():
        return Paragraph.objects.get(chapter__textbook=textbook_b)


@pytest.fixture
def alignment_b(paragraph_b, outcome):
    with super_admin_context():
        return ParagraphOutcome.objects.create(paragraph=paragraph_b, outcome=outcome)
