"""Restructuring a framework in place (curriculum/structure.py) and the tree editor's views
(curriculum/tree_views.py): renumbering keeps alignments, version links and CASE identifiers, codes stay
in the grammar, everything happens in one transaction, schools can neither do it nor see a difference."""

import datetime
from unittest import mock

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import DatabaseError
from django.urls import reverse
from django.utils import translation

from curriculum import structure
from curriculum.codes import OUTCOME_CODE_RE, SECTION_CODE_RE, SUBSECTION_CODE_RE
from curriculum.models import Framework, LearningOutcome, OutcomeVersionLink, Section, Subsection
from curriculum.versions import framework_new_version
from tenants.context import super_admin_context, tenant_context
from tests.conftest import PASSWORD
from tests.import_snapshot import database_snapshot, in_english  # noqa: F401 (fixture)
from textbooks.models import ParagraphOutcome

IDENTIFIER_FIELDS = ("case_id_ru", "case_id_kk", "case_translation_id")


pytestmark = pytest.mark.usefixtures("in_english")


@pytest.fixture
def branch(framework, outcome):
    """Section 2 > 2.1 > 7.2.1.1 (fixture), 7.2.1.2, 8.2.1.1; 2.2 > 7.2.2.1; section 3 > 3.1 > 7.3.1.1."""
    with super_admin_context():
        subsection = outcome.subsection
        LearningOutcome.objects.create(framework=framework, subsection=subsection, grade=7, code="7.2.1.2", title_ru="ханства")
        LearningOutcome.objects.create(framework=framework, subsection=subsection, grade=8, code="8.2.1.1", title_ru="реформы")
        second = Subsection.objects.create(section=subsection.section, code="2.2", name_ru="Искусство")
        LearningOutcome.objects.create(framework=framework, subsection=second, grade=7, code="7.2.2.1", title_ru="орнамент")
        other = Section.objects.create(framework=framework, code="3", name_ru="Экономика")
        other_sub = Subsection.objects.create(section=other, code="3.1", name_ru="Хозяйство")
        LearningOutcome.objects.create(framework=framework, subsection=other_sub, grade=7, code="7.3.1.1", title_ru="кочевники")
    return subsection.section


def identifiers(model, **lookup):
    with super_admin_context():
        return {row["id"]: row for row in model.objects.filter(**lookup).values("id", "code", *IDENTIFIER_FIELDS)}


def codes(framework):
    with super_admin_context():
        return {
            "sections": sorted(Section.objects.filter(framework=framework).values_list("code", flat=True)),
            "subsections": sorted(Subsection.objects.filter(section__framework=framework).values_list("code", flat=True)),
            "outcomes": sorted(LearningOutcome.objects.filter(framework=framework).values_list("code", flat=True)),
        }


def test_preview_lists_every_code_that_changes_and_writes_nothing(branch, framework):
    before = database_snapshot()
    with super_admin_context():
        changes = structure.branch_renumber_preview(node=branch, new_code="4")
    assert [(c.kind, c.old_code, c.new_code) for c in changes] == [
        ("section", "2", "4"), ("subsection", "2.1", "4.1"), ("subsection", "2.2", "4.2"),
        ("outcome", "7.2.1.1", "7.4.1.1"), ("outcome", "7.2.1.2", "7.4.1.2"), ("outcome", "7.2.2.1", "7.4.2.1"),
        ("outcome", "8.2.1.1", "8.4.1.1"),
    ]
    assert database_snapshot() == before


