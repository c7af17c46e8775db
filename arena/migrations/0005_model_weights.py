from django.db import migrations, models

from pairwise.openness import OPEN, weights_of_licence


def weights_from_the_boolean_and_licence(apps, schema_editor):
    """``open_weights=True`` was said on purpose: open. ``False`` was also the default, so it
    says nothing; the licence decides, as an import would (``weights_of_licence``): a
    proprietary licence gives proprietary, a named licence open, a blank one unknown."""
    AIModel = apps.get_model("arena", "AIModel")
    for model in AIModel.objects.only("pk", "open_weights", "licence").iterator():
        weights = OPEN if model.open_weights else weights_of_licence(model.licence)
        AIModel.objects.filter(pk=model.pk).update(weights=weights)


def open_weights_from_weights(apps, schema_editor):
    """Backwards: only open is open; proprietary and unknown both become False again."""
    AIModel = apps.get_model("arena", "AIModel")
    AIModel.objects.filter(weights=OPEN).update(open_weights=True)


class Migration(migrations.Migration):
    dependencies = [
        ("arena", "0004_release_date_sources"),
    ]

    operations = [
        migrations.AddField(
            model_name="aimodel",
            name="weights",
            field=models.CharField(
                choices=[
                    ("open", "Open weights"),
                    ("proprietary", "Proprietary"),
                    ("unknown", "Unknown"),
                ],
                default="unknown",
                help_text="Whether the weights can be downloaded (under any licence). Unknown "
                "models are left out of the frontier's open-weights and proprietary groups.",
                max_length=12,
            ),
        ),
        migrations.RunPython(weights_from_the_boolean_and_licence, open_weights_from_weights),
        migrations.RemoveField(model_name="aimodel", name="open_weights"),
    ]
