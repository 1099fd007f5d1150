"""`manage.py rls_migration`: write the row-level security migrations from tenants/rls.py.

    rls_migration APP --table TABLE=KIND ...   a new table under RLS: a migration of APP enabling it
    rls_migration                              POLICY_KINDS changed: a migration per app replacing the
                                               changed policies of every affected table
    rls_migration --freeze                     fill in the SQL of EnableRowSecurity(table=..., kind=...)
                                               written by hand, in place
"""

from collections import defaultdict

from django.core.management.base import BaseCommand, CommandError

from tenants.rls import POLICY_KINDS, EnableRowSecurity, ReplaceRowSecurityPolicies, policies_frozen
from tenants.rls_migrations import migration_write, migrations_freeze, rls_drift, rls_tables


class Command(BaseCommand):
    help = "Write migrations that create or update row-level security policies from tenants/rls.py."

    def add_arguments(self, parser):
        parser.add_argument("app_label", nargs="?", help="The app the new migration belongs to (with --table).")
        parser.add_argument("--table", action="append", default=[], metavar="TABLE=KIND",
                            help=f"Put TABLE under row-level security with policies of KIND ({', '.join(POLICY_KINDS)}).")
        parser.add_argument("--freeze", action="store_true", help="Freeze hand-written EnableRowSecurity operations.")
        parser.add_argument("--dry-run", action="store_true", help="Print the migration instead of writing it.")

    def handle(self, *args, app_label, table, freeze, dry_run, **options):
        if freeze:
            for path in migrations_freeze():
                self.stdout.write(f"Froze the policies in {path}")
            return
        if table:
            if not app_label:
                raise CommandError("Name the app the migration belongs to: rls_migration APP --table TABLE=KIND")
            self._write(app_label, [self._enable(spec) for spec in table], "Row-level security on new tables.", dry_run)
            return
        by_app = defaultdict(list)
        for drift in rls_drift():
            if drift.kind not in POLICY_KINDS:
                raise CommandError(f"table {drift.table}: policy kind {drift.kind!r} is no longer in POLICY_KINDS; "
                                   "write its migration by hand (ReplaceRowSecurityPolicies with the new kind).")
            by_app[drift.app_label].append(
                ReplaceRowSecurityPolicies(table=drift.table, kind=drift.kind, old=drift.old, new=drift.new)
            )
        if not by_app:
            self.stdout.write("The migrations create exactly the policies of tenants/rls.py: nothing to write.")
        for label, operations in sorted(by_app.items()):
            if app_label and label != app_label:
                continue
            self._write(label, operations, "Policies changed in tenants/rls.py.", dry_run)

    def _enable(self, spec):
        name, _, kind = spec.partition("=")
        if kind not in POLICY_KINDS:
            raise CommandError(f"--table {spec}: the kind must be one of {', '.join(POLICY_KINDS)}")
        if name in rls_tables():
            raise CommandError(f"--table {spec}: {name} is already under row-level security")
        return EnableRowSecurity(table=name, kind=kind, policies=policies_frozen(table=name, kind=kind))

    def _write(self, app_label, operations, doc, dry_run):
        try:
            path, source = migration_write(app_label=app_label, operations=operations, doc=doc, dry_run=dry_run)
        except ValueError as error:
            raise CommandError(str(error)) from error
        if dry_run:
            self.stdout.write(source)
        else:
            self.stdout.write(f"Wrote {path}")
