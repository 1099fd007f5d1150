"""Textbook versions: editing a global textbook's chapters or paragraphs raises its version, so that
its forks (source_version) learn that an update is available.

The database does it, so every path (admin, API, import, raw SQL) counts. Statement-level triggers
with transition tables touch each changed textbook once per statement, and at most once per
transaction: content_updated_at holds the transaction time (now()) of the last raise, and a
textbook created in the current transaction starts there, so writing a new textbook's content
leaves it at version 1. A stale ORM save can never lower the version.
"""

import django.db.models.functions.datetime
from django.db import migrations, models

BUMP_FUNCTION = """
CREATE FUNCTION textbooks_raise_version() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE changed bigint[];
BEGIN
    -- The textbooks whose rows this statement inserted, deleted or really changed.
    IF TG_TABLE_NAME = 'chapters' THEN
        IF TG_OP = 'INSERT' THEN
            SELECT array_agg(DISTINCT textbook_id) INTO changed FROM new_rows WHERE school_id IS NULL;
        ELSIF TG_OP = 'DELETE' THEN
            SELECT array_agg(DISTINCT textbook_id) INTO changed FROM old_rows WHERE school_id IS NULL;
        ELSE
            SELECT array_agg(DISTINCT t.id) INTO changed
            FROM new_rows n JOIN old_rows o ON o.id = n.id, LATERAL (VALUES (o.textbook_id), (n.textbook_id)) t(id)
            WHERE n.school_id IS NULL AND ROW(o.*) IS DISTINCT FROM ROW(n.*);
        END IF;
    ELSE
        IF TG_OP = 'INSERT' THEN
            SELECT array_agg(DISTINCT c.textbook_id) INTO changed
            FROM new_rows p JOIN chapters c ON c.id = p.chapter_id WHERE p.school_id IS NULL;
        ELSIF TG_OP = 'DELETE' THEN
            SELECT array_agg(DISTINCT c.textbook_id) INTO changed
            FROM old_rows p JOIN chapters c ON c.id = p.chapter_id WHERE p.school_id IS NULL;
        ELSE
            SELECT array_agg(DISTINCT c.textbook_id) INTO changed
            FROM new_rows n JOIN old_rows o ON o.id = n.id
            JOIN chapters c ON c.id IN (o.chapter_id, n.chapter_id)
            WHERE n.school_id IS NULL AND ROW(o.*) IS DISTINCT FROM ROW(n.*);
        END IF;
    END IF;
    IF changed IS NOT NULL THEN
        UPDATE textbooks SET version = version + 1, content_updated_at = now()
        WHERE id = ANY (changed) AND school_id IS NULL AND content_updated_at < now();
    END IF;
    RETURN NULL;
END $$;
"""

NEVER_LOWER_FUNCTION = """
CREATE FUNCTION textbooks_version_never_lowers() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.version := GREATEST(NEW.version, OLD.version);
    RETURN NEW;
END $$;
CREATE TRIGGER textbooks_version_never_lowers BEFORE UPDATE ON textbooks
    FOR EACH ROW EXECUTE FUNCTION textbooks_version_never_lowers();
"""

TRANSITIONS = {
    "INSERT": "REFERENCING NEW TABLE AS new_rows",
    "UPDATE": "REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows",
    "DELETE": "REFERENCING OLD TABLE AS old_rows",
}
BUMP_TRIGGERS = [(table, event) for table in ("chapters", "paragraphs") for event in TRANSITIONS]


def bump_trigger(table, event):
    return (
        f"CREATE TRIGGER {table}_{event.lower()}_raises_version AFTER {event} ON {table} {TRANSITIONS[event]} "
        f"FOR EACH STATEMENT EXECUTE FUNCTION textbooks_raise_version()"
    )


class Migration(migrations.Migration):

    dependencies = [
        ('textbooks', '0002_school_copies_and_row_level_security'),
    ]

    operations = [
        migrations.AddField(
            model_name='textbook',
            name='content_updated_at',
            field=models.DateTimeField(db_default=django.db.models.functions.datetime.Now(), editable=False, verbose_name='content updated at'),
        ),
        migrations.RunSQL(
            [BUMP_FUNCTION, NEVER_LOWER_FUNCTION] + [bump_trigger(*trigger) for trigger in BUMP_TRIGGERS],
            reverse_sql=[f"DROP TRIGGER IF EXISTS {table}_{event.lower()}_raises_version ON {table}" for table, event in BUMP_TRIGGERS]
            + [
                "DROP FUNCTION IF EXISTS textbooks_raise_version()",
                "DROP TRIGGER IF EXISTS textbooks_version_never_lowers ON textbooks",
                "DROP FUNCTION IF EXISTS textbooks_version_never_lowers()",
            ],
        ),
    ]
