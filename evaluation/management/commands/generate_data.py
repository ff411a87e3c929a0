from django.core.management.base import BaseCommand, CommandError
from django.db import connection
from psycopg2.extensions import make_dsn

from bench.generator import generate


def database_dsn() -> str:
    params = connection.get_connection_params()
    return make_dsn(
        **{key: value for key, value in params.items() if key in {"dbname", "user", "password", "host", "port"}}
    )


class Command(BaseCommand):
    help = "Generate realistic tickets with their lifecycles (PostgreSQL COPY), calibrated on Beijing 2020."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--tickets", type=int, default=100_000)
        parser.add_argument("--years", type=float, default=1.0, help="spread over the last N years, up to today")
        parser.add_argument("--seed", type=int, default=12345)
        parser.add_argument("--workers", type=int, default=2, help="parallel generating processes")

    def handle(self, *args, tickets: int, years: float, seed: int, workers: int, **options) -> None:
        if connection.vendor != "postgresql":
            raise CommandError("The generator loads with PostgreSQL COPY: set DATABASE_URL to a PostgreSQL database.")
        connection.close()  # the worker processes open their own connections
        result = generate(dsn=database_dsn(), tickets=tickets, years=years, seed=seed, workers=workers)
        for name, value in result.items():
            self.stdout.write(f"{name}: {value}")
