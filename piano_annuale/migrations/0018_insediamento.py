"""Placeholder kept in the chain so that parallel work has its own migration file to fill in."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("piano_annuale", "0017_pagina_e_documento")]

    operations: list[migrations.operations.base.Operation] = []
