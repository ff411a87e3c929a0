from django.db import migrations

from hotline.migration_ops import RunSQLOnPostgres


class Migration(migrations.Migration):
    dependencies = [("analytics", "0001_initial"), ("intake", "0002_postgres_indexes")]

    operations = [
        # The rollup refresh looks up the tickets changed since its watermark (every status change
        # saves the ticket, so updated_at moves): without this index that is a scan of the table.
        RunSQLOnPostgres(
            "CREATE INDEX IF NOT EXISTS analytics_ticket_updated_at ON intake_ticket (updated_at)",
            "DROP INDEX IF EXISTS analytics_ticket_updated_at",
        ),
    ]
