from django.core.management.base import BaseCommand

from hotline import services


class Command(BaseCommand):
    help = (
        "Load (or update) Beijing's organisation tree, its communities, the districts' zones (only where a "
        "district has none) and the category tree. Idempotent."
    )

    def handle(self, *args, **options) -> None:
        # Units first: each community names its street by code.
        units = services.load_units(rows=services.read_unit_rows())
        communities = services.load_communities(rows=services.read_community_rows())
        zones = services.load_zones(rows=services.read_zone_rows())
        categories = services.load_categories(tree=services.read_category_tree())
        for label, result in (("units", units), ("communities", communities), ("categories", categories)):
            self.stdout.write(
                f"{label}: {result.created} created, {result.updated} updated, {result.unchanged} unchanged"
            )
        self.stdout.write(f"zones: {zones.assigned} assigned, {zones.kept} kept")
