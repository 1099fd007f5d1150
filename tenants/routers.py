class SharedSchemaRouter:
    """Replaces django-tenants' TenantSyncRouter (settings.TENANT_SYNC_ROUTER).

    That router splits apps between the public and per-school schemas and only migrates the
    `default` alias. Here every app lives in the public schema and migrations run on the `owner`
    alias, so every migration is allowed everywhere (None: no opinion, Django's default), except on a
    read replica (tenants/replicas.py), which replays the primary's.
    """

    def allow_migrate(self, db, app_label, model_name=None, **hints):
        return False if db == "replica" else None
