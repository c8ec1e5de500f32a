"""Placeholder kept in the chain so that parallel work has its own migration file to fill in."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("piano_annuale", "0012_pdf_delle_versioni_in_background")]

    operations: list[migrations.operations.base.Operation] = []
