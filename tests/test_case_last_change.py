"""The CASE packages' change time kept by triggers (curriculum/case_models.py, migration 0013): every kind of
change of a package's content moves its framework's time, deletions included, and nothing else does; the
service's Last-Modified and lastChangeDateTime come from it in one indexed lookup whatever the size.

A test runs in one transaction, where now() does not move: the time is set back a year before each change,
so "moved" is "back to now" and "not moved" is "still a year ago".
"""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django.utils.http import http_date

from curriculum.case import document_identifier, framework_last_change
from curriculum.case_models import FrameworkChange
from curriculum.external import crosswalk_create, crosswalk_delete, crosswalk_update
from curriculum.external_models import ExternalItem
from curriculum.importing import goso_file_import
from curriculum.models import Framework, LearningOutcome, OutcomeVersionLink, Section, Subsection
from tenants.context import super_admin_context
from tests.import_snapshot import in_english  # noqa: F401 (fixture)
from tests.test_case_external import make_crosswalk
from tests.test_case_roundtrip import next_version_with_link, rich_framework
from tests.test_import_goso import write_json

pytestmark = pytest.mark.usefixtures("in_english")
YEAR_AGO = timezone.now() - timedelta(days=365)


@pytest.fixture
def framework(db, tmp_path):
    goso_file_import(path=write_json(tmp_path / "f.json", rich_framework()))
    with super_admin_context():
        return Framework.objects.get(code="goso_test")


def set_back(*frameworks):
    with super_admin_context():
        FrameworkChange.objects.filter(framework__in=frameworks).update(changed_at=YEAR_AGO)


def changed_at(framework):
    return FrameworkChange.objects.get(framework=framework).changed_at


def now():
    with connection.cursor() as cursor:
        cursor.execute("SELECT now()")
        return cursor.fetchone()[0]


def outcome(code, framework_code="goso_test"):
    return LearningOutcome.objects.get(framework__code=framework_code, code=code)


def moved(framework) -> bool:
    # Rows the ORM writes carry its clock (a little after the transaction's start), others now().
    return changed_at(framework) >= now()


def test_an_import_records_the_time_of_its_content(framework):
    assert moved(framework)


CHANGES = {
    "outcome text": lambda: LearningOutcome.objects.filter(code="5.1.1.2").update(title_ru="исправленная цель"),
    "outcome deleted": lambda: outcome("5.1.1.2").delete(),
    "subsection renamed": lambda: Subsection.objects.filter(code="1.1").update(name_ru="новое имя"),
    "subsection deleted": lambda: Subsection.objects.get(code="1.2").delete(),
    "section renamed": lambda: Section.objects.filter(code="1").update(name_ru="новое имя"),
}


@pytest.mark.parametrize("change", CHANGES)
def test_a_content_change_moves_the_time(framework, change):
    set_back(framework)
    with super_admin_context():
        CHANGES[change]()
    assert moved(framework)


def test_a_statement_that_changes_nothing_leaves_the_time(framework):
    set_back(framework)
    with super_admin_context():
        before = outcome("5.1.1.1").updated_at
        outcome("5.1.1.1").save()  # as the admin saves an unchanged form
        assert outcome("5.1.1.1").updated_at == before  # the item's own time stays too (migration 0014)
        LearningOutcome.objects.filter(code="5.1.1.1").update(title_ru=outcome("5.1.1.1").title_ru)
        Section.objects.filter(code="1").update(name_ru=Section.objects.get(code="1").name_ru)
        LearningOutcome.objects.filter(code="no such code").delete()
    assert changed_at(framework) == YEAR_AGO


def test_crosswalks_created_edited_and_deleted_move_the_time(framework):
    set_back(framework)
    crosswalk = make_crosswalk(outcome("5.1.1.2"))
    assert moved(framework)
    with super_admin_context():
        set_back(framework)
        crosswalk_update(crosswalk=crosswalk, notes="the same skill")
        assert moved(framework)
        set_back(framework)
        crosswalk_delete(crosswalk=crosswalk)
        assert moved(framework)


def test_a_crosswalked_external_item_recoded_moves_the_time_an_unlinked_one_does_not(framework):
    crosswalk = make_crosswalk(outcome("5.1.1.2"))
    with super_admin_context():
        other = ExternalItem.objects.create(framework=crosswalk.external_item.framework, identifier=
                                            "5e0d2b6e-2a4c-4f4e-9a51-000000000002", uri="https://example.org/j",
                                            full_statement="Fractions", original={})
        set_back(framework)
        ExternalItem.objects.filter(pk=other.pk).update(human_coding_scheme="7Nf")
        ExternalItem.objects.filter(pk=crosswalk.external_item_id).update(notes="not published in our package")
        assert changed_at(framework) == YEAR_AGO
        ExternalItem.objects.filter(pk=crosswalk.external_item_id).update(human_coding_scheme="7Ni.01")
        assert moved(framework)
        set_back(framework)
        crosswalk.external_item.framework.delete()  # its crosswalks go with it
        assert moved(framework)


def test_only_accepted_version_links_move_both_frameworks(framework, tmp_path):
    link = next_version_with_link(tmp_path, "goso_test_2", status="proposed")
    second = Framework.objects.get(code="goso_test_2")
    set_back(framework, second)
    with super_admin_context():
        OutcomeVersionLink.objects.filter(pk=link.pk).update(similarity=0.5)
        assert changed_at(framework) == changed_at(second) == YEAR_AGO
        OutcomeVersionLink.objects.filter(pk=link.pk).update(status="accepted")
        assert moved(framework) and moved(second)
        set_back(framework, second)
        link.delete()
        assert moved(framework) and moved(second)


def test_another_frameworks_change_leaves_the_time(framework, tmp_path):
    next_version_with_link(tmp_path, "goso_test_2", status="rejected")
    set_back(framework)
    with super_admin_context():
        LearningOutcome.objects.filter(framework__code="goso_test_2").update(title_ru="другая программа")
    assert changed_at(framework) == YEAR_AGO


def test_deleting_a_framework_deletes_its_time(framework, tmp_path):
    next_version_with_link(tmp_path, "goso_test_2", status="rejected")
    with super_admin_context():
        Framework.objects.get(code="goso_test_2").delete()
    assert list(FrameworkChange.objects.values_list("framework__code", flat=True)) == ["goso_test"]


def test_the_service_serves_the_kept_time_in_one_lookup(client, framework):
    """The document, its package and the list say the kept time (here later than anything else)."""
    later = now() + timedelta(days=1)
    with super_admin_context():
        FrameworkChange.objects.filter(framework=framework).update(changed_at=later)
    identifier = document_identifier("goso_test", "ru")
    with CaptureQueriesContext(connection) as queries:
        response = client.get(f"/ims/case/v1p1/CFDocuments/{identifier}")
    assert response["Last-Modified"] == http_date(later.timestamp())
    assert response.json()["lastChangeDateTime"] == later.isoformat(timespec="seconds")
    assert not [q for q in queries if "updated_at" in q["sql"] and "MAX(" in q["sql"].upper()]
    package = client.get(f"/ims/case/v1p1/CFPackages/{identifier}")
    assert package["Last-Modified"] == response["Last-Modified"]
    listed = client.get("/ims/case/v1p1/CFDocuments").json()["CFDocuments"]
    assert [d["lastChangeDateTime"] for d in listed if d["identifier"] == identifier] == [
        response.json()["lastChangeDateTime"]]
    assert framework_last_change(Framework.objects.select_related("subject").get(pk=framework.pk)) == later

