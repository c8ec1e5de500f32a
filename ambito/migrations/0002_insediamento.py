"""Onboarding: the word an ambito uses for its aggregazioni ("AT", "sub-ambito", "distretto")."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("ambito", "0001_initial")]

    operations: list[migrations.operations.base.Operation] = [
        migrations.AddField(
            model_name="ambito",
            name="termine_aggregazioni",
            field=models.CharField(
                default="AT",
                help_text="La parola che l'ambito usa per le aggregazioni: «AT», «sub-ambito», «distretto».",
                max_length=30,
                verbose_name="termine per le aggregazioni",
            ),
        ),
    ]
