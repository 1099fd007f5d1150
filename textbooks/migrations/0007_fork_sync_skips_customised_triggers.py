"""While the fork or update service writes a copy (app.fork_sync set, textbooks/services.py
fork_sync), the "customised" statement triggers of 0006 are not even called: their WHEN clause skips
them, sparing the joins over every row the service writes (a 1,000-paragraph fork or update)."""

from django.db import migrations

EVENTS = {
    "INSERT": "REFERENCING NEW TABLE AS new_rows",
    "UPDATE": "REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows",
    "DELETE": "REFERENCING OLD TABLE AS old_rows",
}
TABLES = ("chapters", "paragraphs", "paragraph_outcomes", "paragraph_external_items")
NOT_SYNCING = "WHEN (nullif(current_setting('app.fork_sync', true), '') IS NULL) "


def triggers(when):
    return [
        sql
        for table in TABLES for event, transitions in EVENTS.items()
        for sql in (
            f"DROP TRIGGER {table}_{event.lower()}_marks_customized ON {table}",
            f"CREATE TRIGGER {table}_{event.lower()}_marks_customized AFTER {event} ON {table} {transitions} "
            f"FOR EACH STATEMENT {when}EXECUTE FUNCTION textbooks_mark_customized()",
        )
    ]


class Migration(migrations.Migration):

    dependencies = [
        ('textbooks', '0006_fork_updates'),
    ]

    operations = [
        migrations.RunSQL(triggers(NOT_SYNCING), reverse_sql=triggers("")),
    ]
