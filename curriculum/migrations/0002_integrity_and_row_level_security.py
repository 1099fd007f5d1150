"""Rules that span tables, as deferrable constraint triggers, and row-level security.

An outcome's subsection must belong to the outcome's framework, and its code must be
grade.<subsection code>.N; a subsection's code must start with its section's code. Renumbering a
branch is possible in one transaction with SET CONSTRAINTS ALL DEFERRED.
"""

from django.db import migrations

from tenants.rls import EnableRowSecurity

# The outcomes whose place in the tree contradicts their framework, grade or code.
MISPLACED_OUTCOMES = """
    SELECT o.code, o.grade, ss.code AS subsection_code, o.framework_id, s.framework_id AS subsection_framework_id
    FROM learning_outcomes o
    JOIN goso_subsections ss ON ss.id = o.subsection_id
    JOIN goso_sections s ON s.id = ss.section_id
    WHERE {scope}
      AND (o.framework_id <> s.framework_id
           OR regexp_replace(o.code, '\\.[0-9]+$', '') <> o.grade::text || '.' || ss.code)
    LIMIT 1
"""

CHECK_OUTCOMES_FUNCTION = """
CREATE FUNCTION goso_check_outcome_places() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE bad record;
BEGIN
    IF TG_TABLE_NAME = 'learning_outcomes' THEN
        {outcome_query} INTO bad;
    ELSIF TG_TABLE_NAME = 'goso_subsections' THEN
        {subsection_query} INTO bad;
    ELSE
        {section_query} INTO bad;
    END IF;
    IF bad.code IS NOT NULL THEN
        IF bad.framework_id <> bad.subsection_framework_id THEN
            RAISE EXCEPTION 'learning outcome %: its subsection % belongs to another framework', bad.code, bad.subsection_code
                USING ERRCODE = 'check_violation', CONSTRAINT = 'learning_outcomes_subsection_in_framework';
        END IF;
        RAISE EXCEPTION 'learning outcome code "%" does not agree with grade % and subsection "%" (expected %.%.N)',
            bad.code, bad.grade, bad.subsection_code, bad.grade, bad.subsection_code
            USING ERRCODE = 'check_violation', CONSTRAINT = 'learning_outcomes_code_matches_place';
    END IF;
    RETURN NULL;
END $$;
""".format(
    outcome_query=MISPLACED_OUTCOMES.format(scope="o.id = NEW.id").strip(),
    subsection_query=MISPLACED_OUTCOMES.format(scope="ss.id = NEW.id").strip(),
    section_query=MISPLACED_OUTCOMES.format(scope="s.id = NEW.id").strip(),
)

CHECK_SUBSECTION_FUNCTION = """
CREATE FUNCTION goso_check_subsection_codes() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE bad record;
BEGIN
    SELECT ss.code, s.code AS section_code INTO bad
    FROM goso_subsections ss JOIN goso_sections s ON s.id = ss.section_id
    WHERE (CASE WHEN TG_TABLE_NAME = 'goso_sections' THEN s.id ELSE ss.id END) = NEW.id
      AND split_part(ss.code, '.', 1) <> s.code
    LIMIT 1;
    IF bad.code IS NOT NULL THEN
        RAISE EXCEPTION 'subsection code "%" does not start with its section code "%"', bad.code, bad.section_code
            USING ERRCODE = 'check_violation', CONSTRAINT = 'goso_subsections_code_matches_section';
    END IF;
    RETURN NULL;
END $$;
"""

TRIGGERS = [
    ("learning_outcomes_place", "learning_outcomes", "INSERT OR UPDATE OF code, grade, subsection_id, framework_id", "goso_check_outcome_places"),
    ("goso_subsections_outcome_places", "goso_subsections", "UPDATE OF code, section_id", "goso_check_outcome_places"),
    ("goso_sections_outcome_places", "goso_sections", "UPDATE OF framework_id", "goso_check_outcome_places"),
    ("goso_subsections_code", "goso_subsections", "INSERT OR UPDATE OF code, section_id", "goso_check_subsection_codes"),
    ("goso_sections_subsection_codes", "goso_sections", "UPDATE OF code", "goso_check_subsection_codes"),
]


def create_trigger(name, table, events, function):
    return (
        f"CREATE CONSTRAINT TRIGGER {name} AFTER {events} ON {table} "
        f"DEFERRABLE INITIALLY IMMEDIATE FOR EACH ROW EXECUTE FUNCTION {function}()"
    )


