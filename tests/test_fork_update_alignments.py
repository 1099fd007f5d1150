"""Fork updates and alignments to external items (textbooks/fork_updates.py, textbooks/migrations/0009):
the three-way review and the apply treat them as they treat GOSO alignments (per item: the global
change where the school left the alignment as copied, the school's own edit otherwise), an upstream
change of alignments alone raises the global textbook's version, and the apply costs the same
statements whatever the size and whichever kinds of alignment change."""

import importlib
import re
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tenants.context import super_admin_context, tenant_context
from tests.api_support import api_client
from tests.conftest import make_textbook
from tests.test_external_alignments import act, act_leaves  # noqa: F401 (fixtures)
from tests.test_fork_updates import SCHOOL_A, _english, fork_of, outcomes, paragraph_of, source  # noqa: F401
from tests.test_versions import backdate, version_of
from textbooks.fork_updates import EXTERNAL_ALIGNMENTS, Status, fork_update_apply, fork_update_review
from textbooks.models import Chapter, ExternalAlignment, Paragraph, ParagraphOutcome, Textbook
from textbooks.versions import fork_update_info

MIGRATION = importlib.import_module("textbooks.migrations.0009_fork_updates_external_alignments")


def external_of(textbook, number):
    """{external item id: (confidence, notes)} of a paragraph."""
    return {
        link.external_item_id: (str(link.confidence), link.notes)
        for link in ExternalAlignment.objects.filter(paragraph__chapter__textbook=textbook, paragraph__number=number)
    }


@pytest.fixture
def linked_source(source, act_leaves):
    """The global textbook with paragraph 1001 aligned to two external items, before any copy."""
    with super_admin_context():
        paragraph = paragraph_of(source, 1001)
        ExternalAlignment.objects.create(paragraph=paragraph, external_item=act_leaves[0], confidence=Decimal("0.80"))
        ExternalAlignment.objects.create(paragraph=paragraph, external_item=act_leaves[1], confidence=Decimal("0.50"))
    return source


@pytest.fixture
def diverged_links(linked_source, school_a, act_leaves):
    """School A's copy; then upstream: 1001 drops item 0, re-rates item 1 (0.90), adds item 2 and
    changes nothing else; 1002 gains item 0. The school re-rated item 1 (0.30) in its copy."""
    fork = fork_of(linked_source, school_a)
    with super_admin_context():
        backdate(linked_source)
        p1001 = paragraph_of(linked_source, 1001)
        ExternalAlignment.objects.filter(paragraph=p1001, external_item=act_leaves[0]).delete()
        ExternalAlignment.objects.filter(paragraph=p1001, external_item=act_leaves[1]).update(confidence=Decimal("0.90"))
        ExternalAlignment.objects.create(paragraph=p1001, external_item=act_leaves[2], confidence=Decimal("0.70"), notes="стр. 3")
        ExternalAlignment.objects.create(paragraph=paragraph_of(linked_source, 1002), external_item=act_leaves[0])
    with tenant_context(school_id=school_a.pk):
        ExternalAlignment.objects.filter(paragraph=paragraph_of(fork, 1001), external_item=act_leaves[1]).update(confidence=Decimal("0.30"))
    return fork


def test_the_copy_records_its_external_alignments(linked_source, school_a, act_leaves):
    fork = fork_of(linked_source, school_a)
    with tenant_context(school_id=school_a.pk):
        snapshot = Textbook.objects.defer(None).get(pk=fork.pk).source_snapshot
        review = fork_update_review(fork=fork)
    assert snapshot["1.1001"][EXTERNAL_ALIGNMENTS] == {
        str(act_leaves[0].pk): {"confidence": "0.80", "notes": ""}, str(act_leaves[1].pk): {"confidence": "0.50", "notes": ""},
    }
    assert snapshot["1.1002"][EXTERNAL_ALIGNMENTS] == {}
    assert not review.pending and not review.available


def test_review_shows_external_alignments_changed_upstream_and_locally(diverged_links, school_a, act_leaves):
    with tenant_context(school_id=school_a.pk):
        review = fork_update_review(fork=diverged_links)
    items = {item.key: item for item in review.items if item.status != Status.UNCHANGED}
    assert {key: item.status for key, item in items.items()} == {"1.1001": Status.CHANGED, "1.1002": Status.CHANGED}
    assert items["1.1001"].upstream_fields == (EXTERNAL_ALIGNMENTS,)
    assert items["1.1001"].local_fields == (EXTERNAL_ALIGNMENTS,)
    assert items["1.1002"].local_fields == ()
    assert set(items["1.1001"].theirs[EXTERNAL_ALIGNMENTS]) == {str(act_leaves[1].pk), str(act_leaves[2].pk)}
    assert review.external_item_labels.keys() == {str(leaf.pk) for leaf in act_leaves[:3]}


