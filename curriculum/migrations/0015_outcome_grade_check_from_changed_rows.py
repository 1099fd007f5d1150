"""The grade check of 0004 starts from the statement's rows. Its one query filtered every outcome of the
database by a CASE over the trigger's table, which no index serves: each statement that wrote outcomes, or
saved any framework or subject, read all outcomes (a 16,000-outcome import's last batches 3.5 s each, and
ten times that over the dead rows of earlier rolled-back imports). One static query per table instead,
joined from `changed` through indexes."""

import importlib

from django.db import migrations

CHECK_GRADES_FUNCTION = """
CREATE OR REPLACE FUNCTION goso_check_outcome_grades() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE bad record;
BEGIN
    IF TG_TABLE_NAME = 'learning_outcomes' THEN
        SELECT o.code, o.grade, s.grade_from, s.grade_to INTO bad
        FROM changed o
        JOIN frameworks f ON f.id = o.framework_id
        JOIN subjects s ON s.id = f.subject_id
        WHERE o.grade NOT BETWEEN s.grade_from AND s.grade_to
        LIMIT 1;
    ELSIF TG_TABLE_NAME = 'frameworks' THEN
        SELECT o.code, o.grade, s.grade_from, s.grade_to INTO bad
        FROM changed f
        JOIN subjects s ON s.id = f.subject_id
        JOIN learning_outcomes o ON o.framework_id = f.id
        WHERE o.grade NOT BETWEEN s.grade_from AND s.grade_to
        LIMIT 1;
    ELSE
        SELECT o.code, o.grade, s.grade_from, s.grade_to INTO bad
        FROM changed s
        JOIN frameworks f ON f.subject_id = s.id
        JOIN learning_outcomes o ON o.framework_id = f.id
        WHERE o.grade NOT BETWEEN s.grade_from AND s.grade_to
        LIMIT 1;
    END IF;
    IF bad.code IS NOT NULL THEN
        RAISE EXCEPTION 'learning outcome %: grade % is outside its subject''s grades (%-%)',
            bad.code, bad.grade, bad.grade_from, bad.grade_to
            USING ERRCODE = 'check_violation', CONSTRAINT = 'learning_outcomes_grade_in_subject_range';
    END IF;
    RETURN NULL;
END $$;
"""


def _previous():
    return importlib.import_module("curriculum.migrations.0004_domain_rules").CHECK_GRADES_FUNCTION.replace(
        "CREATE FUNCTION", "CREATE OR REPLACE FUNCTION", 1)


class Migration(migrations.Migration):

    dependencies = [
        ("curriculum", "0014_updated_at_ignores_generated_columns"),
    ]

    operations = [migrations.RunSQL([CHECK_GRADES_FUNCTION], reverse_sql=[_previous()])]
