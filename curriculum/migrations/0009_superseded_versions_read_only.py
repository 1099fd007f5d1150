from django.db import migrations

# A framework superseded by a newer version (another framework's previous_version) is read-only:
# its sections, subsections and outcomes cannot be added, changed or deleted, and of the framework
# itself only the lifecycle fields the version tools write (validity, active, deleted) may change.
# The admin shows such a version read-only with the reason; this refuses every other writer too
# (API, imports, scripts). Set-based per statement over the rows it really changed (a statement that
# rewrites a row to the same values, like the CASE identifier cascade, passes), one indexed lookup.
BOOKKEEPING = "ARRAY['updated_at', 'case_id_ru', 'case_id_kk', 'case_translation_id', 'case_link_ru', 'case_link_kk']"
LIFECYCLE = (
    "ARRAY['updated_at', 'valid_from', 'valid_to', 'is_active', 'deleted_at', 'previous_version_id', "
    "'case_id_ru', 'case_id_kk', 'case_translation_id']"
)

REFUSE_CONTENT = f"""
CREATE FUNCTION goso_refuse_superseded_content() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    parent_key text := CASE TG_TABLE_NAME WHEN 'goso_subsections' THEN 'section_id' ELSE 'framework_id' END;
    parents bigint[];
    superseded text;
BEGIN
    IF TG_OP = 'INSERT' THEN
        SELECT array_agg(DISTINCT (to_jsonb(n) ->> parent_key)::bigint) INTO parents FROM new_rows n;
    ELSIF TG_OP = 'DELETE' THEN
        SELECT array_agg(DISTINCT (to_jsonb(o) ->> parent_key)::bigint) INTO parents FROM old_rows o;
    ELSE
        SELECT array_agg(DISTINCT parent) INTO parents
        FROM old_rows o JOIN new_rows n ON n.id = o.id,
             LATERAL (VALUES ((to_jsonb(o) ->> parent_key)::bigint), ((to_jsonb(n) ->> parent_key)::bigint)) AS p(parent)
        WHERE to_jsonb(n) - {BOOKKEEPING} IS DISTINCT FROM to_jsonb(o) - {BOOKKEEPING};
    END IF;
    IF parents IS NULL THEN
        RETURN NULL;
    END IF;
    IF parent_key = 'section_id' THEN
        SELECT array_agg(DISTINCT framework_id) INTO parents FROM goso_sections WHERE id = ANY (parents);
    END IF;
    SELECT f.code INTO superseded FROM frameworks f
    WHERE f.id = ANY (parents) AND EXISTS (SELECT 1 FROM frameworks n WHERE n.previous_version_id = f.id)
    LIMIT 1;
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