def test_renumber_keeps_alignments_version_links_and_case_identifiers(
    branch, framework, global_alignment, alignment_a, alignment_b, school_a,
):
    with super_admin_context():
        Framework.objects.filter(pk=framework.pk).update(valid_from=datetime.date(2018, 10, 31))
        framework.refresh_from_db()
        newer = framework_new_version(framework=framework, code="goso_next", order_number="467", order_date=datetime.date(2022, 11, 21))
        links_before = set(OutcomeVersionLink.objects.filter(new_outcome__framework=newer).values_list("old_outcome_id", "new_outcome_id", "case_id_ru"))
        alignments_before = set(ParagraphOutcome.objects.values_list("pk", "paragraph_id", "outcome_id"))
        new_section = Section.objects.get(framework=newer, code="2")
    ids = {model: identifiers(model, **lookup) for model, lookup in (
        (Section, {"framework": newer}), (Subsection, {"section__framework": newer}), (LearningOutcome, {"framework": newer}))}

    with super_admin_context():
        changes = structure.branch_renumber(node=new_section, new_code="4")
    assert len(changes) == 7

    assert codes(newer) == {
        "sections": ["3", "4"], "subsections": ["3.1", "4.1", "4.2"],
        "outcomes": ["7.3.1.1", "7.4.1.1", "7.4.1.2", "7.4.2.1", "8.4.1.1"],
    }
    for model, before in ids.items():
        after = identifiers(model, pk__in=before)
        assert {pk: {field: row[field] for field in IDENTIFIER_FIELDS} for pk, row in after.items()} == {
            pk: {field: row[field] for field in IDENTIFIER_FIELDS} for pk, row in before.items()
        }, model
        assert all(row["case_id_ru"] is not None for row in after.values())
    with super_admin_context():
        assert set(OutcomeVersionLink.objects.filter(new_outcome__framework=newer).values_list(
            "old_outcome_id", "new_outcome_id", "case_id_ru")) == links_before
        assert set(ParagraphOutcome.objects.values_list("pk", "paragraph_id", "outcome_id")) == alignments_before
    # Every code is in the grammar and agrees with its place (the database's triggers checked it too).
    with super_admin_context():
        for outcome in LearningOutcome.objects.filter(framework=newer).select_related("subsection__section"):
            assert OUTCOME_CODE_RE.match(outcome.code) and outcome.code.startswith(f"{outcome.grade}.{outcome.subsection.code}.")
            assert SUBSECTION_CODE_RE.match(outcome.subsection.code) and outcome.subsection.code.split(".")[0] == outcome.subsection.section.code
            assert SECTION_CODE_RE.match(outcome.subsection.section.code)


def test_a_new_row_with_a_code_renumbered_away_gets_a_new_identifier(branch, framework):
    with super_admin_context():
        old = Section.objects.get(pk=branch.pk)
        structure.branch_renumber(node=branch, new_code="4")
        fresh = structure.node_add(parent=framework, code="2", name_ru="Новый раздел 2")
        fresh.refresh_from_db()
        assert fresh.case_id_ru not in (None, old.case_id_ru)
        assert Section.objects.get(pk=branch.pk).case_id_ru == old.case_id_ru


def test_renumber_a_subsection_and_move_one(branch, framework):
    with super_admin_context():
        subsection = Subsection.objects.get(section=branch, code="2.2")
        structure.branch_renumber(node=subsection, new_code="2.5")
        assert codes(framework)["outcomes"] == ["7.2.1.1", "7.2.1.2", "7.2.5.1", "7.3.1.1", "8.2.1.1"]
        target = Section.objects.get(framework=framework, code="3")
        link_before = Subsection.objects.get(pk=subsection.pk).case_link_ru
        changes = structure.node_move(node=Subsection.objects.get(pk=subsection.pk), parent=target)
        assert [(c.old_code, c.new_code) for c in changes] == [("2.5", "3.2"), ("7.2.5.1", "7.3.2.1")]
        moved = Subsection.objects.get(pk=subsection.pk)
        assert (moved.section_id, moved.code) == (target.pk, "3.2")
        assert moved.case_link_ru != link_before  # a new parent is a new isChildOf association


