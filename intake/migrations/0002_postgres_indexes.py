from django.contrib.postgres.operations import TrigramExtension
from django.db import migrations

from hotline.migration_ops import RunSQLOnPostgres


class Migration(migrations.Migration):
    dependencies = [("intake", "0001_initial")]

    operations = [
        TrigramExtension(),
        # Month ranges over a table that only grows in time order.
        RunSQLOnPostgres(
            "CREATE INDEX ticket_created_brin ON intake_ticket USING brin (created_at)",
            "DROP INDEX ticket_created_brin",
        ),
        # Repeat detection compares new text with open tickets only (< 1 % of the table).
        RunSQLOnPostgres(
            "CREATE INDEX ticket_open_text_trgm ON intake_ticket USING gin (description gin_trgm_ops) "
            "WHERE closed_at IS NULL",
            "DROP INDEX ticket_open_text_trgm",
        ),
        # icontains compiles to UPPER(col) LIKE UPPER(%term%): index the same expression.
        RunSQLOnPostgres(
            "CREATE INDEX article_title_trgm ON intake_knowledgearticle USING gin (UPPER(title) gin_trgm_ops)",
            "DROP INDEX article_title_trgm",
        ),
        RunSQLOnPostgres(
            "CREATE INDEX article_body_trgm ON intake_knowledgearticle USING gin (UPPER(body) gin_trgm_ops)",
            "DROP INDEX article_body_trgm",
        ),
        # The event log is append-only: the database itself refuses to change history.
        RunSQLOnPostgres(
            """
            CREATE FUNCTION intake_ticketevent_append_only() RETURNS trigger AS $$
            BEGIN
                RAISE EXCEPTION 'intake_ticketevent is append-only';
            END;
            $$ LANGUAGE plpgsql;
            CREATE TRIGGER ticketevent_append_only BEFORE UPDATE OR DELETE ON intake_ticketevent
                FOR EACH ROW EXECUTE FUNCTION intake_ticketevent_append_only();
            """,
            """
            DROP TRIGGER ticketevent_append_only ON intake_ticketevent;
            DROP FUNCTION intake_ticketevent_append_only();
            """,
        ),
    ]