def test_apply_follows_upstream_where_the_school_left_alignments_as_copied(diverged_links, school_a, act_leaves):
    with tenant_context(school_id=school_a.pk):
        report = fork_update_apply(fork=diverged_links, take_all_non_conflicting=True)
        after = fork_update_review(fork=diverged_links)
        p1001, p1002 = external_of(diverged_links, 1001), external_of(diverged_links, 1002)
        customised = Textbook.objects.get(pk=diverged_links.pk).is_customized

    assert (report.taken, report.pending, report.reviewed) == (2, 0, True)
    # Item 0 removed and item 2 added upstream: followed; item 1 re-rated by the school: kept.
    assert p1001 == {act_leaves[1].pk: ("0.30", ""), act_leaves[2].pk: ("0.70", "стр. 3")}
    assert p1002 == {act_leaves[0].pk: ("1.00", "")}
    assert not after.pending and not after.available
    # The school's own re-rating stays visible as a local change, and only it marked the copy.
    assert [(item.key, item.status) for item in after.changes] == [("1.1001", Status.LOCAL)]
    assert customised


def test_a_school_edit_of_a_paragraph_conflicts_and_taking_theirs_merges_alignments(diverged_links, school_a, act_leaves):
    with super_admin_context():
        Paragraph.objects.filter(pk=paragraph_of(diverged_links.global_textbook, 1001).pk).update(title="Глобальное")
    with tenant_context(school_id=school_a.pk):
        Paragraph.objects.filter(pk=paragraph_of(diverged_links, 1001).pk).update(title="Наше")
        review = fork_update_review(fork=diverged_links)
        assert [item.key for item in review.conflicts] == ["1.1001"]
        fork_update_apply(fork=diverged_links, take_all_non_conflicting=True)  # a conflict is never taken so
        assert paragraph_of(diverged_links, 1001).title == "Наше"
        assert act_leaves[0].pk in external_of(diverged_links, 1001)
        fork_update_apply(fork=diverged_links, decisions={"1.1001": "theirs"})
        assert paragraph_of(diverged_links, 1001).title == "Глобальное"
        assert external_of(diverged_links, 1001) == {act_leaves[1].pk: ("0.30", ""), act_leaves[2].pk: ("0.70", "стр. 3")}


def test_a_school_removal_of_an_alignment_changed_upstream_stays(diverged_links, school_a, act_leaves):
    with tenant_context(school_id=school_a.pk):
        ExternalAlignment.objects.filter(paragraph=paragraph_of(diverged_links, 1001), external_item=act_leaves[1]).delete()
        fork_update_apply(fork=diverged_links, decisions={"1.1001": "theirs"})
        assert external_of(diverged_links, 1001) == {act_leaves[2].pk: ("0.70", "стр. 3")}


def test_keeping_ours_leaves_the_alignments_and_moves_the_base(diverged_links, school_a, act_leaves):
    with tenant_context(school_id=school_a.pk):
        before = external_of(diverged_links, 1001)
        report = fork_update_apply(fork=diverged_links, decisions={"1.1001": "ours", "1.1002": "ours"})
        assert external_of(diverged_links, 1001) == before and external_of(diverged_links, 1002) == {}
        assert report.reviewed and not fork_update_review(fork=diverged_links).available


def test_api_and_admin_show_external_alignments(diverged_links, admin_a, client, act_leaves):
    body = api_client(admin_a).get(f"/api/v1/textbooks/{diverged_links.pk}/fork-update/review/", **SCHOOL_A).json()
    item = next(item for item in body["items"] if item["key"] == "1.1001")
    assert item["upstream_fields"] == [EXTERNAL_ALIGNMENTS]
    assert item["theirs"][EXTERNAL_ALIGNMENTS][str(act_leaves[2].pk)] == {"confidence": "0.70", "notes": "стр. 3"}

    client.force_login(admin_a)
    page = client.get(reverse("admin:textbooks_textbook_fork_update", args=[diverged_links.pk]), **SCHOOL_A)
    assert page.status_code == 200
    text = page.content.decode()
    assert "External alignments" in text
    assert act_leaves[2].human_coding_scheme and f"{act_leaves[2].human_coding_scheme} (0.70)" in text


