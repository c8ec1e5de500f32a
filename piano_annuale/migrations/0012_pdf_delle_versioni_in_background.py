"""Frozen versions may receive their PDF once, in the background (issue 17, heavy work off the request).

With a broker, «Invia ad ALER» and «Approva» freeze the JSON and its digest in their transaction and a
task renders the PDF, tracked by a ``DocumentoPiano`` linked to the version. The immutability trigger
of 0002 is replaced by one that allows exactly that: an UPDATE from an empty ``pdf`` to a file with
its digest, every other column unchanged. Any other UPDATE, and every DELETE, is still refused. On
SQLite the constraint changes rebuild the table, which drops its triggers: they are created again.
"""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

MESSAGGIO = "Una versione congelata del piano non può essere modificata né eliminata."
TABELLA = "piano_annuale_versionepiano"
# The columns that never change, not even when the PDF arrives.
FISSE = ("id", "piano_id", "numero", "tipo", "dati_json", "dati_sha256", "creata_da_id", "creata_il")


def _messaggio() -> str:
    return MESSAGGIO.replace("'", "''")


def _sqlite(solo_pdf: bool) -> list[str]:
    invariate = " AND ".join(f"NEW.{c} IS OLD.{c}" for c in FISSE)
    quando = f" WHEN NOT (OLD.pdf = '' AND OLD.pdf_sha256 = '' AND NEW.pdf <> '' AND {invariate})" if solo_pdf else ""
    return [
        f"DROP TRIGGER IF EXISTS {TABELLA}_immutabile_update",
        f"DROP TRIGGER IF EXISTS {TABELLA}_immutabile_delete",
        f"CREATE TRIGGER {TABELLA}_immutabile_update BEFORE UPDATE ON {TABELLA}{quando}"
        f" BEGIN SELECT RAISE(ABORT, '{_messaggio()}'); END",
        f"CREATE TRIGGER {TABELLA}_immutabile_delete BEFORE DELETE ON {TABELLA}"
        f" BEGIN SELECT RAISE(ABORT, '{_messaggio()}'); END",
    ]


def _postgresql(solo_pdf: bool) -> list[str]:
    invariate = " AND ".join(f"NEW.{c} IS NOT DISTINCT FROM OLD.{c}" for c in FISSE)
    eccezione = (
        f"""IF TG_OP = 'UPDATE' AND OLD.pdf = '' AND OLD.pdf_sha256 = '' AND NEW.pdf <> '' AND {invariate} THEN
            RETURN NEW;
        END IF;"""
        if solo_pdf
        else ""
    )
    return [
        f"""CREATE OR REPLACE FUNCTION {TABELLA}_immutabile() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        {eccezione}
        RAISE EXCEPTION '{_messaggio()} (versione id %)', OLD.id
            USING ERRCODE = 'restrict_violation';
    END
    $$"""
    ]


def _esegui(schema_editor, solo_pdf: bool) -> None:
    istruzioni = {"sqlite": _sqlite, "postgresql": _postgresql}.get(schema_editor.connection.vendor)
    if istruzioni is None:
        raise RuntimeError(f"Nessun trigger delle versioni per il database {schema_editor.connection.vendor}.")
    for istruzione in istruzioni(solo_pdf):
        schema_editor.execute(istruzione, params=None)


def consenti_il_pdf(apps, schema_editor) -> None:
    _esegui(schema_editor, solo_pdf=True)


def nessuna_modifica(apps, schema_editor) -> None:
    _esegui(schema_editor, solo_pdf=False)


class Migration(migrations.Migration):

    dependencies = [
        ('piano_annuale', '0011_battito_dei_lavori'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.RemoveConstraint(
            model_name='versionepiano',
            name='versione_sha256_pdf_valido',
        ),
        migrations.RemoveConstraint(
            model_name='versionepiano',
            name='versione_con_pdf',
        ),
        migrations.AddField(
            model_name='documentopiano',
            name='versione',
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='documenti', to='piano_annuale.versionepiano', verbose_name='versione congelata'),
        ),
        migrations.AlterField(
            model_name='versionepiano',
            name='pdf',
            field=models.FileField(blank=True, upload_to='piani/versioni/%Y/', verbose_name='documento PDF'),
        ),
        migrations.AlterField(
            model_name='versionepiano',
            name='pdf_sha256',
            field=models.CharField(blank=True, max_length=64, verbose_name='SHA-256 del PDF'),
        ),
        migrations.AddConstraint(
            model_name='versionepiano',
            constraint=models.CheckConstraint(condition=models.Q(models.Q(('pdf', ''), ('pdf_sha256', '')), models.Q(models.Q(('pdf', ''), _negated=True), ('pdf_sha256__regex', '^[0-9a-f]{64}$')), _connector='OR'), name='versione_pdf_con_impronta'),
        ),
        migrations.RunPython(consenti_il_pdf, nessuna_modifica),
    ]
