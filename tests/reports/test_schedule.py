"""The beat schedule of 《市民热线反映》: one entry per kind, on the reports queue, each expiring."""

from celery.schedules import crontab
from django.conf import settings

from reports.periods import ReportKind


def test_beat_schedules_each_kind_on_the_reports_queue():
    # Given the beat schedule in code
    entries = {
        entry["args"][0]: entry
        for entry in settings.CELERY_BEAT_SCHEDULE.values()
        if entry["task"] == "reports.tasks.generate_due_reports"
    }
    # Then every kind has an entry that expires, on the reports queue
    assert set(entries) == set(ReportKind.values)
    assert all(entry["options"]["expires"] > 0 for entry in entries.values())
    assert settings.CELERY_TASK_ROUTES["reports.*"] == {"queue": "reports"}
    daily: crontab = entries["daily"]["schedule"]
    assert daily.hour == {6}
    assert daily.minute == {0}
    assert entries["weekly"]["schedule"].day_of_week == {1}
    assert entries["monthly"]["schedule"].day_of_month == {2}
    assert entries["quarterly"]["schedule"].month_of_year == {1, 4, 7, 10}
