"""Fork updates: the content a copy took over (textbooks.source_snapshot, the base of the three-way
comparison in textbooks/fork_updates.py) and "customised" set by the database on any school edit.

textbook_content(id) is the one definition of a textbook's comparable content: {"<chapter>": chapter
fields, "<chapter>.<paragraph>": paragraph fields + "alignments" {outcome id: confidence, anchor,
notes}}. The fork stores it for the source, the review computes it for the source and the copy, so
the three sides always have the same shape. It runs as the caller (row-level security applies).

"Customised" is set by triggers, so every path (admin, API, import, bulk tools, raw SQL) counts: a
statement that writes a copy's chapters, paragraphs or alignments, or changes the copy's own
description, marks the copy. The fork and the update services write the copy for the school and
say so with the transaction-local setting app.fork_sync = the copy's id (reset when they are done).
"""

from django.db import migrations, models

CONTENT_FUNCTION = """
CREATE FUNCTION textbook_content(textbook bigint) RETURNS jsonb LANGUAGE sql STABLE AS $$
    SELECT coalesce(jsonb_object_agg(entry.key, entry.value), '{}'::jsonb) FROM (
        SELECT c.number::text AS key,
               jsonb_build_object('title', c.title, 'description', c.description, 'sort_order', c.sort_order) AS value
        FROM chapters c WHERE c.textbook_id = textbook
        UNION ALL
        SELECT c.number || '.' || p.number,
               jsonb_build_object(
                   'title', p.title, 'content', p.content, 'summary', p.summary,
                   'learning_objective', p.learning_objective, 'lesson_objective', p.lesson_objective,
                   'key_terms', p.key_terms, 'questions', p.questions, 'sort_order', p.sort_order,
                   'alignments', coalesce(links.alignments, '{}'::jsonb))
        FROM chapters c
        JOIN paragraphs p ON p.chapter_id = c.id
        LEFT JOIN LATERAL (
            SELECT jsonb_object_agg(link.outcome_id::text, jsonb_build_object(
                       'confidence', link.confidence::text, 'anchor', link.anchor, 'notes', link.notes)) AS alignments
            FROM paragraph_outcomes link WHERE link.paragraph_id = p.id
        ) links ON true
        WHERE c.textbook_id = textbook
    ) entry
$$;
"""

# Copies whose source has not changed since the copy: their base is the source as it is now. Older
# copies keep NULL (base unknown: every difference is a conflict for the school to decide).
# The content is computed once per source (MATERIALIZED: never inlined into the join, so not once per
# copy: at national size 500 sources against 30,000 copies), then set on every copy of it.
# The owner role runs migrations and, with row-level security forced, would see no rows: it lifts
# FORCE on the four tables for this one statement, inside the migration's transaction. The subject
# check on textbooks (0004) is off for it too: the statement changes no subject, and the check would
# keep every copy's old and new row, snapshot included, in its transition tables and join the two
# (over 10 minutes at national size, against 6 s for the whole statement without it).
CONTENT_TABLES = ("textbooks", "chapters", "paragraphs", "paragraph_outcomes")
SUBJECT_CHECK = "textbooks_alignment_subjects"
BACKFILL = [f"ALTER TABLE {table} NO FORCE ROW LEVEL SECURITY" for table in CONTENT_TABLES] + [
    f"ALTER TABLE textbooks DISABLE TRIGGER {SUBJECT_CHECK}",
    """
    WITH source AS MATERIALIZED (
        SELECT source.id, source.version, textbook_content(source.id) AS content
        FROM textbooks source
        WHERE EXISTS (
            SELECT FROM textbooks fork WHERE fork.global_textbook_id = source.id AND fork.source_version = source.version
        )
    )
    UPDATE textbooks fork SET source_snapshot = source.content
    FROM source
    WHERE fork.global_textbook_id = source.id AND fork.source_version = source.version
    """,
    f"ALTER TABLE textbooks ENABLE TRIGGER {SUBJECT_CHECK}",
] + [f"ALTER TABLE {table} FORCE ROW LEVEL SECURITY" for table in CONTENT_TABLES]