def test_move_an_outcome_gets_the_next_free_number(branch, framework, outcome):
    with super_admin_context():
        target = Subsection.objects.get(code="3.1", section__framework=framework)
        identifier = LearningOutcome.objects.get(pk=outcome.pk).case_id_ru
        structure.node_move(node=LearningOutcome.objects.get(pk=outcome.pk), parent=target)
        moved = LearningOutcome.objects.get(pk=outcome.pk)
        assert (moved.subsection_id, moved.code, moved.case_id_ru) == (target.pk, "7.3.1.2", identifier)


@pytest.mark.parametrize("new_code, message", [
    ("3", 'section 2 «Развитие культуры»: the code 3 is already taken by section 3 «Экономика»'),
    ("2.1", 'section 2 «Развитие культуры»: "2.1" is not a section code'),
    ("x", 'section 2 «Развитие культуры»: "x" is not a section code'),
])
def test_conflicts_are_clear_errors_naming_the_row(branch, new_code, message):
    before = database_snapshot()
    with super_admin_context(), pytest.raises(ValidationError) as refusal:
        structure.branch_renumber(node=branch, new_code=new_code)
    assert message in refusal.value.messages[0]
    assert database_snapshot() == before


def test_an_outcome_code_already_taken_is_named(branch, framework, outcome):
    with super_admin_context():
        target = Subsection.objects.get(section__framework=framework, code="3.1")
        with pytest.raises(ValidationError) as refusal:
            structure.node_move(node=LearningOutcome.objects.get(pk=outcome.pk), parent=target, code="7.3.1.1")
    assert refusal.value.messages[0].startswith(
        "learning outcome 7.2.1.1 cannot become 7.3.1.1: that code is already taken by learning outcome 7.3.1.1 «кочевники»")


def test_a_superseded_framework_is_refused(branch, framework):
    with super_admin_context():
        Framework.objects.filter(pk=framework.pk).update(valid_from=datetime.date(2018, 10, 31))
        framework.refresh_from_db()
        framework_new_version(framework=framework, code="goso_next", order_number="467", order_date=datetime.date(2022, 11, 21))
        with pytest.raises(ValidationError) as refusal:
            structure.branch_renumber_preview(node=Section.objects.get(pk=branch.pk), new_code="4")
    assert "is superseded by its newer version goso_next" in refusal.value.messages[0]


def test_a_failure_half_way_leaves_everything_unchanged(branch, framework):
    before = database_snapshot()

    def fail(rows, fields, **kwargs):
        # The section and its subsections are renumbered by now; the outcomes' write fails.
        assert Subsection.objects.filter(section=branch).order_by("code").first().code == "4.1"
        raise DatabaseError("the connection dropped")

    with super_admin_context(), mock.patch.object(LearningOutcome.objects, "bulk_update", side_effect=fail) as failing:
        with pytest.raises(DatabaseError):
            structure.branch_renumber(node=branch, new_code="4")
        assert failing.call_count == 1
    assert database_snapshot() == before


def test_a_school_context_cannot_restructure(branch, school_a):
    before = database_snapshot()
    with tenant_context(school_id=school_a.pk):
        with pytest.raises(PermissionDenied):
            structure.branch_renumber(node=branch, new_code="4")
        with pytest.raises(PermissionDenied):
            structure.siblings_reorder(kind="section", ids=[branch.pk])
        # Below the service, row-level security refuses the write itself: the school sees the rows
        # but its UPDATE touches none.
        assert Section.objects.filter(pk=branch.pk).exists()
        assert Section.objects.filter(pk=branch.pk).update(code="4") == 0
    assert database_snapshot() == before


def test_an_outsider_school_sees_no_change_but_the_codes(branch, framework, school_b, alignment_b):
    def school_view():
        with tenant_context(school_id=school_b.pk):
            return {
                "alignments": set(ParagraphOutcome.objects.values_list("pk", "paragraph_id", "outcome_id")),
                "outcomes": set(LearningOutcome.objects.values_list("pk", "case_id_ru")),
            }

    before = school_view()
    with super_admin_context():
        structure.branch_renumber(node=branch, new_code="4")
    assert school_view() == before
    with tenant_context(school_id=school_b.pk):
        assert LearningOutcome.objects.get(pk=alignment_b.outcome_id).code == "7.4.1.1"


