"""CASE identifiers are assigned once and kept: a CFItem's identifier must not change when its code does
(renumbering a branch, moving an outcome, renaming a framework's code), since other CASE servers and
textbooks refer to it. A new row still gets the UUIDv5 of framework code, language, kind and code
(0005, the values published so far); should that value belong to an older row that was renumbered
away from the code, the new row's name gets its id appended. A parent link (isChildOf) is
recomputed only when the parent changes (a move), the translation link never after insert.
"""

import importlib

from django.db import migrations

BOOKKEEPING = "ARRAY['updated_at', 'case_id_ru', 'case_id_kk', 'case_translation_id', 'case_link_ru', 'case_link_kk']"

# Is this identifier already some other row's? Static queries per table, so their plans are kept.
TAKEN = """
CREATE OR REPLACE FUNCTION goso_case_id_taken(table_name text, row_id bigint, identifier uuid)
RETURNS boolean LANGUAGE plpgsql STABLE AS $$
BEGIN
    IF table_name = 'frameworks' THEN
        RETURN EXISTS (SELECT FROM frameworks WHERE (case_id_ru = identifier OR case_id_kk = identifier) AND id <> row_id);
    ELSIF table_name = 'goso_sections' THEN
        RETURN EXISTS (SELECT FROM goso_sections WHERE (case_id_ru = identifier OR case_id_kk = identifier) AND id <> row_id);
    ELSIF table_name = 'goso_subsections' THEN
        RETURN EXISTS (SELECT FROM goso_subsections WHERE (case_id_ru = identifier OR case_id_kk = identifier) AND id <> row_id);
    END IF;
    RETURN EXISTS (SELECT FROM learning_outcomes WHERE (case_id_ru = identifier OR case_id_kk = identifier) AND id <> row_id);
END $$
"""

IDENTIFIERS = f"""
CREATE OR REPLACE FUNCTION goso_case_identifiers() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    framework_code text;
    kind text;
    name text;
    parent_column text;
    parent_ru uuid;
    parent_kk uuid;
    keep boolean := TG_OP = 'UPDATE' AND OLD.case_id_ru IS NOT NULL AND OLD.case_id_kk IS NOT NULL;
BEGIN
    IF TG_OP = 'INSERT' THEN
        NEW.updated_at := coalesce(NEW.updated_at, now());  -- set-based writers may leave it out
    ELSE
        IF to_jsonb(NEW) - {BOOKKEEPING} IS DISTINCT FROM to_jsonb(OLD) - {BOOKKEEPING} THEN
            NEW.updated_at := now();
        ELSE
            NEW.updated_at := OLD.updated_at;
        END IF;
    END IF;
    IF keep THEN
        NEW.case_id_ru := OLD.case_id_ru;
        NEW.case_id_kk := OLD.case_id_kk;
        NEW.case_translation_id := OLD.case_translation_id;
    END IF;
    IF TG_TABLE_NAME = 'frameworks' THEN
        IF NOT keep THEN
            name := NEW.code;
            IF goso_case_id_taken(TG_TABLE_NAME, NEW.id, goso_case_uuid(name || '/ru'))
               OR goso_case_id_taken(TG_TABLE_NAME, NEW.id, goso_case_uuid(name || '/kk')) THEN
                name := name || '#' || NEW.id;
            END IF;
            NEW.case_id_ru := goso_case_uuid(name || '/ru');
            NEW.case_id_kk := goso_case_uuid(name || '/kk');
            NEW.case_translation_id := goso_case_uuid(
                name || '/kk/isTranslationOf/' || NEW.case_id_kk || '/' || NEW.case_id_ru);
        END IF;
        RETURN NEW;
    ELSIF TG_TABLE_NAME = 'goso_sections' THEN
        kind := 'section';
        parent_column := 'framework_id';
        SELECT f.code, f.case_id_ru, f.case_id_kk INTO framework_code, parent_ru, parent_kk
        FROM frameworks f WHERE f.id = NEW.framework_id;
    ELSIF TG_TABLE_NAME = 'goso_subsections' THEN
        kind := 'subsection';
        parent_column := 'section_id';
        SELECT f.code, s.case_id_ru, s.case_id_kk INTO framework_code, parent_ru, parent_kk
        FROM goso_sections s JOIN frameworks f ON f.id = s.framework_id WHERE s.id = NEW.section_id;
    ELSE
        kind := 'outcome';
        parent_column := 'subsection_id';
        SELECT f.code, s.case_id_ru, s.case_id_kk INTO framework_code, parent_ru, parent_kk
        FROM goso_subsections s, frameworks f WHERE s.id = NEW.subsection_id AND f.id = NEW.framework_id;
    END IF;
    IF NOT keep THEN
        name := NEW.code;
        IF goso_case_id_taken(TG_TABLE_NAME, NEW.id, goso_case_uuid(framework_code || '/ru/' || kind || '/' || name))
           OR goso_case_id_taken(TG_TABLE_NAME, NEW.id, goso_case_uuid(framework_code || '/kk/' || kind || '/' || name)) THEN
            name := name || '#' || NEW.id;
        END IF;
        NEW.case_id_ru := goso_case_uuid(framework_code || '/ru/' || kind || '/' || name);
        NEW.case_id_kk := goso_case_uuid(framework_code || '/kk/' || kind || '/' || name);
        NEW.case_translation_id := goso_case_uuid(
            framework_code || '/kk/isTranslationOf/' || NEW.case_id_kk || '/' || NEW.case_id_ru);
    END IF;
    -- The isChildOf association is new when the parent is (a move), else it stays.
    IF NOT keep OR OLD.case_link_ru IS NULL OR OLD.case_link_kk IS NULL
       OR to_jsonb(OLD) ->> parent_column IS DISTINCT FROM to_jsonb(NEW) ->> parent_column THEN
        NEW.case_link_ru := goso_case_uuid(framework_code || '/ru/isChildOf/' || NEW.case_id_ru || '/' || parent_ru);
        NEW.case_link_kk := goso_case_uuid(framework_code || '/kk/isChildOf/' || NEW.case_id_kk || '/' || parent_kk);
    ELSE
        NEW.case_link_ru := OLD.case_link_ru;
        NEW.case_link_kk := OLD.case_link_kk;
    END IF;
    RETURN NEW;
END $$
"""


def _previous_identifiers():
    return importlib.import_module("curriculum.migrations.0005_case_identifiers").IDENTIFIERS


class Migration(migrations.Migration):

    dependencies = [
        ("curriculum", "0007_external_frameworks"),
    ]

    operations = [
        migrations.RunSQL(
            [TAKEN, IDENTIFIERS],
            reverse_sql=[_previous_identifiers(), "DROP FUNCTION IF EXISTS goso_case_id_taken(text, bigint, uuid)"],
        ),
    ]
