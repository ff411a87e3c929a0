from django.db import migrations

from hotline.migration_ops import RunSQLOnPostgres


class Migration(migrations.Migration):
    dependencies = [("dispatch", "0005_assignment_unit_newest")]

    operations = [
        # The monthly rankings read one month of dispatches; rows arrive in time order.
        RunSQLOnPostgres(
            "CREATE INDEX assignment_dispatched_brin ON dispatch_assignment USING brin (dispatched_at)",
            "DROP INDEX assignment_dispatched_brin",
        ),
    ]
