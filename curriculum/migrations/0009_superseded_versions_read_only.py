from django.db import migrations

# A framework superseded by a newer version (another framework's previous_version) is read-only:
# its sections, subsections and outcomes cannot be added, changed or deleted, and of the framework
# itself only the lifecycle fields the version tools write (validity, active, deleted) may change.
# The admin shows such a version read-only with the reason; this refuses every other writer too
# (API, imports, scripts). Set-based: one check per statement (not per row), an indexed lookup; a
# statement that rewrites rows to the same values (the CASE identifier cascade) passes.
BOOKKEEPING = "ARRAY['updated_at', 'case_id_ru', 'case_id_kk', 'case_translation_id', 'case_link_ru', 'case_link_kk']"
LIFECYCLE = (
    "ARRAY['updated_at', 'valid_from', 'valid_to', 'is_active', 'deleted_at', 'previous_version_id', "
    "'case_id_ru', 'case_id_kk', 'case_translation_id']"
)

REFUSE_CONTENT = f"""
CREATE FUNCTION goso_refuse_superseded_content() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    parents bigint[];
    superseded text;
BEGIN
    -- The parents (frameworks, or sections for subsections) of every row the statement touched:
    -- plain columns, so the common case (a current version) costs one lookup per statement.
    IF TG_TABLE_NAME = 'goso_subsections' THEN
        IF TG_OP = 'INSERT' THEN
            SELECT array_agg(DISTINCT section_id) INTO parents FROM new_rows;
        ELSIF TG_OP = 'DELETE' THEN
            SELECT array_agg(DISTINCT section_id) INTO parents FROM old_rows;
        ELSE
            SELECT array_agg(DISTINCT section_id) INTO parents
            FROM (SELECT section_id FROM old_rows UNION SELECT section_id FROM new_rows) AS touched;
        END IF;
        SELECT array_agg(DISTINCT framework_id) INTO parents FROM goso_sections WHERE id = ANY (parents);
    ELSIF TG_OP = 'INSERT' THEN
        SELECT array_agg(DISTINCT framework_id) INTO parents FROM new_rows;
    ELSIF TG_OP = 'DELETE' THEN
        SELECT array_agg(DISTINCT framework_id) INTO parents FROM old_rows;
    ELSE
        SELECT array_agg(DISTINCT framework_id) INTO parents
        FROM (SELECT framework_id FROM old_rows UNION SELECT framework_id FROM new_rows) AS touched;
    END IF;
    SELECT f.code INTO superseded FROM frameworks f
    WHERE f.id = ANY (parents) AND EXISTS (SELECT 1 FROM frameworks n WHERE n.previous_version_id = f.id)
    LIMIT 1;
    -- An UPDATE that rewrites a superseded version's rows unchanged (the CASE identifier cascade) passes.
    IF superseded IS NOT NULL AND TG_OP = 'UPDATE' THEN
        IF NOT EXISTS (
            SELECT 1 FROM old_rows o JOIN new_rows n ON n.id = o.id
            WHERE to_jsonb(n) - {BOOKKEEPING} IS DISTINCT FROM to_jsonb(o) - {BOOKKEEPING}
        ) THEN
            superseded := NULL;
        END IF;
    END IF;
    IF superseded IS NOT NULL THEN
        RAISE EXCEPTION 'framework % is superseded by a newer version and read-only', superseded
            USING ERRCODE = 'check_violation', CONSTRAINT = 'frameworks_superseded_read_only';
    END IF;
    RETURN NULL;
END $$
"""

REFUSE_FRAMEWORK = f"""
CREATE FUNCTION goso_refuse_superseded_framework() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF to_jsonb(NEW) - {LIFECYCLE} IS DISTINCT FROM to_jsonb(OLD) - {LIFECYCLE}
       AND EXISTS (SELECT 1 FROM frameworks n WHERE n.previous_version_id = OLD.id) THEN
        RAISE EXCEPTION 'framework % is superseded by a newer version and read-only', OLD.code
            USING ERRCODE = 'check_violation', CONSTRAINT = 'frameworks_superseded_read_only';
    END IF;
    RETURN NEW;
END $$
"""

CONTENT_TABLES = ("goso_sections", "goso_subsections", "learning_outcomes")
EVENTS = {"INSERT": "NEW TABLE AS new_rows", "UPDATE": "OLD TABLE AS old_rows NEW TABLE AS new_rows", "DELETE": "OLD TABLE AS old_rows"}


def _triggers():
    return [(f"{table}_superseded_{event.lower()}", table, event) for table in CONTENT_TABLES for event in EVENTS]


class Migration(migrations.Migration):

    dependencies = [
        ("curriculum", "0008_stable_case_identifiers"),
    ]

    operations = [
        migrations.RunSQL(
            [REFUSE_CONTENT, REFUSE_FRAMEWORK]
            + [
                f"CREATE TRIGGER {name} AFTER {event} ON {table} REFERENCING {EVENTS[event]} "
                "FOR EACH STATEMENT EXECUTE FUNCTION goso_refuse_superseded_content()"
                for name, table, event in _triggers()
            ]
            + [
                "CREATE TRIGGER frameworks_superseded_update BEFORE UPDATE ON frameworks "
                "FOR EACH ROW EXECUTE FUNCTION goso_refuse_superseded_framework()"
            ],
            reverse_sql=[f"DROP TRIGGER IF EXISTS {name} ON {table}" for name, table, _ in _triggers()]
            + [
                "DROP TRIGGER IF EXISTS frameworks_superseded_update ON frameworks",
                "DROP FUNCTION IF EXISTS goso_refuse_superseded_content()",
                "DROP FUNCTION IF EXISTS goso_refuse_superseded_framework()",
            ],
        ),
    ]
