"""`manage.py makemigrations`, which also notices row-level security policies changed in
tenants/rls.py without a migration (Django's autodetector sees models only)."""

import sys

from django.core.management.commands.makemigrations import Command as DjangoMakeMigrationsCommand

from tenants.rls_migrations import rls_problems


class Command(DjangoMakeMigrationsCommand):
    def handle(self, *app_labels, **options):
        problems = rls_problems()
        for problem in problems:
            self.stderr.write(problem)
        if problems and options["check_changes"]:
            sys.exit(1)
        super().handle(*app_labels, **options)
