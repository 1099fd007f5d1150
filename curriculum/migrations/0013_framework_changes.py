"""When each framework's CASE packages last changed, kept by statement triggers (curriculum/case_models.py).

The CASE service read it as five MAX(updated_at) aggregates per request, one of them over the framework's
outcomes joined to their crosswalks (10 ms at 10,000 outcomes). Every table a package is made of now
upserts framework_changes once per statement: the time of the rows it really changed (their updated_at,
kept by the triggers of 0005), or now() for a deletion (which a MAX never saw), for an accepted version
link (published as replacedBy in both frameworks) and for a crosswalked external item whose code, text or
URI changed (a crosswalk's destination). The foreign key cascades in the database: Django's collector
deletes dependents in its own order, and an outcome deleted after this row would write it again.
"""

from django.db import migrations, models

from tenants.rls import EnableRowSecurity

EVENTS = {"INSERT": "NEW TABLE AS new_rows", "UPDATE": "OLD TABLE AS old_rows NEW TABLE AS new_rows",
          "DELETE": "OLD TABLE AS old_rows"}

# (table, event) -> the (framework_id, at) pairs the statement changed. Rows of the four tables whose
# updated_at a row trigger keeps (0005) changed when their updated_at moved; the others are compared whole.
_CONTENT = {
    "INSERT": "SELECT framework_id, greatest(updated_at, now()) AS at FROM new_rows",
    "UPDATE": """SELECT moved.framework_id, n.updated_at AS at
        FROM old_rows o JOIN new_rows n ON n.id = o.id,
             LATERAL (VALUES (o.framework_id), (n.framework_id)) AS moved(framework_id)
        WHERE n.updated_at IS DISTINCT FROM o.updated_at""",
    "DELETE": "SELECT framework_id, now() AS at FROM old_rows",
}
_SUBSECTIONS = {
    "INSERT": """SELECT s.framework_id, greatest(n.updated_at, now()) AS at
        FROM new_rows n JOIN goso_sections s ON s.id = n.section_id""",
    "UPDATE": """SELECT s.framework_id, n.updated_at AS at
        FROM old_rows o JOIN new_rows n ON n.id = o.id,
             LATERAL (VALUES (o.section_id), (n.section_id)) AS moved(section_id)
             JOIN goso_sections s ON s.id = moved.section_id
        WHERE n.updated_at IS DISTINCT FROM o.updated_at""",
    "DELETE": """SELECT s.framework_id, now() AS at FROM old_rows o JOIN goso_sections s ON s.id = o.section_id""",
}
_CROSSWALKS = {
    "INSERT": """SELECT lo.framework_id, greatest(n.updated_at, now()) AS at
        FROM new_rows n JOIN learning_outcomes lo ON lo.id = n.outcome_id""",
    "UPDATE": """SELECT lo.framework_id, greatest(n.updated_at, now()) AS at
        FROM old_rows o JOIN new_rows n ON n.id = o.id,
             LATERAL (VALUES (o.outcome_id), (n.outcome_id)) AS moved(outcome_id)
             JOIN learning_outcomes lo ON lo.id = moved.outcome_id
        WHERE n IS DISTINCT FROM o""",
    "DELETE": """SELECT lo.framework_id, now() AS at FROM old_rows o JOIN learning_outcomes lo ON lo.id = o.outcome_id""",
}
# Only accepted links are published; both ends' frameworks show them.
_LINKS_TOUCHED = {
    "INSERT": "SELECT old_outcome_id, new_outcome_id FROM new_rows WHERE status = 'accepted'",
    "UPDATE": """SELECT x.old_outcome_id, x.new_outcome_id
        FROM old_rows o JOIN new_rows n ON n.id = o.id,
             LATERAL (VALUES (o.old_outcome_id, o.new_outcome_id), (n.old_outcome_id, n.new_outcome_id))
                 AS x(old_outcome_id, new_outcome_id)
        WHERE (o.status = 'accepted' OR n.status = 'accepted') AND n IS DISTINCT FROM o""",
    "DELETE": "SELECT old_outcome_id, new_outcome_id FROM old_rows WHERE status = 'accepted'",
}
_LINKS = {
    event: f"""SELECT lo.framework_id, now() AS at
        FROM ({touched}) AS link
             CROSS JOIN LATERAL (VALUES (link.old_outcome_id), (link.new_outcome_id)) AS ends(outcome_id)
             JOIN learning_outcomes lo ON lo.id = ends.outcome_id"""
    for event, touched in _LINKS_TOUCHED.items()
}
# A crosswalk's destination shows the external item's code (or text), identifier and URI.
_EXTERNAL_ITEMS = {
    "UPDATE": """SELECT lo.framework_id, now() AS at
        FROM old_rows o JOIN new_rows n ON n.id = o.id
             JOIN outcome_crosswalks c ON c.external_item_id = n.id
             JOIN learning_outcomes lo ON lo.id = c.outcome_id
        WHERE (n.human_coding_scheme, n.full_statement, n.identifier, n.uri)
              IS DISTINCT FROM (o.human_coding_scheme, o.full_statement, o.identifier, o.uri)""",
}
TOUCHED = {
    "goso_sections": _CONTENT, "learning_outcomes": _CONTENT, "goso_subsections": _SUBSECTIONS,
    "outcome_crosswalks": _CROSSWALKS, "outcome_version_links": _LINKS, "external_items": _EXTERNAL_ITEMS,
}

