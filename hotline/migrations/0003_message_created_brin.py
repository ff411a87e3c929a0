from django.db import migrations

from hotline.migration_ops import RunSQLOnPostgres


class Migration(migrations.Migration):
    dependencies = [("hotline", "0002_notifications_sms_holidays")]

    # The nightly retention prune reads the oldest rows of two tables that grow in time order.
    operations = [
        RunSQLOnPostgres(
            "CREATE INDEX notification_created_brin ON hotline_notification USING brin (created_at)",
            "DROP INDEX notification_created_brin",
        ),
        RunSQLOnPostgres(
            "CREATE INDEX sms_created_brin ON hotline_smsmessage USING brin (created_at)",
            "DROP INDEX sms_created_brin",
        ),
    ]
