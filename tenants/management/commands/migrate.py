"""`manage.py migrate`, as the owner role and without per-school schemas.

Schools are isolated by rows, so django-tenants' schema migration is never needed; its `migrate`
(which fails once schools exist) is replaced by Django's own, run on the `owner` connection because
the runtime role may not change the schema.
"""

from django.core.management.commands.migrate import Command as DjangoMigrateCommand


class Command(DjangoMigrateCommand):
    def add_arguments(self, parser):
        super().add_arguments(parser)
        parser.set_defaults(database="owner")