def test_reorder_up_down_add_edit_deactivate(branch, framework):
    with super_admin_context():
        second = Subsection.objects.get(section=branch, code="2.2")
        structure.sibling_step(node=second, step=-1)
        assert list(Subsection.objects.filter(section=branch).order_by("display_order").values_list("code", flat=True)) == ["2.2", "2.1"]
        structure.siblings_reorder(kind="subsection", ids=list(Subsection.objects.filter(section=branch).order_by("code_sort").values_list("pk", flat=True)))
        assert list(Subsection.objects.filter(section=branch).order_by("display_order").values_list("code", flat=True)) == ["2.1", "2.2"]
        with pytest.raises(ValidationError):  # rows of two parents
            structure.siblings_reorder(kind="subsection", ids=list(Subsection.objects.filter(section__framework=framework).values_list("pk", flat=True)))
        added = structure.node_add(parent=second, grade=7, title_ru="новый результат", title_kz="жаңа")
        assert (added.code, added.grade, added.title_kz) == ("7.2.2.2", 7, "жаңа")
        structure.node_edit(node=added, title_ru="изменённый текст", title_kz="")
        structure.node_set_active(node=added, active=False)
        added.refresh_from_db()
        assert (added.title_ru, added.is_active) == ("изменённый текст", False)
        with pytest.raises(ValidationError):  # the grade outside the subject's 5-9
            structure.node_add(parent=second, grade=11, title_ru="вне классов")


# --- the admin views --------------------------------------------------------------------------------


def login(client, user):
    assert client.login(username=user.username, password=PASSWORD)
    return client


def test_renumber_page_previews_then_saves(client, methodologist, branch, framework):
    login(client, methodologist)
    url = reverse("admin:curriculum_framework_renumber", args=[framework.pk])
    before = database_snapshot()
    page = client.get(url, {"node": f"section:{branch.pk}", "code": "4"}, HTTP_ACCEPT_LANGUAGE="en")
    assert page.status_code == 200
    text = page.content.decode()
    assert "7.2.1.1" in text and "7.4.1.1" in text and "7 codes will change" in text
    assert database_snapshot() == before
    done = client.post(url, {"node": f"section:{branch.pk}", "code": "4", "confirm": "1"})
    assert done.status_code == 302
    assert codes(framework)["sections"] == ["3", "4"]
    tree = client.get(done["Location"].split("#")[0])
    assert "7.4.1.1" in tree.content.decode() and "Codes changed: 2 → 4" in tree.content.decode()


def test_moving_a_subsection_to_another_section_is_previewed_then_saved(client, methodologist, branch, framework):
    login(client, methodologist)
    url = reverse("admin:curriculum_framework_renumber", args=[framework.pk])
    with super_admin_context():
        subsection = Subsection.objects.get(section=branch, code="2.2")
        target = Section.objects.get(framework=framework, code="3")
    before = database_snapshot()
    query = {"node": f"subsection:{subsection.pk}", "section": target.pk, "code": ""}
    page = client.get(url, query).content.decode()
    assert "2 codes will change" in page and "3.2" in page and "7.3.2.1" in page
    assert database_snapshot() == before
    assert client.post(url, query | {"confirm": "1"}).status_code == 302
    with super_admin_context():
        moved = Subsection.objects.get(pk=subsection.pk)
        assert (moved.section_id, moved.code) == (target.pk, "3.2")
        assert list(moved.outcomes.values_list("code", flat=True)) == ["7.3.2.1"]


