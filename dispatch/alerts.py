"""When an assignment's deadline alerts fire: 75 % of the time, 1 h before, and at the deadline.

The next alert is stored on the assignment (stage + moment) so that the sweep reads it through
a partial index; `schedule_alerts` is called wherever a deadline is set or moved.
"""

from datetime import datetime

from django.conf import settings
from django.utils import timezone

from dispatch.models import Assignment, ReminderStage


def reminder_schedule(*, dispatched_at: datetime, due_at: datetime) -> list[tuple[str, datetime]]:
    """(stage, when) of the alerts for a deadline: 75 % of the time, 1 h before, and the deadline."""
    span = due_at - dispatched_at
    reminders = [
        (ReminderStage.SEVENTY_FIVE, dispatched_at + span * settings.HOTLINE_REMINDER_FRACTION),
        (ReminderStage.ONE_HOUR, due_at - settings.HOTLINE_REMINDER_BEFORE),
    ]
    # For an emergency's 2 h, "1 h before" comes before "75 %": keep them in time order. The
    # deadline itself is always the last alert.
    reminders.sort(key=lambda alert: alert[1])
    return [*(alert for alert in reminders if alert[1] < due_at), (ReminderStage.OVERDUE, due_at)]


def next_alert(*, assignment: Assignment, after_stage: str) -> tuple[str, datetime | None]:
    """The alert that follows `after_stage` in the assignment's schedule; (DONE, None) after the last."""
    schedule = reminder_schedule(dispatched_at=assignment.dispatched_at, due_at=assignment.due_at)
    stages = [stage for stage, _at in schedule]
    position = stages.index(after_stage) + 1
    return schedule[position] if position < len(schedule) else (ReminderStage.DONE, None)


def schedule_alerts(*, assignment: Assignment, now: datetime | None = None) -> None:
    """Set the first alert still ahead of `now` for the assignment's (new) deadline.

    Called when a deadline is set or moved (dispatch, approved extension, reopening, rejected
    return): alerts already past for the new deadline are not sent late, the overdue one is.
    """
    now = now or timezone.now()
    stage, at = ReminderStage.NONE, None
    for candidate, when in reminder_schedule(dispatched_at=assignment.dispatched_at, due_at=assignment.due_at):
        if when > now or candidate == ReminderStage.OVERDUE:
            stage, at = candidate, when
            break
    assignment.next_alert_stage, assignment.next_alert_at = stage, at
