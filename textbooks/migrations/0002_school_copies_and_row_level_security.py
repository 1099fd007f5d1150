"""school_id copied down the content tree, kept equal to the textbook's school by the database,
and row-level security.

A child's school_id is always taken from its parent row (whatever the writer sent), and a row never
changes school: a textbook cannot move to another school, nor a chapter, paragraph or alignment to
a parent of another school.
"""

from django.db import migrations

from tenants.rls import SCHOOL_CONTENT, EnableRowSecurity

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
        EnableRowSecurity(table="textbooks", kind=SCHOOL_CONTENT),
        EnableRowSecurity(table="chapters", kind=SCHOOL_CONTENT),
        EnableRowSecurity(table="paragraphs", kind=SCHOOL_CONTENT),
        EnableRowSecurity(table="paragraph_outcomes", kind=SCHOOL_CONTENT),
    ]
