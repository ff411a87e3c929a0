from django.db import migrations

from hotline.migration_ops import RunSQLOnPostgres


class Migration(migrations.Migration):
    dependencies = [("evaluation", "0003_callback_indexes_covered")]

    operations = [
        # The monthly rankings read one month of completed callbacks, which follow the replies in time.
        RunSQLOnPostgres(
            "CREATE INDEX callback_completed_brin ON evaluation_callback USING brin (completed_at)",
            "DROP INDEX callback_completed_brin",
        ),
    ]