@pytest.mark.parametrize("language, expected", [
    ("en", "the code 3 is already taken by section 3"),
    ("ru", "код 3 уже занят: раздел 3"),
    ("kk", "3 коды бос емес: бөлім 3"),
])
def test_renumber_conflict_is_shown_in_the_users_language(client, methodologist, branch, framework, language, expected):
    login(client, methodologist)
    with translation.override(language):
        url = reverse("admin:curriculum_framework_renumber", args=[framework.pk])
    page = client.get(url, {"node": f"section:{branch.pk}", "code": "3"}, HTTP_ACCEPT_LANGUAGE=language)
    assert page.status_code == 200
    assert expected in page.content.decode()


def test_structure_posts_from_the_tree(client, methodologist, branch, framework, outcome):
    login(client, methodologist)
    url = reverse("admin:curriculum_framework_structure", args=[framework.pk])
    with super_admin_context():
        target = Subsection.objects.get(section__framework=framework, code="3.1")
    response = client.post(url, {"op": "move", "kind": "outcome", "id": outcome.pk, "parent": target.pk})
    assert response.status_code == 302
    with super_admin_context():
        assert LearningOutcome.objects.get(pk=outcome.pk).code == "7.3.1.2"
    client.post(url, {"op": f"deactivate:outcome:{outcome.pk}"})
    client.post(url, {"op": "edit", "kind": "section", "id": branch.pk, "text_ru": "Культура", "text_kz": "Мәдениет"})
    with super_admin_context():
        assert LearningOutcome.objects.get(pk=outcome.pk).is_active is False
        assert Section.objects.filter(pk=branch.pk).values_list("name_ru", "name_kz").get() == ("Культура", "Мәдениет")
    # Adding in place: an outcome of grade 7 to 2.1 (the next free number), a section to the framework.
    client.post(url, {"op": "add", "kind": "subsection", "id": outcome.subsection_id, "grade": "7", "text_ru": "новая цель"})
    client.post(url, {"op": "add", "kind": "framework", "id": framework.pk, "text_ru": "Новый раздел", "text_kz": "Жаңа бөлім"})
    with super_admin_context():
        assert LearningOutcome.objects.get(framework=framework, title_ru="новая цель").code == "7.2.1.3"
        assert Section.objects.filter(framework=framework, code="4").values_list("name_ru", "name_kz").get() == ("Новый раздел", "Жаңа бөлім")
    # An empty Russian name is refused with a message, nothing saved.
    before = database_snapshot()
    refused = client.post(url, {"op": "edit", "kind": "section", "id": branch.pk, "text_ru": " "}, follow=True)
    assert database_snapshot() == before
    assert "Not saved: Name (Russian): " in refused.content.decode()


def test_tree_page_is_an_editor_only_for_methodologists(client, methodologist, admin_a, branch, framework):
    url = reverse("admin:curriculum_framework_tree", args=[framework.pk])
    page = login(client, methodologist).get(url).content.decode()
    assert "tree_editor.js" in page and "Sortable.min.js" in page and 'id="goso-node-dialog"' in page
    assert "<script>" not in page  # no inline script (Content-Security-Policy)
    client.logout()
    school_page = login(client, admin_a).get(url, HTTP_HOST="school-a.localhost")
    assert school_page.status_code == 200
    assert "tree_editor.js" not in school_page.content.decode()
    assert client.post(reverse("admin:curriculum_framework_structure", args=[framework.pk]),
                       {"op": f"deactivate:section:{branch.pk}"}, HTTP_HOST="school-a.localhost").status_code == 403


def test_the_code_rules_are_checked_before_the_service_returns(branch, framework):
    """The deferred rules fire inside the service, not at some later commit: a broken plan is refused
    there, with the rule's message, and nothing of it stays."""
    before = database_snapshot()
    broken = [structure.CodeChange("section", branch.pk, "2", "4", "")]  # the subsections left as 2.x
    with super_admin_context(), pytest.raises(ValidationError) as refusal:
        structure._apply(broken)
    assert "does not start with its section code" in " ".join(refusal.value.messages)
    assert database_snapshot() == before
