import os
import secrets
from importlib import import_module
from importlib.util import find_spec

from django.core.management.base import BaseCommand

# In dependency order: each app's demo module may use what the previous ones created.
DEMO_APPS = ("hotline", "intake", "dispatch", "evaluation", "open311", "analytics")


class Command(BaseCommand):
    help = "Create the demo data of every app (users per role, then each app's own). Idempotent."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--password", help="password for all demo users (default: $DEMO_PASSWORD or random)")

    def handle(self, *args, password: str | None, **options) -> None:
        password = password or os.environ.get("DEMO_PASSWORD") or secrets.token_urlsafe(9)
        for app in DEMO_APPS:
            if find_spec(f"{app}.demo"):
                for line in import_module(f"{app}.demo").load(password=password):
                    self.stdout.write(line)
