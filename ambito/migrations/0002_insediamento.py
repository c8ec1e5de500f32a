"""Placeholder kept in the chain so that parallel work has its own migration file to fill in."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("ambito", "0001_initial")]

    operations: list[migrations.operations.base.Operation] = []
