"""Admin pages: a fixed number of queries whatever the number of rows, numeric code order, the
framework tree, the outcome chooser narrowed to the textbook, and the fork action."""

import json
import re
import time
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from curriculum.models import Framework, LearningOutcome, Section, Subject, Subsection
from tenants.context import super_admin_context, tenant_context
from tests.conftest import make_textbook
from textbooks.models import Paragraph, ParagraphOutcome, Textbook


def add_outcomes(subsection, count, *, grade=7, start=2):
    with super_admin_context():
        LearningOutcome.objects.bulk_create(
            LearningOutcome(
                framework_id=subsection.section.framework_id, subsection=subsection, grade=grade,
                code=f"{grade}.{subsection.code}.{number}", title_ru=f"цель {number}",
            )
            for number in range(start, start + count)
        )


def queries_for(client, url, **extra):
    # Warm first: a process remembers hosts and content types between requests (tenants.middleware).
    assert client.get(url, **extra).status_code == 200
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url, **extra)
    assert response.status_code == 200
    return len(queries)


def test_outcome_list_queries_do_not_grow_with_rows(client, methodologist, outcome, subsection):
    client.force_login(methodologist)
    url = reverse("admin:curriculum_learningoutcome_changelist")
    filtered = f"{url}?framework__id__exact={outcome.framework_id}&section={subsection.section_id}"

    few, few_filtered = queries_for(client, url), queries_for(client, filtered)
    add_outcomes(subsection, 60)
    many, many_filtered = queries_for(client, url), queries_for(client, filtered)

    assert many == few <= 16
    assert many_filtered == few_filtered <= 20


@pytest.mark.parametrize("url_name, user, host", [
    ("admin:curriculum_framework_changelist", "methodologist", "testserver"),
    ("admin:curriculum_subject_changelist", "methodologist", "testserver"),
    ("admin:curriculum_section_changelist", "methodologist", "testserver"),
    ("admin:curriculum_subsection_changelist", "methodologist", "testserver"),
    ("admin:textbooks_textbook_changelist", "admin_a", "school-a.localhost"),
    ("admin:textbooks_chapter_changelist", "admin_a", "school-a.localhost"),
    ("admin:textbooks_paragraph_changelist", "admin_a", "school-a.localhost"),
    ("admin:textbooks_paragraphoutcome_changelist", "admin_a", "school-a.localhost"),
])
def test_lists_use_a_fixed_number_of_queries(url_name, user, host, client, request, subject, outcome, textbook_a, alignment_a):
    client.force_login(request.getfixturevalue(user))
    url = reverse(url_name)

    few = queries_for(client, url, HTTP_HOST=host)
    with super_admin_context():
        for number in range(2, 6):
            framework = Framework.objects.create(code=f"fw{number}", subject=subject, title_ru=f"Программа {number}")
            section = Section.objects.create(framework=framework, code="1", name_ru="Раздел")
            Subsection.objects.create(section=section, code="1.1", name_ru="Подраздел")
            textbook = make_textbook(subject, school=textbook_a.school, title=f"Учебник {number}", chapters=2, paragraphs=2)
            for paragraph in Paragraph.objects.filter(chapter__textbook=textbook):
                ParagraphOutcome.objects.create(paragraph=paragraph, outcome=outcome)
    many = queries_for(client, url, HTTP_HOST=host)

    assert many == few


def test_paragraph_page_queries_do_not_grow_with_alignments(client, admin_a, paragraph_a, subsection):
    client.force_login(admin_a)
    url = reverse("admin:textbooks_paragraph_change", args=[paragraph_a.pk])
    add_outcomes(subsection, 30, start=1)
    outcomes = list(LearningOutcome.objects.order_by("code_sort"))
    with super_admin_context():
        ParagraphOutcome.objects.create(paragraph=paragraph_a, outcome=outcomes[0])

    few = queries_for(client, url, HTTP_HOST="school-a.localhost")
    with super_admin_context():
        ParagraphOutcome.objects.bulk_create(ParagraphOutcome(paragraph=paragraph_a, outcome=o) for o in outcomes[1:])
    many = queries_for(client, url, HTTP_HOST="school-a.localhost")

    assert many == few <= 25


def test_codes_sort_numerically_in_lists(client, methodologist, outcome, subsection):
    add_outcomes(subsection, 11)  # 7.2.1.2 ... 7.2.1.12
    client.force_login(methodologist)

    response = client.get(reverse("admin:curriculum_learningoutcome_changelist"))
    by_code_desc = client.get(reverse("admin:curriculum_learningoutcome_changelist"), {"o": "-1"})

    codes = [row.code for row in response.context["cl"].result_list]
    assert codes[-3:] == ["7.2.1.10", "7.2.1.11", "7.2.1.12"]
    assert [row.code for row in by_code_desc.context["cl"].result_list][:2] == ["7.2.1.12", "7.2.1.11"]


