"""A migration operation for raw SQL that names the deployment's database roles.

The SQL is written into the migration file (frozen: editing Python later never changes what an old
migration does); only the role names, which are deployment settings rather than schema, are filled
in when it runs: `{runtime}` and `{super_admin}` become the quoted runtime and super-admin roles.
"""

from django.db.migrations.operations.base import Operation

from tenants.rls import runtime_role, super_admin_role


class RoleSQL(Operation):
    reduces_to_sql = True
    reversible = True

    def __init__(self, sql, reverse_sql, *, comment=""):
        self.sql = sql
        self.reverse_sql = reverse_sql
        self.comment = comment

    def deconstruct(self):
        return (self.__class__.__name__, [self.sql, self.reverse_sql], {"comment": self.comment})

    def state_forwards(self, app_label, state):
        pass

    def _run(self, schema_editor, sql):
        quote = schema_editor.quote_name
        schema_editor.execute(sql.format(runtime=quote(runtime_role()), super_admin=quote(super_admin_role())), params=None)

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        self._run(schema_editor, self.sql)

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        self._run(schema_editor, self.reverse_sql)

    def describe(self):
        return self.comment or "Raw SQL naming the runtime and super-admin roles"