class Migration(migrations.Migration):
    dependencies = [("curriculum", "0001_initial"), ("tenants", "0002_row_level_security")]

    operations = [
        migrations.RunSQL(
            [CHECK_OUTCOMES_FUNCTION, CHECK_SUBSECTION_FUNCTION]
            + [create_trigger(*trigger) for trigger in TRIGGERS],
            reverse_sql=[f"DROP TRIGGER IF EXISTS {name} ON {table}" for name, table, _, _ in TRIGGERS]
            + ["DROP FUNCTION IF EXISTS goso_check_outcome_places()", "DROP FUNCTION IF EXISTS goso_check_subsection_codes()"],
        ),
        EnableRowSecurity(
            table="subjects",
            kind="reference",
            policies={
                "subjects_read_all": """CREATE POLICY "subjects_read_all" ON "subjects" AS PERMISSIVE FOR SELECT TO PUBLIC USING (true)""",
                "subjects_super_admin_all": """CREATE POLICY "subjects_super_admin_all" ON "subjects" AS PERMISSIVE FOR ALL TO {super_admin} USING ((SELECT current_setting('app.is_super_admin', true) IS NOT DISTINCT FROM 'true')) WITH CHECK ((SELECT current_setting('app.is_super_admin', true) IS NOT DISTINCT FROM 'true'))""",
            },
        ),
        EnableRowSecurity(
            table="frameworks",
            kind="reference",
            policies={
                "frameworks_read_all": """CREATE POLICY "frameworks_read_all" ON "frameworks" AS PERMISSIVE FOR SELECT TO PUBLIC USING (true)""",
                "frameworks_super_admin_all": """CREATE POLICY "frameworks_super_admin_all" ON "frameworks" AS PERMISSIVE FOR ALL TO {super_admin} USING ((SELECT current_setting('app.is_super_admin', true) IS NOT DISTINCT FROM 'true')) WITH CHECK ((SELECT current_setting('app.is_super_admin', true) IS NOT DISTINCT FROM 'true'))""",
            },
        ),
        EnableRowSecurity(
            table="goso_sections",
            kind="reference",
            policies={
                "goso_sections_read_all": """CREATE POLICY "goso_sections_read_all" ON "goso_sections" AS PERMISSIVE FOR SELECT TO PUBLIC USING (true)""",
                "goso_sections_super_admin_all": """CREATE POLICY "goso_sections_super_admin_all" ON "goso_sections" AS PERMISSIVE FOR ALL TO {super_admin} USING ((SELECT current_setting('app.is_super_admin', true) IS NOT DISTINCT FROM 'true')) WITH CHECK ((SELECT current_setting('app.is_super_admin', true) IS NOT DISTINCT FROM 'true'))""",
            },
        ),
        EnableRowSecurity(
            table="goso_subsections",
            kind="reference",
            policies={
                "goso_subsections_read_all": """CREATE POLICY "goso_subsections_read_all" ON "goso_subsections" AS PERMISSIVE FOR SELECT TO PUBLIC USING (true)""",
                "goso_subsections_super_admin_all": """CREATE POLICY "goso_subsections_super_admin_all" ON "goso_subsections" AS PERMISSIVE FOR ALL TO {super_admin} USING ((SELECT current_setting('app.is_super_admin', true) IS NOT DISTINCT FROM 'true')) WITH CHECK ((SELECT current_setting('app.is_super_admin', true) IS NOT DISTINCT FROM 'true'))""",
            },
        ),
        EnableRowSecurity(
            table="learning_outcomes",
            kind="reference",
            policies={
                "learning_outcomes_read_all": """CREATE POLICY "learning_outcomes_read_all" ON "learning_outcomes" AS PERMISSIVE FOR SELECT TO PUBLIC USING (true)""",
                "learning_outcomes_super_admin_all": """CREATE POLICY "learning_outcomes_super_admin_all" ON "learning_outcomes" AS PERMISSIVE FOR ALL TO {super_admin} USING ((SELECT current_setting('app.is_super_admin', true) IS NOT DISTINCT FROM 'true')) WITH CHECK ((SELECT current_setting('app.is_super_admin', true) IS NOT DISTINCT FROM 'true'))""",
            },
        ),
    ]
