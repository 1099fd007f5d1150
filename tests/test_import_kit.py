"""The generic import kit (importkit/): structure by JSON Schema with problems named by JSON path,
the one sync routine of both importers (plan, dry run, apply), and file reading."""

import json

import pytest
from django.utils import translation

from curriculum.importing import GOSO_SCHEMA, OUTCOME_FIELDS, SECTION_FIELDS
from curriculum.models import Section
from importkit.fields import Problems
from importkit.files import read_json_file
from importkit.schema import schema_problems
from importkit.sync import Changes, rows_sync
from tenants.context import super_admin_context
from textbooks.importing import PARAGRAPH_FIELDS, TEXTBOOK_SCHEMA


def problems_of(data, schema) -> list[str]:
    problems = Problems()
    with translation.override("en"):
        schema_problems(data, schema, problems)
    return problems


def test_the_schema_names_each_structural_problem_by_its_json_path():
    data = {
        "subject": {"code": "x"}, "framework": {"code": "f", "title_ru": "t"},
        "sections": [
            {"code": "1", "name_ru": "р", "subsections": [{"code": "1.1", "name_ru": "п"}, {"code": "1.2", "name_ru": 5}]},
            {"code": "2", "name_ru": "р", "colour": "red"},
        ],
        "outcomes": [{"code": "5.1.1.1", "grade": 5}],
    }

    assert problems_of(data, GOSO_SCHEMA) == [
        "outcomes[0].title_ru: is missing",
        "sections[0].subsections[1].name_ru: expected text, got a number",
        f"sections[1].colour: unknown key (expected one of: {', '.join(sorted([*SECTION_FIELDS, 'subsections']))})",
    ]


def test_the_schema_is_generated_from_the_specs_that_read_the_values():
    """One source: every key a spec reads is a key the schema allows, and required keys are required."""
    outcome = GOSO_SCHEMA["properties"]["outcomes"]["items"]
    assert set(outcome["properties"]) == set(OUTCOME_FIELDS)
    assert set(outcome["required"]) == {key for key, (_kind, required) in OUTCOME_FIELDS.items() if required}
    paragraph = TEXTBOOK_SCHEMA["properties"]["chapters"]["items"]["properties"]["paragraphs"]["items"]
    assert set(paragraph["properties"]) == set(PARAGRAPH_FIELDS)


@pytest.mark.parametrize("data, expected", [
    (None, ["$: expected an object, got null"]),
    ({"textbook": {}, "chapters": {}}, [
        "chapters: expected a list, got an object", "textbook.title: is missing", "textbook.subject_code: is missing",
        "textbook.grade_level: is missing",
    ]),
])
def test_textbook_structure_problems(data, expected):
    assert problems_of(data, TEXTBOOK_SCHEMA) == expected


def test_rows_sync_plans_in_a_dry_run_and_writes_when_applied(framework):
    with super_admin_context():
        Section.objects.create(framework=framework, code="1", name_ru="старый")
        Section.objects.create(framework=framework, code="3", name_ru="уходит")
        wanted = {code: {"framework_id": framework.pk, "code": code, "name_ru": name} for code, name in [("1", "новый"), ("2", "второй")]}

        def sync(**options):
            changes = Changes()
            existing = {section.code: section for section in Section.objects.filter(framework=framework)}
            rows = rows_sync(model=Section, existing=existing, wanted=wanted, changes=changes, **options)
            return changes, rows

        planned, _rows = sync(dry_run=True)
        assert (planned.created, planned.updated, planned.missing) == (["2"], {"1": ["name_ru"]}, ["3"])
        assert sorted(Section.objects.filter(framework=framework).values_list("code", "name_ru", "is_active")) == [
            ("1", "старый", True), ("3", "уходит", True),
        ]

        applied, rows = sync(deactivate_missing=True)
        assert (applied.created, applied.updated, applied.missing) == (planned.created, planned.updated, planned.missing)
        assert sorted(Section.objects.filter(framework=framework).values_list("code", "name_ru", "is_active")) == [
            ("1", "новый", True), ("2", "второй", True), ("3", "уходит", False),
        ]
        assert all(rows[code].pk for code in ("1", "2", "3"))

        again, _rows = sync()
        assert (again.created, again.updated, again.unchanged, again.missing) == ([], {}, 2, [])


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "utf-16", "utf-16-le", "utf-16-be", "utf-32"])
def test_files_are_decoded_whatever_the_unicode_encoding(tmp_path, encoding):
    path = tmp_path / "f.json"
    path.write_bytes(json.dumps({"name": "Қазақстан тарихы"}, ensure_ascii=False).encode(encoding))

    assert read_json_file(path) == {"name": "Қазақстан тарихы"}
