from django.core.management.base import BaseCommand
from django.db import connection

from hotline.generator import database_dsn, generate, generate_here


class Command(BaseCommand):
    help = (
        "Generate realistic tickets with their lifecycles, calibrated on Beijing 2020: in parallel with "
        "PostgreSQL COPY, or in this process on SQLite (and with --here)."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("--tickets", type=int, default=100_000)
        parser.add_argument("--years", type=float, default=1.0, help="spread over the last N years, up to today")
        parser.add_argument("--seed", type=int, default=12345)
        parser.add_argument("--workers", type=int, default=2, help="parallel generating processes (PostgreSQL)")
        parser.add_argument("--here", action="store_true", help="in this process and one transaction")

    def handle(self, *args, tickets: int, years: float, seed: int, workers: int, here: bool, **options) -> None:
        if here or connection.vendor != "postgresql":
            result = generate_here(tickets=tickets, years=years, seed=seed)
        else:
            connection.close()  # the worker processes open their own connections
            result = generate(dsn=database_dsn(), tickets=tickets, years=years, seed=seed, workers=workers)
        for name, value in result.items():
            self.stdout.write(f"{name}: {value}")
