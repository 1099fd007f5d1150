from django.db import migrations

# The superseded-version check of 0009 reads each touched row's parent from plain columns (one lookup
# per statement) and compares whole rows only when a superseded version is touched: an import or an
# edit of a current version no longer converts every row to JSON.
BOOKKEEPING = "ARRAY['updated_at', 'case_id_ru', 'case_id_kk', 'case_translation_id', 'case_link_ru', 'case_link_kk']"

PER_STATEMENT = f"""
CREATE OR REPLACE FUNCTION goso_refuse_superseded_content() RETURNS trigger LANGUAGE plpgsql AS $$
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

PREVIOUS = f"""
CREATE OR REPLACE FUNCTION goso_refuse_superseded_content() RETURNS trigger LANGUAGE plpgsql AS $$
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


class Migration(migrations.Migration):

    dependencies = [
        ("curriculum", "0009_superseded_versions_read_only"),
    ]

    operations = [migrations.RunSQL([PER_STATEMENT], reverse_sql=[PREVIOUS])]
