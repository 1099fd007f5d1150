"""school_id copied down the content tree, kept equal to the textbook's school by the database,
and row-level security.

A child's school_id is always taken from its parent row (whatever the writer sent), and a row never
changes school: a textbook cannot move to another school, nor a chapter, paragraph or alignment to
a parent of another school.
"""

from django.db import migrations

from tenants.rls import EnableRowSecurity

# (table, parent table, foreign key to the parent)
SCHOOL_COPIES = [
    ("chapters", "textbooks", "textbook_id"),
    ("paragraphs", "chapters", "chapter_id"),
    ("paragraph_outcomes", "paragraphs", "paragraph_id"),
]


def copy_school_function(table, parent, foreign_key):
    return f"""
CREATE FUNCTION {table}_copy_school() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.school_id := (SELECT school_id FROM {parent} WHERE id = NEW.{foreign_key});
    IF TG_OP = 'UPDATE' AND NEW.school_id IS DISTINCT FROM OLD.school_id THEN
        RAISE EXCEPTION '{table} row %: cannot move to a parent of another school', OLD.id
            USING ERRCODE = 'check_violation', CONSTRAINT = '{table}_school_is_parents';
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER {table}_copy_school BEFORE INSERT OR UPDATE OF {foreign_key}, school_id ON {table}
    FOR EACH ROW EXECUTE FUNCTION {table}_copy_school();
"""


TEXTBOOK_SCHOOL_IS_FIXED = """
CREATE FUNCTION textbooks_school_is_fixed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'textbook %: a textbook cannot move to another school', OLD.id
        USING ERRCODE = 'check_violation', CONSTRAINT = 'textbooks_school_is_fixed';
END $$;
CREATE TRIGGER textbooks_school_is_fixed BEFORE UPDATE OF school_id ON textbooks
    FOR EACH ROW WHEN (OLD.school_id IS DISTINCT FROM NEW.school_id) EXECUTE FUNCTION textbooks_school_is_fixed();
"""


class Migration(migrations.Migration):
    dependencies = [("textbooks", "0001_initial"), ("tenants", "0002_row_level_security")]

    operations = [
        migrations.RunSQL(
            [copy_school_function(*copy) for copy in SCHOOL_COPIES] + [TEXTBOOK_SCHOOL_IS_FIXED],
            reverse_sql=[
                f"DROP TRIGGER IF EXISTS {table}_copy_school ON {table}; DROP FUNCTION IF EXISTS {table}_copy_school()"
                for table, _, _ in SCHOOL_COPIES
            ]
            + ["DROP TRIGGER IF EXISTS textbooks_school_is_fixed ON textbooks; DROP FUNCTION IF EXISTS textbooks_school_is_fixed()"],
        ),
        EnableRowSecurity(
            table="textbooks",
            kind="school_content",
            policies={
                "textbooks_read_global_or_own": """CREATE POLICY "textbooks_read_global_or_own" ON "textbooks" AS PERMISSIVE FOR SELECT TO {runtime} USING (school_id IS NULL OR school_id = (SELECT NULLIF(current_setting('app.current_tenant_id', true), '')::bigint))""",
                "textbooks_write_own": """CREATE POLICY "textbooks_write_own" ON "textbooks" AS PERMISSIVE FOR ALL TO {runtime} USING (school_id = (SELECT NULLIF(current_setting('app.current_tenant_id', true), '')::bigint)) WITH CHECK (school_id = (SELECT NULLIF(current_setting('app.current_tenant_id', true), '')::bigint))""",
                "textbooks_super_admin_all": """CREATE POLICY "textbooks_super_admin_all" ON "textbooks" AS PERMISSIVE FOR ALL TO {super_admin} USING ((SELECT current_setting('app.is_super_admin', true) IS NOT DISTINCT FROM 'true')) WITH CHECK ((SELECT current_setting('app.is_super_admin', true) IS NOT DISTINCT FROM 'true'))""",
            },
        ),
        EnableRowSecurity(
            table="chapters",
            kind="school_content",
            policies={
                "chapters_read_global_or_own": """CREATE POLICY "chapters_read_global_or_own" ON "chapters" AS PERMISSIVE FOR SELECT TO {runtime} USING (school_id IS NULL OR school_id = (SELECT NULLIF(current_setting('app.current_tenant_id', true), '')::bigint))""",
                "chapters_write_own": """CREATE POLICY "chapters_write_own" ON "chapters" AS PERMISSIVE FOR ALL TO {runtime} USING (school_id = (SELECT NULLIF(current_setting('app.current_tenant_id', true), '')::bigint)) WITH CHECK (school_id = (SELECT NULLIF(current_setting('app.current_tenant_id', true), '')::bigint))""",
                "chapters_super_admin_all": """CREATE POLICY "chapters_super_admin_all" ON "chapters" AS PERMISSIVE FOR ALL TO {super_admin} USING ((SELECT current_setting('app.is_super_admin', true) IS NOT DISTINCT FROM 'true')) WITH CHECK ((SELECT current_setting('app.is_super_admin', true) IS NOT DISTINCT FROM 'true'))""",
            },
        ),
        EnableRowSecurity(
            table="paragraphs",
            kind="school_content",
            policies={
                "paragraphs_read_global_or_own": """CREATE POLICY "paragraphs_read_global_or_own" ON "paragraphs" AS PERMISSIVE FOR SELECT TO {runtime} USING (school_id IS NULL OR school_id = (SELECT NULLIF(current_setting('app.current_tenant_id', true), '')::bigint))""",
                "paragraphs_write_own": """CREATE POLICY "paragraphs_write_own" ON "paragraphs" AS PERMISSIVE FOR ALL TO {runtime} USING (school_id = (SELECT NULLIF(current_setting('app.current_tenant_id', true), '')::bigint)) WITH CHECK (school_id = (SELECT NULLIF(current_setting('app.current_tenant_id', true), '')::bigint))""",
                "paragraphs_super_admin_all": """CREATE POLICY "paragraphs_super_admin_all" ON "paragraphs" AS PERMISSIVE FOR ALL TO {super_admin} USING ((SELECT current_setting('app.is_super_admin', true) IS NOT DISTINCT FROM 'true')) WITH CHECK ((SELECT current_setting('app.is_super_admin', true) IS NOT DISTINCT FROM 'true'))""",
            },
        ),
        EnableRowSecurity(
            table="paragraph_outcomes",
            kind="school_content",
            policies={
                "paragraph_outcomes_read_global_or_own": """CREATE POLICY "paragraph_outcomes_read_global_or_own" ON "paragraph_outcomes" AS PERMISSIVE FOR SELECT TO {runtime} USING (school_id IS NULL OR school_id = (SELECT NULLIF(current_setting('app.current_tenant_id', true), '')::bigint))""",
                "paragraph_outcomes_write_own": """CREATE POLICY "paragraph_outcomes_write_own" ON "paragraph_outcomes" AS PERMISSIVE FOR ALL TO {runtime} USING (school_id = (SELECT NULLIF(current_setting('app.current_tenant_id', true), '')::bigint)) WITH CHECK (school_id = (SELECT NULLIF(current_setting('app.current_tenant_id', true), '')::bigint))""",
                "paragraph_outcomes_super_admin_all": """CREATE POLICY "paragraph_outcomes_super_admin_all" ON "paragraph_outcomes" AS PERMISSIVE FOR ALL TO {super_admin} USING ((SELECT current_setting('app.is_super_admin', true) IS NOT DISTINCT FROM 'true')) WITH CHECK ((SELECT current_setting('app.is_super_admin', true) IS NOT DISTINCT FROM 'true'))""",
            },
        ),
    ]