# EXECUTE: planned for each statement with its transition tables' real sizes; a plan PL/pgSQL kept from
# one-row edits (a nested loop over old_rows x new_rows) would be quadratic for an import's 16,000-row UPDATE.
_BRANCHES = "\n    ELS".join(
    f"""IF TG_TABLE_NAME = '{table}' AND TG_OP = '{event}' THEN
        EXECUTE $sql$
        INSERT INTO framework_changes AS c (framework_id, changed_at)
        SELECT framework_id, max(at) FROM ({touched}) AS touched
        WHERE framework_id IS NOT NULL GROUP BY framework_id ORDER BY framework_id  -- one lock order
        ON CONFLICT (framework_id) DO UPDATE SET changed_at = excluded.changed_at
        WHERE c.changed_at < excluded.changed_at $sql$;"""
    for table, events in TOUCHED.items() for event, touched in events.items()
)

FUNCTION = f"""
CREATE FUNCTION goso_framework_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    {_BRANCHES}
    END IF;
    RETURN NULL;
END $$
"""

# What the aggregates said until now (deletions could not be seen).
BACKFILL = """
INSERT INTO framework_changes (framework_id, changed_at)
SELECT framework_id, max(at) FROM (
    SELECT framework_id, updated_at AS at FROM goso_sections
    UNION ALL SELECT s.framework_id, ss.updated_at FROM goso_subsections ss JOIN goso_sections s ON s.id = ss.section_id
    UNION ALL SELECT framework_id, updated_at FROM learning_outcomes
    UNION ALL SELECT lo.framework_id, c.updated_at FROM outcome_crosswalks c JOIN learning_outcomes lo ON lo.id = c.outcome_id
) AS rows
WHERE at IS NOT NULL GROUP BY framework_id
"""


def _triggers():
    return [(f"{table}_framework_changed_{event.lower()}", table, event)
            for table, events in TOUCHED.items() for event in events]


class Migration(migrations.Migration):

    dependencies = [
        ('curriculum', '0012_external_text_limits'),
    ]

    operations = [
        migrations.CreateModel(
            name='FrameworkChange',
            fields=[
                ('framework', models.OneToOneField(db_constraint=False, on_delete=models.deletion.DO_NOTHING, primary_key=True, related_name='case_change', serialize=False, to='curriculum.framework', verbose_name='framework')),
                ('changed_at', models.DateTimeField(verbose_name='content changed at')),
            ],
            options={
                'verbose_name': 'framework content change',
                'verbose_name_plural': 'framework content changes',
                'db_table': 'framework_changes',
            },
        ),
        migrations.RunSQL(
            [
                "ALTER TABLE framework_changes ADD CONSTRAINT framework_changes_framework_fk "
                "FOREIGN KEY (framework_id) REFERENCES frameworks (id) ON DELETE CASCADE",
                BACKFILL,
                FUNCTION,
            ]
            + [
                f"CREATE TRIGGER {name} AFTER {event} ON {table} REFERENCING {EVENTS[event]} "
                "FOR EACH STATEMENT EXECUTE FUNCTION goso_framework_changed()"
                for name, table, event in _triggers()
            ],
            reverse_sql=[f"DROP TRIGGER IF EXISTS {name} ON {table}" for name, table, _ in _triggers()]
            + [
                "DROP FUNCTION IF EXISTS goso_framework_changed()",
                "ALTER TABLE framework_changes DROP CONSTRAINT IF EXISTS framework_changes_framework_fk",
            ],
        ),
        EnableRowSecurity(
            table="framework_changes",
            kind="reference",
            policies={
                "framework_changes_read_all": """CREATE POLICY "framework_changes_read_all" ON "framework_changes" AS PERMISSIVE FOR SELECT TO PUBLIC USING (true)""",
                "framework_changes_super_admin_all": """CREATE POLICY "framework_changes_super_admin_all" ON "framework_changes" AS PERMISSIVE FOR ALL TO {super_admin} USING ((SELECT current_setting('app.is_super_admin', true) IS NOT DISTINCT FROM 'true')) WITH CHECK ((SELECT current_setting('app.is_super_admin', true) IS NOT DISTINCT FROM 'true'))""",
            },
        ),
    ]
