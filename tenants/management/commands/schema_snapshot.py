"""`manage.py schema_snapshot`: write schema/snapshot.json from a freshly migrated database.

Run it after adding a migration (on a database migrated from scratch, e.g. the test database); the
test suite fails while the committed snapshot and the migrations disagree.
"""

from pathlib import Path

from django.core.management.base import BaseCommand

from tenants.schema import SNAPSHOT_PATH, schema_read, snapshot_dump


class Command(BaseCommand):
    help = "Write the schema snapshot (schema/snapshot.json) from a migrated database."

    def add_arguments(self, parser):
        parser.add_argument("--database", default="owner", help="Connection alias (default: owner).")
        parser.add_argument("--output", default=str(SNAPSHOT_PATH), help="Where to write (default: %(default)s).")

    def handle(self, *args, database, output, **options):
        Path(output).write_text(snapshot_dump(schema_read(using=database)), encoding="utf-8")
        self.stdout.write(f"Wrote {output}")
