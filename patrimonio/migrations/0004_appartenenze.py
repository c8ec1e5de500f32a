"""Operators become memberships: one person, several (ambito, ente, role); the regional observer."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("ambito", "0001_initial"),
        ("patrimonio", "0003_versioni_moduli"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AlterModelOptions(
            name="operatore",
            options={
                "ordering": ["ambito", "ruolo", "user__username"],
                "verbose_name": "appartenenza (operatore)",
                "verbose_name_plural": "appartenenze (operatori)",
            },
        ),
        migrations.AlterField(
            model_name="operatore",
            name="ambito",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="operatori",
                to="ambito.ambito",
            ),
        ),
        migrations.AlterField(
            model_name="operatore",
            name="ruolo",
            field=models.CharField(
                choices=[
                    ("ufficio_di_piano", "Ufficio di piano"),
                    ("comune", "Operatore comunale"),
                    ("aler", "Operatore ALER"),
                    ("assemblea", "Membro dell'Assemblea dei Sindaci"),
                    ("osservatore_regionale", "Osservatore regionale"),
                ],
                max_length=30,
                verbose_name="ruolo",
            ),
        ),
        migrations.AlterField(
            model_name="operatore",
            name="user",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.CASCADE,
                related_name="operatori",
                to=settings.AUTH_USER_MODEL,
            ),
        ),
        migrations.AddConstraint(
            model_name="operatore",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    models.Q(
                        ("ruolo__in", ["osservatore_regionale"]),
                        ("ambito__isnull", True),
                        ("ente__isnull", True),
                    ),
                    models.Q(
                        models.Q(("ruolo__in", ["osservatore_regionale"]), _negated=True),
                        ("ambito__isnull", False),
                    ),
                    _connector="OR",
                ),
                name="operatore_ambito_solo_per_ruoli_non_regionali",
            ),
        ),
        migrations.AddConstraint(
            model_name="operatore",
            constraint=models.UniqueConstraint(
                condition=models.Q(("ente__isnull", True)),
                fields=("user", "ambito", "ruolo"),
                name="operatore_appartenenza_unica_senza_ente",
            ),
        ),
        migrations.AddConstraint(
            model_name="operatore",
            constraint=models.UniqueConstraint(
                condition=models.Q(("ente__isnull", False)),
                fields=("user", "ambito", "ruolo", "ente"),
                name="operatore_appartenenza_unica_con_ente",
            ),
        ),
        migrations.AddConstraint(
            model_name="operatore",
            constraint=models.UniqueConstraint(
                condition=models.Q(("ambito__isnull", True)),
                fields=("user", "ruolo"),
                name="operatore_un_ruolo_regionale",
            ),
        ),
    ]
