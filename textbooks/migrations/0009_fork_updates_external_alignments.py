"""Fork updates see alignments to external items, and alignment changes raise a global textbook's version.

1. textbook_content() (0006) gains "external_alignments" per paragraph, {external item id: confidence,
   notes}, beside the GOSO "alignments": the base, theirs and ours of the three-way review
   (textbooks/fork_updates.py) then cover them too.
2. Copies' stored bases (source_snapshot) lack the new key, which the review reads as "none". Where the
   global paragraph has external alignments now, that would show them as added upstream although the
   fork copied them: those entries take the global ones as their base (external alignments raised no
   version before, so nothing about them was pending). One statement, for the forks concerned only.
3. textbooks_raise_version() (0003) also counts statements on paragraph_outcomes and
   paragraph_external_items of global paragraphs: a methodologist adding or removing an alignment offers
   the update to the copies like a text change does. Skipped while the fork or update service writes a
   copy (app.fork_sync, as 0007): that is school content, which never raises a version.
"""

from django.db import migrations


def content_function(*, external: bool) -> str:
    """textbook_content(); external=False is the definition of 0006."""
    external_key = ",\n                   'external_alignments', coalesce(externals.alignments, '{}'::jsonb)" if external else ""
    external_join = """
        LEFT JOIN LATERAL (
            SELECT jsonb_object_agg(link.external_item_id::text, jsonb_build_object(
                       'confidence', link.confidence::text, 'notes', link.notes)) AS alignments
            FROM paragraph_external_items link WHERE link.paragraph_id = p.id
        ) externals ON true""" if external else ""
    return f"""
CREATE OR REPLACE FUNCTION textbook_content(textbook bigint) RETURNS jsonb LANGUAGE sql STABLE AS $$
    SELECT coalesce(jsonb_object_agg(entry.key, entry.value), '{{}}'::jsonb) FROM (
        SELECT c.number::text AS key,
               jsonb_build_object('title', c.title, 'description', c.description, 'sort_order', c.sort_order) AS value
        FROM chapters c WHERE c.textbook_id = textbook
        UNION ALL
        SELECT c.number || '.' || p.number,
               jsonb_build_object(
                   'title', p.title, 'content', p.content, 'summary', p.summary,
                   'learning_objective', p.learning_objective, 'lesson_objective', p.lesson_objective,
                   'key_terms', p.key_terms, 'questions', p.questions, 'sort_order', p.sort_order,
                   'alignments', coalesce(links.alignments, '{{}}'::jsonb){external_key})
        FROM chapters c
        JOIN paragraphs p ON p.chapter_id = c.id
        LEFT JOIN LATERAL (
            SELECT jsonb_object_agg(link.outcome_id::text, jsonb_build_object(
                       'confidence', link.confidence::text, 'anchor', link.anchor, 'notes', link.notes)) AS alignments
            FROM paragraph_outcomes link WHERE link.paragraph_id = p.id
        ) links ON true{external_join}
        WHERE c.textbook_id = textbook
    ) entry
$$;
"""


# The owner role runs migrations and, with row-level security forced, would see no rows: it lifts
# FORCE on the tables read and written, for this one statement, inside the migration's transaction.
BACKFILL_TABLES = ("textbooks", "chapters", "paragraphs", "paragraph_external_items")


def without_forced_security(statement: str) -> list[str]:
    return (
        [f"ALTER TABLE {table} NO FORCE ROW LEVEL SECURITY" for table in BACKFILL_TABLES]
        + [statement]
        + [f"ALTER TABLE {table} FORCE ROW LEVEL SECURITY" for table in BACKFILL_TABLES]
    )