# The version / "update available" signal ---------------------------------------------------------

@pytest.mark.parametrize("change", ["add_external", "remove_external", "rerate_external", "add_goso", "remove_goso"])
def test_an_alignment_only_change_upstream_raises_the_version_and_offers_the_update(linked_source, school_a, act_leaves, outcomes, change):
    fork = fork_of(linked_source, school_a)
    with super_admin_context():
        backdate(linked_source)
        p1001 = paragraph_of(linked_source, 1001)
        {
            "add_external": lambda: ExternalAlignment.objects.create(paragraph=p1001, external_item=act_leaves[2]),
            "remove_external": lambda: ExternalAlignment.objects.filter(paragraph=p1001, external_item=act_leaves[0]).delete(),
            "rerate_external": lambda: ExternalAlignment.objects.filter(paragraph=p1001).update(confidence=Decimal("0.10")),
            "add_goso": lambda: ParagraphOutcome.objects.create(paragraph=p1001, outcome=outcomes[2]),
            "remove_goso": lambda: ParagraphOutcome.objects.filter(paragraph=p1001, outcome=outcomes[0]).delete(),
        }[change]()
        assert version_of(linked_source) == 2
    with tenant_context(school_id=school_a.pk):
        assert fork_update_info(fork=fork).available
        review = fork_update_review(fork=fork)
    assert review.available and [(item.key, item.status) for item in review.pending] == [("1.1001", Status.CHANGED)]


def test_unchanged_alignments_and_school_alignments_raise_no_version(linked_source, school_a, act_leaves, outcomes):
    fork = fork_of(linked_source, school_a)
    with super_admin_context():
        backdate(linked_source)
        ExternalAlignment.objects.filter(paragraph__chapter__textbook=linked_source).update(notes="")  # the same values
        ParagraphOutcome.objects.filter(paragraph__chapter__textbook=linked_source).update(anchor="")
        assert version_of(linked_source) == 1
    with tenant_context(school_id=school_a.pk):
        backdate(fork)
        ExternalAlignment.objects.create(paragraph=paragraph_of(fork, 1002), external_item=act_leaves[2])
        ParagraphOutcome.objects.filter(paragraph__chapter__textbook=fork).delete()
        assert version_of(fork) == 1
    with super_admin_context():
        assert version_of(linked_source) == 1


# Stored bases from before migration 0009 -----------------------------------------------------------

def strip_external(fork):
    """The base as stored before 0009: no "external_alignments" anywhere."""
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE textbooks SET source_snapshot = (SELECT jsonb_object_agg(key, value - 'external_alignments') "
            "FROM jsonb_each(source_snapshot)) WHERE id = %s",
            [fork.pk],
        )


def test_an_old_base_without_external_alignments_reads_as_none(source, school_a, act_leaves):
    fork = fork_of(source, school_a)
    with super_admin_context():
        strip_external(fork)
        backdate(source)
        ExternalAlignment.objects.create(paragraph=paragraph_of(source, 1001), external_item=act_leaves[0])
    with tenant_context(school_id=school_a.pk):
        review = fork_update_review(fork=fork)
        assert [(item.key, item.status, item.upstream_fields) for item in review.pending] == [
            ("1.1001", Status.CHANGED, (EXTERNAL_ALIGNMENTS,)),
        ]
        report = fork_update_apply(fork=fork, take_all_non_conflicting=True)
        assert report.reviewed and external_of(fork, 1001) == {act_leaves[0].pk: ("1.00", "")}


def test_the_migration_takes_the_global_external_alignments_as_the_old_bases(linked_source, school_a, act_leaves):
    fork = fork_of(linked_source, school_a)
    with super_admin_context():
        strip_external(fork)
        with connection.cursor() as cursor:
            cursor.execute(MIGRATION.BACKFILL)
            snapshot = Textbook.objects.defer(None).get(pk=fork.pk).source_snapshot
            assert set(snapshot["1.1001"][EXTERNAL_ALIGNMENTS]) == {str(act_leaves[0].pk), str(act_leaves[1].pk)}
            assert EXTERNAL_ALIGNMENTS not in snapshot["1.1002"]  # none: read as none
            cursor.execute(MIGRATION.UNFILL)
            assert EXTERNAL_ALIGNMENTS not in Textbook.objects.defer(None).get(pk=fork.pk).source_snapshot["1.1001"]
            cursor.execute(MIGRATION.BACKFILL)
    with tenant_context(school_id=school_a.pk):
        assert not fork_update_review(fork=fork).pending  # the copied alignments are no upstream change


