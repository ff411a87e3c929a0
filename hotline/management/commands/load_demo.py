import os
import secrets
from importlib import import_module

from django.core.management.base import BaseCommand

from hotline import demo

# In dependency order: each app's demo module may use what the previous ones created. The history
# comes after intake's (whose first category model learns from the tree alone, in seconds) and before
# the rankings of its months and the rollups of everything.
DEMO_APPS = ("hotline", "intake", "history", "dispatch", "evaluation", "open311", "analytics", "topics", "reports")


class Command(BaseCommand):
    help = "Create the demo data: users per role, a past year of tickets, then each app's own. Idempotent."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--password", help="password for all demo users (default: $DEMO_PASSWORD or random)")
        parser.add_argument(
            "--history",
            type=int,
            default=int(os.environ.get("DEMO_HISTORY_TICKETS", 40_000)),
            help="tickets of the past year, generated once (default: $DEMO_HISTORY_TICKETS or 40000; 0: none)",
        )

    def handle(self, *args, password: str | None, history: int, **options) -> None:
        password = password or os.environ.get("DEMO_PASSWORD") or secrets.token_urlsafe(9)
        for app in DEMO_APPS:
            if app == "history":
                lines = demo.load_history(tickets=history)
            else:
                lines = import_module(f"{app}.demo").load(password=password)
            for line in lines:
                self.stdout.write(line)
