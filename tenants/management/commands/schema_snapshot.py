"""`manage.py schema_snapshot`: write schema/snapshot.json from a freshly migrated database.

Run it after adding a migration and commit the result with it: it migrates a throwaway database
(created and dropped by the owner role) and reads its schema. The test suite fails while the
committed snapshot and the migrations disagree.
"""

from pathlib import Path

from django.core.management import call_command
from django.core.management.base import BaseCommand

from tenants.schema import SNAPSHOT_PATH, database_scratch, schema_read, snapshot_dump


class Command(BaseCommand):
    help = "Write the schema snapshot (schema/snapshot.json) from a migrated database."

    def add_arguments(self, parser):
        parser.add_argument("--database", help="Read this connection alias's database as it is, instead of migrating a new one.")
        parser.add_argument("--output", default=str(SNAPSHOT_PATH), help="Where to write (default: %(default)s).")

    def handle(self, *args, database, output, **options):
        if database:
            snapshot = schema_read(using=database)
        else:
            with database_scratch() as name:
                self.stdout.write(f"Migrating a throwaway database {name}")
                call_command("migrate", database="scratch", verbosity=0)
                snapshot = schema_read(using="scratch")
        Path(output).write_text(snapshot_dump(snapshot), encoding="utf-8")
        self.stdout.write(f"Wrote {output}")