# Statements of the apply -----------------------------------------------------------------------------

def apply_statements(subject, school, outcomes, leaves, *, paragraphs, external):
    """Statements of taking over, for every paragraph of a copy (2 chapters of `paragraphs`), a new text,
    one GOSO alignment added, one removed and one re-rated, and (`external`) the same for external
    alignments; one paragraph removed and one added per chapter."""
    with super_admin_context():
        source = make_textbook(subject, title=f"Учебник {paragraphs} {external}", chapters=2, paragraphs=paragraphs)
        for paragraph in Paragraph.objects.filter(chapter__textbook=source):
            ParagraphOutcome.objects.create(paragraph=paragraph, outcome=outcomes[0])
            ParagraphOutcome.objects.create(paragraph=paragraph, outcome=outcomes[1])
            if external:
                ExternalAlignment.objects.create(paragraph=paragraph, external_item=leaves[0])
                ExternalAlignment.objects.create(paragraph=paragraph, external_item=leaves[1])
    fork = fork_of(source, school)
    with super_admin_context():
        backdate(source)
        links = ParagraphOutcome.objects.filter(paragraph__chapter__textbook=source)
        links.filter(outcome=outcomes[0]).delete()
        links.filter(outcome=outcomes[1]).update(confidence=Decimal("0.40"))
        external_links = ExternalAlignment.objects.filter(paragraph__chapter__textbook=source)
        external_links.filter(external_item=leaves[0]).delete()
        external_links.filter(external_item=leaves[1]).update(confidence=Decimal("0.40"))
        Paragraph.objects.filter(chapter__textbook=source).update(content="новый текст")
        for paragraph in Paragraph.objects.filter(chapter__textbook=source):
            ParagraphOutcome.objects.create(paragraph=paragraph, outcome=outcomes[2])
            if external:
                ExternalAlignment.objects.create(paragraph=paragraph, external_item=leaves[2])
        for chapter in Chapter.objects.filter(textbook=source):
            Paragraph.objects.filter(chapter=chapter, number=chapter.number * 1000 + 1).delete()
            Paragraph.objects.create(chapter=chapter, number=chapter.number * 1000 + 999, title="Новый")
    with tenant_context(school_id=school.pk), CaptureQueriesContext(connection) as queries:
        report = fork_update_apply(fork=fork, take_all_non_conflicting=True)
    with tenant_context(school_id=school.pk):
        assert report.reviewed and report.taken == 2 * paragraphs + 2
        assert not fork_update_review(fork=fork).pending
        if external:
            assert set(ExternalAlignment.objects.filter(paragraph__chapter__textbook=fork).values_list("external_item_id", "confidence")) == {
                (leaves[1].pk, Decimal("0.40")), (leaves[2].pk, Decimal("1.00")),
            }
    return len(queries)


def test_taking_a_text_change_over_writes_no_alignment(linked_source, school_a):
    fork = fork_of(linked_source, school_a)
    with super_admin_context():
        backdate(linked_source)
        Paragraph.objects.filter(chapter__textbook=linked_source).update(content="новый текст")
    with tenant_context(school_id=school_a.pk), CaptureQueriesContext(connection) as queries:
        assert fork_update_apply(fork=fork, take_all_non_conflicting=True).taken == 6
    written = [
        re.match(r'(?:UPDATE|INSERT INTO|DELETE FROM|WITH) "?(\w+)', query["sql"]).group(1)
        for query in queries if query["sql"].startswith(("INSERT", "UPDATE", "DELETE", "WITH"))
    ]
    assert written == ["paragraphs", "textbooks"]  # alignments left as they are: not rewritten


def test_the_apply_costs_the_same_statements_whatever_the_size_and_kinds(subject, school_a, outcomes, act_leaves):
    small = apply_statements(subject, school_a, outcomes, act_leaves, paragraphs=3, external=True)
    large = apply_statements(subject, school_a, outcomes, act_leaves, paragraphs=12, external=True)
    goso_only = apply_statements(subject, school_a, outcomes, act_leaves, paragraphs=12, external=False)
    assert small == large
    # Both kinds of alignment are written by the statements of one; the one more is Django's cascade
    # deleting the removed paragraphs' external alignments.
    assert large == goso_only + 1
