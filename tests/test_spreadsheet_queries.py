"""The spreadsheet import preview loads a file's rows in a fixed number of queries, whatever its length (issue 12,
item 7: an unchanged 926-row file took 8-23 s; bench/bench_spreadsheet.py measures the time), and a row that
writes still gets a savepoint of its own."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from import_export.formats import base_formats

from bench.bench_spreadsheet import PerRowResource
from curriculum.models import LearningOutcome, Section, Subsection
from curriculum.spreadsheets import LearningOutcomeResource, SectionResource, SubsectionResource
from tenants.context import super_admin_context
from tests.test_admin_pages import add_outcomes


def exported(resource_class):
    with super_admin_context():
        return base_formats.CSV().create_dataset(base_formats.CSV().export_data(resource_class().export()))


def preview(resource_class, dataset):
    with super_admin_context(), CaptureQueriesContext(connection) as queries:
        result = resource_class().import_data(
            dataset, dry_run=True, raise_errors=False, use_transactions=True, rollback_on_validation_errors=True,
        )
    assert not result.has_errors() and not result.has_validation_errors()
    return result, [query["sql"] for query in queries]


@pytest.mark.parametrize("resource_class", [SectionResource, SubsectionResource, LearningOutcomeResource])
def test_preview_queries_do_not_grow_with_rows(resource_class, outcome, subsection):
    few = preview(resource_class, exported(resource_class))[1]
    with super_admin_context():
        section = Section.objects.create(framework=subsection.section.framework, code="3", name_ru="Раздел 3")
        for number in range(1, 6):
            Subsection.objects.create(section=section, code=f"3.{number}", name_ru=f"Подраздел 3.{number}")
    add_outcomes(subsection, 40)

    result, many = preview(resource_class, exported(resource_class))

    with super_admin_context():
        rows = resource_class._meta.model.objects.filter(**{f"{resource_class.framework_lookup}": "goso_hist_kz_2022_09_16"})
        assert result.totals["skip"] == len(result.rows) == rows.count() > 1  # all unchanged, all previewed
    assert len(many) == len(few) <= 8, many
    # The file's own transaction (a savepoint inside the test's), none per row: unchanged rows write nothing.
    assert len([sql for sql in many if sql.startswith("SAVEPOINT")]) == 1


def test_the_per_row_baseline_really_queries_per_row(outcome, subsection):
    add_outcomes(subsection, 20)

    queries = preview(PerRowResource, exported(LearningOutcomeResource))[1]

    assert len(queries) > 5 * 21  # the benchmark's baseline is today's behaviour, not a straw man


def test_a_changed_row_is_written_in_its_own_savepoint_and_rolled_back(outcome, subsection):
    dataset = exported(LearningOutcomeResource)
    dataset.dict = [{**row, "title_ru": "изменённая цель"} for row in dataset.dict]

    result, queries = preview(LearningOutcomeResource, dataset)

    assert result.totals["update"] == 1
    update = next(index for index, sql in enumerate(queries) if sql.startswith("UPDATE"))
    assert queries[update - 1].startswith("SAVEPOINT") and queries[update + 1].startswith("RELEASE SAVEPOINT")
    with super_admin_context():
        assert LearningOutcome.objects.get(pk=outcome.pk).title_ru == outcome.title_ru  # a preview keeps nothing
