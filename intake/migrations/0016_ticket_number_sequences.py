from django.db import migrations

from hotline.migration_ops import RunSQLOnPostgres

# The day's next tracking number from the day's own sequence (intake/numbers.py), created with
# the day's first number and started after the day's counter row. The creator holds an advisory
# lock until its transaction ends; a concurrent first number waits for it, and its CREATE, which
# then sees the committed sequence, fails and is skipped.
NEXT_TICKET_NUMBER = """
CREATE FUNCTION intake_next_ticket_number(day date) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
    sequence_name text := 'intake_ticket_number_' || to_char(day, 'YYYYMMDD');
BEGIN
    IF to_regclass(sequence_name) IS NULL THEN
        PERFORM pg_advisory_xact_lock(hashtext(sequence_name));
        BEGIN
            EXECUTE format('CREATE SEQUENCE %I MAXVALUE 999999', sequence_name);
            PERFORM setval(sequence_name, counter.last)
            FROM intake_ticketnumbercounter AS counter
            WHERE counter.day = intake_next_ticket_number.day AND counter.last > 0;
        EXCEPTION WHEN duplicate_table THEN
            NULL;
        END;
    END IF;
    RETURN to_char(day, 'YYYYMMDD') || lpad(nextval(sequence_name::regclass)::text, 6, '0');
END
$$
"""


class Migration(migrations.Migration):
    dependencies = [("intake", "0015_caller_sms_opt_out")]

    operations = [
        RunSQLOnPostgres(NEXT_TICKET_NUMBER, reverse_sql="DROP FUNCTION intake_next_ticket_number(date)"),
    ]
