"""Migration operations for what only PostgreSQL has (BRIN, trigram GIN, triggers).

The demo runs on SQLite, where these are skipped: it is small enough not to need them.
"""

from django.db.migrations.operations import RunSQL


class RunSQLOnPostgres(RunSQL):
    def database_forwards(self, app_label, schema_editor, from_state, to_state) -> None:
        if schema_editor.connection.vendor == "postgresql":
            super().database_forwards(app_label, schema_editor, from_state, to_state)

    def database_backwards(self, app_label, schema_editor, from_state, to_state) -> None:
        if schema_editor.connection.vendor == "postgresql":
            super().database_backwards(app_label, schema_editor, from_state, to_state)
