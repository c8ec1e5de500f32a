"""The narratives are HTML (the rich-text editor, imported .docx/.odt) or Markdown (the defaults and
older texts): the field says so. No data changes: both are rendered by the same sanitiser."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("piano_annuale", "0015_osservazioni_e_presenze")]

    operations = [
        migrations.AlterField(
            model_name="testopiano",
            name="testo",
            field=models.TextField(blank=True, verbose_name="testo (HTML o Markdown)"),
        ),
    ]
