from django.core.management.base import BaseCommand

from hotline import services


class Command(BaseCommand):
    help = "Load (or update) Beijing's organisation tree and the category tree. Idempotent."

    def handle(self, *args, **options) -> None:
        units = services.load_units(rows=services.read_unit_rows())
        categories = services.load_categories(tree=services.read_category_tree())
        for label, result in (("units", units), ("categories", categories)):
            self.stdout.write(
                f"{label}: {result.created} created, {result.updated} updated, {result.unchanged} unchanged"
            )
