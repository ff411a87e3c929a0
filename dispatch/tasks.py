from celery import shared_task

from dispatch import sweeps


@shared_task
def sweep_late_signs() -> int:
    """Beat, every minute: assignments not signed by their sign deadline."""
    return sweeps.sweep_late_signs().handled


@shared_task
def sweep_late_contacts() -> int:
    """Beat, every minute: signed tickets whose caller was not contacted by the first-contact deadline."""
    return sweeps.sweep_late_contacts().handled


@shared_task
def sweep_deadline_alerts() -> int:
    """Beat, every minute: 75 % and 1 h reminders, overdue marking and escalation."""
    return sweeps.sweep_deadline_alerts().handled
