"""Promotion of a GOSO-shaped external framework to GOSO (issue 11, item 7): previewed, then imported in
one transaction through the GOSO import; refusals named; the external framework is left as it was."""

import json
import re
import uuid

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse

from curriculum.case import external_framework_promote, import_case_file
from curriculum.external_models import ExternalFramework
from curriculum.importing import ImportFileError, goso_file_import
from curriculum.models import Framework, LearningOutcome, Section, Subsection
from tenants.context import super_admin_context
from tests.import_snapshot import database_snapshot, in_english  # noqa: F401 (fixture)
from tests.test_case_external import rich_external
from tests.test_case_roundtrip import export, rich_framework
from tests.test_import_goso import write_json

pytestmark = pytest.mark.usefixtures("in_english")
UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def foreign_copy(package: dict) -> dict:
    """Our package as another publisher would serve it: every identifier theirs, no extensions."""
    mapping = {}
    text = UUID.sub(lambda match: mapping.setdefault(match.group(), str(uuid.uuid4())), json.dumps(package))
    foreign = json.loads(text)
    for case_object in [foreign["CFDocument"], *foreign["CFItems"], *foreign["CFAssociations"]]:
        case_object.pop("extensions", None)
    foreign["CFDocument"]["creator"] = "Another publisher"
    return foreign


@pytest.fixture
def external(db, tmp_path):
    goso_file_import(path=write_json(tmp_path / "f.json", rich_framework()))
    foreign = foreign_copy(export("goso_test", "ru"))
    import_case_file(path=write_json(tmp_path / "foreign.json", foreign))
    return ExternalFramework.objects.get(identifier=foreign["CFDocument"]["identifier"])


def tree(code):
    return {
        "sections": set(Section.objects.filter(framework__code=code, is_active=True).values_list("code", "name_ru")),
        "subsections": set(Subsection.objects.filter(section__framework__code=code, is_active=True)
                           .values_list("code", "name_ru")),
        "outcomes": set(LearningOutcome.objects.filter(framework__code=code, is_active=True)
                        .values_list("code", "grade", "title_ru")),
    }


def test_a_preview_writes_nothing_and_the_promotion_creates_the_framework(external):
    snapshot = database_snapshot()
    with super_admin_context():
        preview = external_framework_promote(framework=external, code="goso_promoted", subject_code="test_subject",
                                             dry_run=True)
    assert database_snapshot() == snapshot
    assert preview.dry_run and preview.updated == 0
    with super_admin_context():
        report = external_framework_promote(framework=external, code="goso_promoted", subject_code="test_subject")
        assert [len(c.created) for c in report.changes.values()] == [len(c.created) for c in preview.changes.values()]
        promoted = Framework.objects.get(code="goso_promoted")
        assert promoted.subject.code == "test_subject" and promoted.title_ru == external.title
        assert tree("goso_promoted") == tree("goso_test") and tree("goso_promoted")["outcomes"]
    # The external framework is untouched, and the GOSO one is published under our identifiers.
    assert ExternalFramework.objects.get(pk=external.pk).items.count() == len(tree("goso_test")["outcomes"]) + len(
        tree("goso_test")["sections"]) + len(tree("goso_test")["subsections"])
    assert str(promoted.case_id_ru) != str(external.identifier)


@pytest.mark.parametrize(("code", "subject", "message"), [
    ("goso_test", "test_subject", 'a GOSO framework with the code "goso_test" exists already'),
    ("goso_promoted", "nonexistent", 'there is no GOSO subject with the code "nonexistent"'),
])
def test_refusals_are_named_and_change_nothing(external, code, subject, message):
    snapshot = database_snapshot()
    with super_admin_context(), pytest.raises(ImportFileError) as refused:
        external_framework_promote(framework=external, code=code, subject_code=subject)
    assert any(message in error for error in refused.value.errors), refused.value.errors
    assert database_snapshot() == snapshot


@pytest.mark.parametrize(("language", "message"), [
    ("ru", '"7Ni" is not a GOSO code'),
    ("en", 'the framework is in "en"; GOSO frameworks are in Russian or Kazakh'),
])
def test_a_framework_that_is_not_goso_shaped_is_refused(db, tmp_path, language, message):
    package = rich_external()
    package["CFDocument"]["language"] = language
    import_case_file(path=write_json(tmp_path / "c.json", package))
    cambridge = ExternalFramework.objects.get(identifier=package["CFDocument"]["identifier"])
    goso_file_import(path=write_json(tmp_path / "f.json", rich_framework()))
    with super_admin_context(), pytest.raises(ImportFileError) as refused:
        external_framework_promote(framework=cambridge, code="goso_cambridge", subject_code="test_subject")
    assert any(message in error for error in refused.value.errors), refused.value.errors
    assert not Framework.objects.filter(code="goso_cambridge").exists()


def test_only_methodologists_promote(external, school_a):
    from tenants.context import tenant_context

    with tenant_context(school_id=school_a.pk), pytest.raises(PermissionDenied):
        external_framework_promote(framework=external, code="goso_promoted", subject_code="test_subject", dry_run=True)


def promote_url(external):
    return reverse("admin:curriculum_externalframework_promote", args=[external.pk])


def test_the_admin_previews_then_promotes(client, methodologist, external):
    client.force_login(methodologist)
    page = client.get(reverse("admin:curriculum_externalframework_change", args=[external.pk])).content.decode()
    assert promote_url(external) in page
    snapshot = database_snapshot()
    form = {"code": "goso_promoted", "subject": "test_subject"}
    preview = client.post(promote_url(external), {**form, "preview": "1"})
    body = preview.content.decode()
    assert preview.status_code == 200 and database_snapshot() == snapshot
    assert "5.1.1.2" in body and 'name="promote"' in body
    refused = client.post(promote_url(external), {"code": "goso_test", "subject": "test_subject", "preview": "1"})
    assert 'a GOSO framework with the code &quot;goso_test&quot; exists already' in refused.content.decode()
    done = client.post(promote_url(external), {**form, "promote": "1"})
    promoted = Framework.objects.get(code="goso_promoted")
    assert done.status_code == 302 and done["Location"] == reverse("admin:curriculum_framework_change",
                                                                    args=[promoted.pk])


def test_school_staff_cannot_promote(client, admin_a, external):
    client.force_login(admin_a)
    host = {"HTTP_HOST": "school-a.localhost"}
    assert client.get(promote_url(external), **host).status_code == 403
    response = client.post(promote_url(external), {"code": "goso_promoted", "subject": "test_subject", "promote": "1"}, **host)
    assert response.status_code == 403 and not Framework.objects.filter(code="goso_promoted").exists()