def test_framework_tree_shows_sections_subsections_and_outcomes_by_grade(client, admin_a, outcome, subsection):
    add_outcomes(subsection, 1, grade=8, start=1)  # 8.2.1.1
    client.force_login(admin_a)
    url = reverse("admin:curriculum_framework_tree", args=[outcome.framework_id])

    few = queries_for(client, url, HTTP_HOST="school-a.localhost")
    add_outcomes(subsection, 20, grade=9, start=1)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url, HTTP_HOST="school-a.localhost")

    assert len(queries) == few
    tree = response.context["tree"]
    assert tree.grades == [5, 6, 7, 8, 9]
    row = tree.sections[0].rows[0]
    assert [[o.code for o in cell] for cell in row.outcomes_by_grade][2:4] == [["7.2.1.1"], ["8.2.1.1"]]
    page = response.content.decode()
    assert "Развитие культуры" in page and "7.2.1.1" in page and "9.2.1.20" in page


def test_outcome_chooser_offers_only_the_textbooks_subject_and_grade(client, admin_a, paragraph_a, outcome, subsection):
    add_outcomes(subsection, 1, grade=8, start=1)  # another grade
    with super_admin_context():
        other_subject = Subject.objects.create(code="biology", name_ru="Биология", grade_from=7, grade_to=9)
        other = Framework.objects.create(code="bio", subject=other_subject, title_ru="Биология")
        other_sub = Subsection.objects.create(section=Section.objects.create(framework=other, code="2", name_ru="Р"), code="2.1", name_ru="П")
        LearningOutcome.objects.create(framework=other, subsection=other_sub, grade=7, code="7.2.1.1", title_ru="клетка")
    client.force_login(admin_a)
    page = client.get(reverse("admin:textbooks_paragraph_change", args=[paragraph_a.pk]), HTTP_HOST="school-a.localhost")
    chooser_url = page.context["inline_admin_formsets"][0].formset.empty_form.fields["outcome"].widget.get_url()
    assert f"subject={outcome.framework.subject_id}" in chooser_url and "grade=7" in chooser_url

    # What select2 sends: the chooser's own URL plus the term and the source field.
    query = "&term=7&app_label=textbooks&model_name=paragraphoutcome&field_name=outcome"
    response = client.get(chooser_url + query, HTTP_HOST="school-a.localhost")

    offered = [item["id"] for item in json.loads(response.content)["results"]]
    assert offered == [str(outcome.pk)]


def test_paragraph_form_refuses_an_outcome_of_another_subject(client, admin_a, paragraph_a):
    with super_admin_context():
        other_subject = Subject.objects.create(code="biology", name_ru="Биология", grade_from=7, grade_to=9)
        other = Framework.objects.create(code="bio", subject=other_subject, title_ru="Биология")
        sub = Subsection.objects.create(section=Section.objects.create(framework=other, code="2", name_ru="Р"), code="2.1", name_ru="П")
        foreign = LearningOutcome.objects.create(framework=other, subsection=sub, grade=7, code="7.2.1.1", title_ru="клетка")
    client.force_login(admin_a)
    form = {
        "chapter": paragraph_a.chapter_id, "number": paragraph_a.number, "sort_order": 0, "title": paragraph_a.title,
        "outcome_links-TOTAL_FORMS": 1, "outcome_links-INITIAL_FORMS": 0, "outcome_links-MIN_NUM_FORMS": 0,
        "outcome_links-MAX_NUM_FORMS": 1000, "outcome_links-0-outcome": foreign.pk, "outcome_links-0-confidence": "1",
        "external_links-TOTAL_FORMS": 0, "external_links-INITIAL_FORMS": 0, "external_links-MIN_NUM_FORMS": 0,
        "external_links-MAX_NUM_FORMS": 1000,
    }

    response = client.post(reverse("admin:textbooks_paragraph_change", args=[paragraph_a.pk]), form, HTTP_HOST="school-a.localhost")

    assert response.status_code == 200
    assert response.context["inline_admin_formsets"][0].formset.errors[0]["outcome"]
    with super_admin_context():
        assert not ParagraphOutcome.objects.filter(paragraph=paragraph_a).exists()


def test_school_admin_forks_a_global_textbook_into_own_school(client, admin_a, global_textbook, global_alignment):
    client.force_login(admin_a)
    data = {"action": "fork_into_school", "_selected_action": [global_textbook.pk]}

    response = client.post(reverse("admin:textbooks_textbook_changelist"), data, HTTP_HOST="school-a.localhost", follow=True)

    assert response.status_code == 200
    with tenant_context(school_id=admin_a.school_id):
        fork = Textbook.objects.get(school=admin_a.school, global_textbook=global_textbook)
        assert ParagraphOutcome.objects.filter(paragraph__chapter__textbook=fork).count() == 1
    assert any(global_textbook.title in str(message) for message in response.context["messages"])


def test_forking_twice_is_a_warning_not_an_error(client, admin_a, global_textbook):
    client.force_login(admin_a)
    data = {"action": "fork_into_school", "_selected_action": [global_textbook.pk]}
    client.post(reverse("admin:textbooks_textbook_changelist"), data, HTTP_HOST="school-a.localhost")

    response = client.post(reverse("admin:textbooks_textbook_changelist"), data, HTTP_HOST="school-a.localhost", follow=True)

    assert response.status_code == 200
    assert any("already has a copy" in str(message) or "уже есть копия" in str(message) for message in response.context["messages"])


