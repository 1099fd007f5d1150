"""global_row_counts: the number of global (national) alignments, kept exact by statement triggers.

A school's alignment list counts the global rows beside its own (textbooks.selectors.AlignmentPages). At
national size that count read about 80,000 index entries on every list request, most of the list's
database time; the table keeps it in one row. Statement triggers with transition tables add what each
INSERT, UPDATE or DELETE of paragraph_outcomes changed among global rows (one cheap scan of the statement's
own rows, so a school's write pays almost nothing and a bulk load is counted once); a TRUNCATE removes the
row, which readers then count afresh. The function is the owner's (SECURITY DEFINER): the runtime roles
only read the table (tenants/rls.py TABLES_WITHOUT_RLS).
"""

from django.db import migrations, models

from tenants.migration_sql import RoleSQL

TABLE = "paragraph_outcomes"

FUNCTION = """
CREATE FUNCTION public.global_row_counts_add() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER
SET search_path = '' AS $$
DECLARE delta bigint := 0;
BEGIN
    IF TG_OP = 'TRUNCATE' THEN
        DELETE FROM public.global_row_counts WHERE table_name = TG_TABLE_NAME;
        RETURN NULL;
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        delta := delta + (SELECT count(*) FROM new_rows WHERE school_id IS NULL);
    END IF;
    IF TG_OP IN ('DELETE', 'UPDATE') THEN
        delta := delta - (SELECT count(*) FROM old_rows WHERE school_id IS NULL);
    END IF;
    IF delta <> 0 THEN
        INSERT INTO public.global_row_counts AS counts (table_name, row_count) VALUES (TG_TABLE_NAME, delta)
        ON CONFLICT (table_name) DO UPDATE SET row_count = counts.row_count + excluded.row_count;
    END IF;
    RETURN NULL;
END $$;
REVOKE ALL ON FUNCTION public.global_row_counts_add() FROM PUBLIC;
"""

TRANSITIONS = {
    "INSERT": "REFERENCING NEW TABLE AS new_rows",
    "UPDATE": "REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows",
    "DELETE": "REFERENCING OLD TABLE AS old_rows",
}

TRIGGERS = [
    f"CREATE TRIGGER {TABLE}_{event.lower()}_counts_global AFTER {event} ON {TABLE} {transition} "
    "FOR EACH STATEMENT EXECUTE FUNCTION global_row_counts_add()"
    for event, transition in TRANSITIONS.items()
] + [f"CREATE TRIGGER {TABLE}_truncate_counts_global AFTER TRUNCATE ON {TABLE} FOR EACH STATEMENT "
     "EXECUTE FUNCTION global_row_counts_add()"]

# The owner counts every global row (paragraph_outcomes forces row-level security on the owner too).
INITIAL_COUNT = [
    f"ALTER TABLE {TABLE} NO FORCE ROW LEVEL SECURITY",
    f"INSERT INTO global_row_counts (table_name, row_count) "
    f"SELECT '{TABLE}', count(*) FROM {TABLE} WHERE school_id IS NULL",
    f"ALTER TABLE {TABLE} FORCE ROW LEVEL SECURITY",
]


class Migration(migrations.Migration):

    dependencies = [
        ('textbooks', '0009_fork_updates_external_alignments'),
    ]

    operations = [
        migrations.CreateModel(
            name='GlobalRowCount',
            fields=[
                ('table_name', models.CharField(max_length=63, primary_key=True, serialize=False)),
                ('row_count', models.BigIntegerField()),
            ],
            options={
                'db_table': 'global_row_counts',
                'default_permissions': (),
            },
        ),
        RoleSQL(
            "REVOKE INSERT, UPDATE, DELETE, TRUNCATE ON public.global_row_counts FROM {runtime}, {super_admin}",
            "GRANT INSERT, UPDATE, DELETE ON public.global_row_counts TO {runtime}, {super_admin}",
            comment="the runtime roles read the counts; only the triggers' function writes them",
        ),
        migrations.RunSQL(
            [FUNCTION, *TRIGGERS, *INITIAL_COUNT],
            reverse_sql=[
                *[f"DROP TRIGGER IF EXISTS {TABLE}_{event.lower()}_counts_global ON {TABLE}"
                  for event in [*TRANSITIONS, "TRUNCATE"]],
                "DROP FUNCTION IF EXISTS global_row_counts_add()",
            ],
        ),
    ]