BACKFILL = """
WITH global_links AS (
    SELECT c.textbook_id, c.number || '.' || p.number AS key,
           jsonb_object_agg(link.external_item_id::text, jsonb_build_object(
               'confidence', link.confidence::text, 'notes', link.notes)) AS alignments
    FROM paragraph_external_items link
    JOIN paragraphs p ON p.id = link.paragraph_id
    JOIN chapters c ON c.id = p.chapter_id
    WHERE link.school_id IS NULL
    GROUP BY c.textbook_id, c.number, p.number
), entries AS (
    SELECT fork.id, jsonb_object_agg(
               g.key, (fork.source_snapshot -> g.key) || jsonb_build_object('external_alignments', g.alignments)
           ) AS entries
    FROM textbooks fork JOIN global_links g ON g.textbook_id = fork.global_textbook_id
    WHERE fork.source_snapshot ? g.key
    GROUP BY fork.id
)
UPDATE textbooks fork SET source_snapshot = fork.source_snapshot || entries.entries
FROM entries WHERE fork.id = entries.id
"""
# Back: the old function has no such key, so stored bases drop it (only those that have it).
UNFILL = """
UPDATE textbooks SET source_snapshot = (
    SELECT jsonb_object_agg(entry.key, entry.value - 'external_alignments') FROM jsonb_each(source_snapshot) entry
)
WHERE source_snapshot @? '$.*.external_alignments'
"""


def raise_version_function(*, alignments: bool) -> str:
    """textbooks_raise_version(); alignments=False is the definition of 0003."""
    paragraphs = "ELSIF TG_TABLE_NAME = 'paragraphs' THEN" if alignments else "ELSE"
    alignment_branch = """
    ELSE
        -- paragraph_outcomes and paragraph_external_items: both have paragraph_id and school_id.
        IF TG_OP = 'INSERT' THEN
            SELECT array_agg(DISTINCT c.textbook_id) INTO changed
            FROM new_rows l JOIN paragraphs p ON p.id = l.paragraph_id JOIN chapters c ON c.id = p.chapter_id
            WHERE l.school_id IS NULL;
        ELSIF TG_OP = 'DELETE' THEN
            SELECT array_agg(DISTINCT c.textbook_id) INTO changed
            FROM old_rows l JOIN paragraphs p ON p.id = l.paragraph_id JOIN chapters c ON c.id = p.chapter_id
            WHERE l.school_id IS NULL;
        ELSE
            SELECT array_agg(DISTINCT c.textbook_id) INTO changed
            FROM new_rows n JOIN old_rows o ON o.id = n.id
            JOIN paragraphs p ON p.id IN (o.paragraph_id, n.paragraph_id) JOIN chapters c ON c.id = p.chapter_id
            WHERE n.school_id IS NULL AND ROW(o.*) IS DISTINCT FROM ROW(n.*);
        END IF;""" if alignments else ""
    return f"""
CREATE OR REPLACE FUNCTION textbooks_raise_version() RETURNS trigger LANGUAGE plpgsql AS $$
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
    {paragraphs}
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
        END IF;{alignment_branch}
    END IF;
    IF changed IS NOT NULL THEN
        UPDATE textbooks SET version = version + 1, content_updated_at = now()
        WHERE id = ANY (changed) AND school_id IS NULL AND content_updated_at < now();
    END IF;
    RETURN NULL;
END $$;
"""


TRANSITIONS = {
    "INSERT": "REFERENCING NEW TABLE AS new_rows",
    "UPDATE": "REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows",
    "DELETE": "REFERENCING OLD TABLE AS old_rows",
}
ALIGNMENT_TRIGGERS = [
    (table, event) for table in ("paragraph_outcomes", "paragraph_external_items") for event in TRANSITIONS
]
NOT_SYNCING = "WHEN (nullif(current_setting('app.fork_sync', true), '') IS NULL)"


def bump_trigger(table, event):
    return (
        f"CREATE TRIGGER {table}_{event.lower()}_raises_version AFTER {event} ON {table} {TRANSITIONS[event]} "
        f"FOR EACH STATEMENT {NOT_SYNCING} EXECUTE FUNCTION textbooks_raise_version()"
    )


class Migration(migrations.Migration):

    dependencies = [
        ('textbooks', '0008_school_ordered_indexes'),
    ]

    operations = [
        migrations.RunSQL(
            [content_function(external=True), *without_forced_security(BACKFILL)],
            reverse_sql=[*without_forced_security(UNFILL), content_function(external=False)],
        ),
        migrations.RunSQL(
            [raise_version_function(alignments=True)] + [bump_trigger(*trigger) for trigger in ALIGNMENT_TRIGGERS],
            reverse_sql=[f"DROP TRIGGER IF EXISTS {table}_{event.lower()}_raises_version ON {table}" for table, event in ALIGNMENT_TRIGGERS]
            + [raise_version_function(alignments=False)],
        ),
    ]
