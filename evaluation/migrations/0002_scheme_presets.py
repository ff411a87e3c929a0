from decimal import Decimal

from django.db import migrations

# Streets, zones and districts are weighted towards resolution and satisfaction (10/45/45);
# departments and enterprises keep more weight on response (30/35/35). Both editable.
PRESETS = {
    "street": ("10/45/45", 10, 45, 45),
    "district": ("10/45/45", 10, 45, 45),
    "city_department": ("30/35/35", 30, 35, 35),
    "district_department": ("30/35/35", 30, 35, 35),
    "state_enterprise": ("30/35/35", 30, 35, 35),
    "platform_company": ("30/35/35", 30, 35, 35),
}


def add_presets(apps, schema_editor):
    scheme = apps.get_model("evaluation", "EvaluationScheme")
    for kind, (name, response, resolution, satisfaction) in PRESETS.items():
        scheme.objects.get_or_create(
            unit_kind=kind,
            valid_from="2019-01-01",
            defaults={
                "name": f"{name} ({kind})",
                "response_weight": response,
                "resolution_weight": resolution,
                "satisfaction_weight": satisfaction,
                "basically_satisfied_factor": Decimal("0.8"),
                "partly_resolved_factor": Decimal("0"),
            },
        )


class Migration(migrations.Migration):
    dependencies = [("evaluation", "0001_initial")]

    operations = [migrations.RunPython(add_presets, migrations.RunPython.noop)]
