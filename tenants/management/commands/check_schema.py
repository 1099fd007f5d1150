"""`manage.py check_schema`: compare a live database with what the migrations define.

Names every table, column, constraint, index, trigger, function, policy, row-security flag and
grant that differs from the committed snapshot (schema/snapshot.json), and every migration not yet
applied; exits with status 1 on any difference.
"""

from django.core.management.base import BaseCommand, CommandError
from django.db import connections
from django.db.migrations.executor import MigrationExecutor

from tenants.schema import schema_differences, schema_read, snapshot_load


def unapplied_migrations(*, using: str) -> list[str]:
    executor = MigrationExecutor(connections[using])
    plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
    return [f"migrations: {migration.app_label}.{migration.name} is not applied" for migration, _ in plan]


class Command(BaseCommand):
    help = "Compare the live database with the schema the migrations define; exit 1 on any difference."

    def add_arguments(self, parser):
        parser.add_argument("--database", default="owner", help="Connection alias (default: owner).")

    def handle(self, *args, database, **options):
        differences = unapplied_migrations(using=database) + schema_differences(
            expected=snapshot_load(), actual=schema_read(using=database)
        )
        name = connections[database].settings_dict["NAME"]
        if differences:
            for difference in differences:
                self.stdout.write(difference)
            raise CommandError(f"{len(differences)} difference(s) between database {name} and the migrations.")
        self.stdout.write(f"Database {name} matches the migrations.")
