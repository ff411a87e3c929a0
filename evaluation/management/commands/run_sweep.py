from collections.abc import Callable

from django.core.management.base import BaseCommand

from dispatch import sweeps
from evaluation import callbacks as callback_services
from hotline import tasks as hotline_tasks

SWEEPS: dict[str, Callable[[], object]] = {
    "late-signs": sweeps.sweep_late_signs,
    "late-contacts": sweeps.sweep_late_contacts,
    "deadline-alerts": sweeps.sweep_deadline_alerts,
    "callbacks": callback_services.open_due_callbacks,
    "overdue-callbacks": callback_services.sweep_overdue_callbacks,
    "sms": hotline_tasks.requeue_pending_sms,
}


class Command(BaseCommand):
    help = "Run one periodic sweep once, now, in this process (for operators; beat runs them every minute)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("sweep", choices=[*SWEEPS, "all"])

    def handle(self, *args, sweep: str, **options) -> None:
        for name in SWEEPS if sweep == "all" else [sweep]:
            self.stdout.write(f"{name}: {SWEEPS[name]()}")
