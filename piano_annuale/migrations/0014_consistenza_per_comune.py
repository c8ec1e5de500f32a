"""The consistenza may be declared per comune too (an optional breakdown of the ente's total): one row
per plan, ente and comune; the row without a comune stays the ente's total of section a."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("ambito", "0001_initial"),
        ("piano_annuale", "0013_dichiarato_piattaforma"),
    ]

    operations = [
        migrations.RemoveConstraint(
            model_name="consistenzadichiarata",
            name="consistenza_una_per_ente",
        ),
        migrations.AddField(
            model_name="consistenzadichiarata",
            name="comune",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="ambito.comune",
                verbose_name="comune",
            ),
        ),
        migrations.AddConstraint(
            model_name="consistenzadichiarata",
            constraint=models.UniqueConstraint(
                condition=models.Q(("comune__isnull", True)),
                fields=("piano", "ente"),
                name="consistenza_una_per_ente",
            ),
        ),
        migrations.AddConstraint(
            model_name="consistenzadichiarata",
            constraint=models.UniqueConstraint(
                condition=models.Q(("comune__isnull", False)),
                fields=("piano", "ente", "comune"),
                name="consistenza_una_per_comune",
            ),
        ),
    ]