def test_methodologist_chooses_the_school_to_fork_into(client, methodologist, school_b, global_textbook):
    client.force_login(methodologist)
    url = reverse("admin:textbooks_textbook_changelist")
    data = {"action": "fork_into_school", "_selected_action": [global_textbook.pk]}

    chooser = client.post(url, data)
    done = client.post(url, {**data, "school": school_b.pk}, follow=True)

    assert "admin/textbooks/textbook/fork_into_school.html" in [t.name for t in chooser.templates]
    assert done.status_code == 200
    with super_admin_context():
        assert Textbook.objects.filter(school=school_b, global_textbook=global_textbook).exists()


def test_teacher_has_no_fork_action(client, teacher_a, global_textbook):
    client.force_login(teacher_a)

    response = client.get(reverse("admin:textbooks_textbook_changelist"), HTTP_HOST="school-a.localhost")

    assert response.status_code == 200
    assert "fork_into_school" not in response.content.decode()


def test_a_list_of_10000_outcomes_opens_quickly(client, methodologist, subsection):
    with super_admin_context():
        framework = subsection.section.framework
        subsections = [
            Subsection.objects.create(section=subsection.section, code=f"2.{number}", name_ru=f"Подраздел {number}")
            for number in range(2, 12)
        ]
        LearningOutcome.objects.bulk_create(
            LearningOutcome(framework=framework, subsection=sub, grade=grade, code=f"{grade}.{sub.code}.{number}", title_ru="цель")
            for sub in subsections for grade in range(5, 10) for number in range(1, 201)
        )
        assert LearningOutcome.objects.count() == 10_000
    client.force_login(methodologist)
    url = reverse("admin:curriculum_learningoutcome_changelist")
    client.get(url)  # warm up templates

    started = time.perf_counter()
    response = client.get(url, {"q": "цель", "grade": "7"})
    elapsed = time.perf_counter() - started

    assert response.context["cl"].result_count == 2_000
    print(f"\noutcome list, 10,000 outcomes, search + filter: {elapsed * 1000:.0f} ms")
    assert elapsed < 2.0


def test_global_textbook_page_offers_the_copy_to_school_admins_only(client, admin_a, teacher_a, global_textbook, textbook_a):
    url = reverse("admin:textbooks_textbook_change", args=[global_textbook.pk])
    client.force_login(admin_a)
    on_global = client.get(url, HTTP_HOST="school-a.localhost").content.decode()
    on_own = client.get(reverse("admin:textbooks_textbook_change", args=[textbook_a.pk]), HTTP_HOST="school-a.localhost").content.decode()
    client.force_login(teacher_a)
    for_teacher = client.get(url, HTTP_HOST="school-a.localhost").content.decode()

    assert 'value="fork_into_school"' in on_global
    assert 'value="fork_into_school"' not in on_own
    assert 'value="fork_into_school"' not in for_teacher


def framework_form(framework, **changes):
    data = {
        "code": framework.code, "subject": framework.subject_id, "title_ru": framework.title_ru, "is_active": "on",
        "order_number": framework.order_number, "amendments": "",
        "sections-TOTAL_FORMS": 0, "sections-INITIAL_FORMS": 0, "sections-MIN_NUM_FORMS": 0, "sections-MAX_NUM_FORMS": 1000,
    }
    return {**data, **changes}


def test_amendments_are_edited_one_per_line(client, methodologist, framework):
    client.force_login(methodologist)
    url = reverse("admin:curriculum_framework_change", args=[framework.pk])
    assert "467 2022-11-21" in client.get(url).content.decode()

    response = client.post(url, framework_form(framework, amendments="467 2022-11-21\n\n№ 12 2023-01-05\n"))

    assert response.status_code == 302
    with super_admin_context():
        framework.refresh_from_db()
    assert framework.amendments == [{"order_number": "467", "date": "2022-11-21"}, {"order_number": "№ 12", "date": "2023-01-05"}]


def test_a_malformed_amendment_names_its_line(client, methodologist, framework):
    client.force_login(methodologist)
    url = reverse("admin:curriculum_framework_change", args=[framework.pk])

    response = client.post(url, framework_form(framework, amendments="467 2022-11-21\n467 21.11.2022"))

    assert response.status_code == 200
    errors = response.context["adminform"].form.errors["amendments"]
    assert "2" in errors[0] and "467 21.11.2022" in errors[0]


def test_an_outcome_saved_unchanged_keeps_its_subsection(client, methodologist, outcome, subsection):
    """The subsection chooser shows the outcome's own subsection, so saving the page as it is works."""
    client.force_login(methodologist)
    url = reverse("admin:curriculum_learningoutcome_change", args=[outcome.pk])
    page = client.get(url).content.decode()
    assert re.search(rf'<option value="{subsection.pk}"[^>]*selected', page), "the chooser lost the subsection"