MARK_FUNCTION = """
CREATE FUNCTION textbooks_mark_customized() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE changed bigint[];
BEGIN
    -- The school textbooks whose rows this statement inserted, deleted or really changed.
    IF TG_TABLE_NAME = 'chapters' THEN
        IF TG_OP = 'INSERT' THEN
            SELECT array_agg(DISTINCT textbook_id) INTO changed FROM new_rows WHERE school_id IS NOT NULL;
        ELSIF TG_OP = 'DELETE' THEN
            SELECT array_agg(DISTINCT textbook_id) INTO changed FROM old_rows WHERE school_id IS NOT NULL;
        ELSE
            SELECT array_agg(DISTINCT t.id) INTO changed
            FROM new_rows n JOIN old_rows o ON o.id = n.id, LATERAL (VALUES (o.textbook_id), (n.textbook_id)) t(id)
            WHERE n.school_id IS NOT NULL AND ROW(o.*) IS DISTINCT FROM ROW(n.*);
        END IF;
    ELSIF TG_TABLE_NAME = 'paragraphs' THEN
        IF TG_OP = 'INSERT' THEN
            SELECT array_agg(DISTINCT c.textbook_id) INTO changed
            FROM new_rows p JOIN chapters c ON c.id = p.chapter_id WHERE p.school_id IS NOT NULL;
        ELSIF TG_OP = 'DELETE' THEN
            SELECT array_agg(DISTINCT c.textbook_id) INTO changed
            FROM old_rows p JOIN chapters c ON c.id = p.chapter_id WHERE p.school_id IS NOT NULL;
        ELSE
            SELECT array_agg(DISTINCT c.textbook_id) INTO changed
            FROM new_rows n JOIN old_rows o ON o.id = n.id
            JOIN chapters c ON c.id IN (o.chapter_id, n.chapter_id)
            WHERE n.school_id IS NOT NULL AND ROW(o.*) IS DISTINCT FROM ROW(n.*);
        END IF;
    ELSE
        IF TG_OP = 'INSERT' THEN
            SELECT array_agg(DISTINCT c.textbook_id) INTO changed
            FROM new_rows l JOIN paragraphs p ON p.id = l.paragraph_id JOIN chapters c ON c.id = p.chapter_id
            WHERE l.school_id IS NOT NULL;
        ELSIF TG_OP = 'DELETE' THEN
            SELECT array_agg(DISTINCT c.textbook_id) INTO changed
            FROM old_rows l JOIN paragraphs p ON p.id = l.paragraph_id JOIN chapters c ON c.id = p.chapter_id
            WHERE l.school_id IS NOT NULL;
        ELSE
            SELECT array_agg(DISTINCT c.textbook_id) INTO changed
            FROM new_rows n JOIN old_rows o ON o.id = n.id
            JOIN paragraphs p ON p.id IN (o.paragraph_id, n.paragraph_id) JOIN chapters c ON c.id = p.chapter_id
            WHERE n.school_id IS NOT NULL AND ROW(o.*) IS DISTINCT FROM ROW(n.*);
        END IF;
    END IF;
    IF changed IS NOT NULL THEN
        UPDATE textbooks SET is_customized = true
        WHERE id = ANY (changed) AND global_textbook_id IS NOT NULL AND NOT is_customized
          AND id::text IS DISTINCT FROM nullif(current_setting('app.fork_sync', true), '');
    END IF;
    RETURN NULL;
END $$;
"""

# The copy's own description (not its bookkeeping: versions, snapshot, flags, timestamps).
MARK_TEXTBOOK = """
CREATE FUNCTION textbooks_mark_customized_row() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.id::text IS DISTINCT FROM nullif(current_setting('app.fork_sync', true), '') THEN
        NEW.is_customized := true;
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER textbooks_edit_marks_customized BEFORE UPDATE ON textbooks FOR EACH ROW
    WHEN (OLD.global_textbook_id IS NOT NULL AND NOT OLD.is_customized AND NOT NEW.is_customized AND
          (OLD.subject_id, OLD.title, OLD.grade_level, OLD.language, OLD.author, OLD.publisher, OLD.year, OLD.isbn,
           OLD.is_active)
          IS DISTINCT FROM
          (NEW.subject_id, NEW.title, NEW.grade_level, NEW.language, NEW.author, NEW.publisher, NEW.year, NEW.isbn,
           NEW.is_active))
    EXECUTE FUNCTION textbooks_mark_customized_row();
"""

TRANSITIONS = {
    "INSERT": "REFERENCING NEW TABLE AS new_rows",
    "UPDATE": "REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows",
    "DELETE": "REFERENCING OLD TABLE AS old_rows",
}
# Alignments to GOSO outcomes and to external items (0005) alike: the function's last branch reads
# paragraph_id and school_id, which both tables have.
MARK_TRIGGERS = [
    (table, event) for table in ("chapters", "paragraphs", "paragraph_outcomes", "paragraph_external_items")
    for event in TRANSITIONS
]


def mark_trigger(table, event):
    return (
        f"CREATE TRIGGER {table}_{event.lower()}_marks_customized AFTER {event} ON {table} {TRANSITIONS[event]} "
        f"FOR EACH STATEMENT EXECUTE FUNCTION textbooks_mark_customized()"
    )


class Migration(migrations.Migration):

    dependencies = [
        ('textbooks', '0005_external_alignments'),
    ]

    operations = [
        migrations.AddField(
            model_name='textbook',
            name='source_snapshot',
            field=models.JSONField(blank=True, editable=False, null=True, verbose_name='copied content'),
        ),
        migrations.RunSQL(
            [CONTENT_FUNCTION, *BACKFILL, MARK_FUNCTION, MARK_TEXTBOOK] + [mark_trigger(*trigger) for trigger in MARK_TRIGGERS],
            reverse_sql=[f"DROP TRIGGER IF EXISTS {table}_{event.lower()}_marks_customized ON {table}" for table, event in MARK_TRIGGERS]
            + [
                "DROP TRIGGER IF EXISTS textbooks_edit_marks_customized ON textbooks",
                "DROP FUNCTION IF EXISTS textbooks_mark_customized_row()",
                "DROP FUNCTION IF EXISTS textbooks_mark_customized()",
                "DROP FUNCTION IF EXISTS textbook_content(bigint)",
            ],
        ),
    ]
