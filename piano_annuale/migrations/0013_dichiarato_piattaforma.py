"""The figures declared on the regional platform: who changed them, from where; the upload of the
platform's programming report (Allegato A layout, one row per ente) by the ufficio di piano."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("piano_annuale", "0012_pdf_delle_versioni_in_background"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name="riepilogodichiarato",
            name="fonte",
            field=models.CharField(blank=True, max_length=200, verbose_name="fonte"),
        ),
        migrations.AddField(
            model_name="riepilogodichiarato",
            name="aggiornato_il",
            field=models.DateTimeField(blank=True, null=True, verbose_name="ultima modifica"),
        ),
        migrations.AddField(
            model_name="riepilogodichiarato",
            name="aggiornato_da",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
                verbose_name="modificato da",
            ),
        ),
        migrations.CreateModel(
            name="CaricamentoPiattaforma",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("file", models.FileField(upload_to="piattaforma/%Y/", verbose_name="file originale")),
                ("nome_file", models.CharField(max_length=255, verbose_name="nome del file")),
                (
                    "stato",
                    models.CharField(
                        choices=[
                            ("in_lettura", "In lettura"),
                            ("anteprima", "Anteprima pronta"),
                            ("con_errori", "Con errori"),
                            ("in_scrittura", "In registrazione"),
                            ("confermato", "Confermato"),
                            ("annullato", "Annullato"),
                            ("fallito", "Non riuscito"),
                        ],
                        default="in_lettura",
                        max_length=15,
                        verbose_name="stato",
                    ),
                ),
                ("righe", models.PositiveIntegerField(default=0, verbose_name="righe lette")),
                ("errori", models.JSONField(blank=True, default=list, verbose_name="errori per riga")),
                (
                    "anteprima",
                    models.JSONField(blank=True, default=dict, verbose_name="anteprima delle modifiche"),
                ),
                (
                    "impronta",
                    models.CharField(blank=True, max_length=64, verbose_name="impronta delle modifiche"),
                ),
                ("esito", models.TextField(blank=True, verbose_name="esito")),
                ("creato_il", models.DateTimeField(auto_now_add=True, verbose_name="caricato il")),
                ("completato_il", models.DateTimeField(blank=True, null=True, verbose_name="completato il")),
                (
                    "piano",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="caricamenti_piattaforma",
                        to="piano_annuale.pianoannuale",
                    ),
                ),
                (
                    "utente",
                    models.ForeignKey(
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                        verbose_name="caricato da",
                    ),
                ),
            ],
            options={
                "verbose_name": "caricamento del report della piattaforma",
                "verbose_name_plural": "caricamenti del report della piattaforma",
                "ordering": ["-creato_il"],
            },
        ),
    ]
