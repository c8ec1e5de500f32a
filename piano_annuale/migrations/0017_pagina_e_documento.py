"""Placeholder kept in the chain so that parallel work has its own migration file to fill in."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("piano_annuale", "0016_testi_del_piano")]

    operations: list[migrations.operations.base.Operation] = []
