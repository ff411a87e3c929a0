"""Operators' handle on the periodic sweeps that beat runs (CELERY_BEAT_SCHEDULE in settings)."""

from django.core.management.base import BaseCommand
from django.utils.module_loading import import_string

# By dotted path, as the beat schedule names its tasks: the shared core does not import the apps
# built on it. Each runs in this process and returns what it did.
SWEEPS: dict[str, str] = {
    "late-signs": "dispatch.sweeps.sweep_late_signs",
    "late-contacts": "dispatch.sweeps.sweep_late_contacts",
    "deadline-alerts": "dispatch.sweeps.sweep_deadline_alerts",
    "callbacks": "evaluation.callbacks.open_due_callbacks",
    "overdue-callbacks": "evaluation.callbacks.sweep_overdue_callbacks",
    "sms": "hotline.tasks.requeue_pending_sms",
}


class Command(BaseCommand):
    help = "Run one periodic sweep once, now, in this process (for operators; beat runs them every minute)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("sweep", choices=[*SWEEPS, "all"])

    def handle(self, *args, sweep: str, **options) -> None:
        for name in SWEEPS if sweep == "all" else [sweep]:
            self.stdout.write(f"{name}: {import_string(SWEEPS[name])()}")
