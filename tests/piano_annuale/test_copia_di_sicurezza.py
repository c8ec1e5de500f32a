"""Backup and restore (``esporta_ambito``, ``ripristina``): the Cremonese plan, approved with its
frozen versions, goes out to an archive and comes back into an emptied database with the same rows,
the same files (SHA-256) and the same figures; a non-empty database, a tampered archive and a
tampered frozen file are refused with an Italian message."""

from __future__ import annotations

import datetime
import hashlib
import io
import json
import shutil
import tarfile
from pathlib import Path

import pytest
from django.core.files.base import ContentFile
from django.core.management import CommandError, call_command
from django.core.management.color import no_style
from django.db import IntegrityError, connection, transaction

from ambito.models import Ambito
from patrimonio.models import Ruolo
from piano_annuale.calcolo import calcola_piano
from piano_annuale.copia_di_sicurezza import DATI_DELLE_MIGRAZIONI, modelli_della_copia
from piano_annuale.models import Approvazione, PianoAnnuale, StatoPiano, TipoVersione, VersionePiano
from piano_annuale.rendering.versioni import congela_versione
from tests.builders import crea_ambito
from tests.percorso import VERBALE_PDF, fixture_media, fixture_pdf_veloce  # noqa: F401 - fixtures
from tests.utenti import crea_operatore, hasher_veloce

pytestmark = pytest.mark.usefixtures(hasher_veloce.__name__, "media", "pdf_veloce")


@pytest.fixture
def cremonese_approvato(piano_cremonese: PianoAnnuale) -> PianoAnnuale:
    """The session's Cremonese plan sent to ALER and approved, with its two frozen versions and the
    signed verbale. Its data keep the seed's contradictions (errors), so the moves are recorded
    directly rather than through the services (as ``test_iter`` does)."""
    ufficio = crea_operatore("ufficio.copia", piano_cremonese.ambito, Ruolo.UFFICIO_DI_PIANO)
    aler = crea_operatore("ufficio.copia.2", piano_cremonese.ambito, Ruolo.UFFICIO_DI_PIANO)
    for stato, tipo, utente in (
        (StatoPiano.INVIATA_ALER, TipoVersione.INVIATA_ALER, aler),
        (StatoPiano.APPROVATA, TipoVersione.APPROVATA, ufficio),
    ):
        PianoAnnuale.objects.filter(pk=piano_cremonese.pk).update(stato=stato)
        piano_cremonese.refresh_from_db()
        if stato == StatoPiano.APPROVATA:
            approvazione = Approvazione(
                piano=piano_cremonese,
                data_seduta=datetime.date(2025, 2, 14),
                numero_verbale="01/2025",
                verbale_sha256=hashlib.sha256(VERBALE_PDF).hexdigest(),
                registrata_da=ufficio,
            )
            approvazione.verbale.save("verbale-01-2025.pdf", ContentFile(VERBALE_PDF), save=False)
            approvazione.save()
        congela_versione(piano=piano_cremonese, tipo=tipo, utente=utente)
    return piano_cremonese


@pytest.fixture
def cartella(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Where the archives go: not the media folder (the ``media`` fixture uses ``tmp_path``)."""
    return tmp_path_factory.mktemp("archivi")


def impronte(media: Path) -> dict[str, str]:
    return {
        str(p.relative_to(media)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in media.rglob("*")
        if p.is_file()
    }


def svuota_il_database() -> None:
    """Every row of the backup's tables goes, as in a freshly migrated database.

    PostgreSQL empties them with TRUNCATE (row triggers do not fire); SQLite deletes rows, so its
    triggers are dropped for the purpose and created again, exactly as they were, right after.
    """
    tabelle = [m._meta.db_table for m in modelli_della_copia() if m._meta.label not in DATI_DELLE_MIGRAZIONI]
    with connection.cursor() as cursore:
        trigger: list[tuple[str, str]] = []
        if connection.vendor == "sqlite":
            cursore.execute("SELECT name, sql FROM sqlite_master WHERE type = 'trigger'")
            trigger = list(cursore.fetchall())
            for nome, _ in trigger:
                cursore.execute(f"DROP TRIGGER {nome}")
        if connection.vendor == "postgresql":  # deferred foreign-key checks would block TRUNCATE
            cursore.execute("SET CONSTRAINTS ALL IMMEDIATE")
        for istruzione in connection.ops.sql_flush(no_style(), tabelle, allow_cascade=True):
            cursore.execute(istruzione)
        for _, sql in trigger:
            cursore.execute(sql)


def test_the_approved_cremonese_plan_round_trips_with_its_versions_and_files(
    cremonese_approvato, media, cartella
):
    piano = cremonese_approvato
    archivio = cartella / "cremonese.tar.gz"
    uscita = io.StringIO()
    call_command("esporta_ambito", "--ambito", str(piano.ambito_id), "--file", str(archivio), stdout=uscita)
    with tarfile.open(archivio) as letto:
        manifesto = json.loads(letto.extractfile("manifest.json").read())  # type: ignore[union-attr]
    righe = manifesto["righe"]
    assert (
        uscita.getvalue().strip()
        == f"Esportate {sum(righe.values())} righe e 3 file ({sum(v['byte'] for v in manifesto['file'].values())} byte) in {archivio}."
    )
    assert (righe["piano_annuale.pianoannuale"], righe["piano_annuale.versionepiano"]) == (1, 2)
    assert (
        righe["piano_annuale.approvazione"],
        righe["ambito.comune"],
        righe["patrimonio.unitaabitativa"],
    ) == (1, 48, 189)
    assert righe["auth.user"] == 2  # the two operators who froze the versions
    versioni = {
        v.numero: (v.tipo, v.dati_sha256, v.pdf_sha256) for v in VersionePiano.objects.filter(piano=piano)
    }
    file_prima = impronte(media)
    assert manifesto["file"] == {
        nome: {"sha256": sha, "byte": (media / nome).stat().st_size} for nome, sha in file_prima.items()
    }
    totale_g = calcola_piano(piano).g.totale.totale

    svuota_il_database()
    shutil.rmtree(media)
    media.mkdir()
    assert not PianoAnnuale.objects.exists() and impronte(media) == {}

    uscita = io.StringIO()
    call_command("ripristina", "--file", str(archivio), stdout=uscita)
    assert uscita.getvalue().strip() == f"Ripristinate {sum(righe.values())} righe e 3 file da {archivio}."
    for modello in modelli_della_copia():
        attese = righe[modello._meta.label_lower]
        presenti = modello._base_manager.count()
        assert presenti >= attese if modello._meta.label in DATI_DELLE_MIGRAZIONI else presenti == attese, (
            modello
        )
    ripristinato = PianoAnnuale.objects.get(pk=piano.pk)
    assert ripristinato.stato == StatoPiano.APPROVATA
    assert {
        v.numero: (v.tipo, v.dati_sha256, v.pdf_sha256) for v in VersionePiano.objects.filter(piano=piano)
    } == versioni
    assert all(v.integra() for v in VersionePiano.objects.filter(piano=piano))
    assert impronte(media) == file_prima
    approvazione = Approvazione.objects.get(piano=piano)
    assert (
        hashlib.sha256((media / approvazione.verbale.name).read_bytes()).hexdigest()
        == approvazione.verbale_sha256
    )
    assert calcola_piano(ripristinato).g.totale.totale == totale_g
    # The restored plan is as immutable as the original, and new rows get fresh keys.
    with pytest.raises(IntegrityError, match="Un piano approvato"), transaction.atomic():
        PianoAnnuale.objects.filter(pk=piano.pk).update(stato=StatoPiano.BOZZA)
    assert VersionePiano.objects.get(piano=piano, tipo=TipoVersione.APPROVATA).numero == 2
    nuova = ripristinato.ambito.piani.create(anno=2026, data_popolazione="2025-01-01")
    assert nuova.pk > piano.pk


def test_restore_refuses_a_database_that_is_not_empty(cremonese_approvato, cartella):
    archivio = cartella / "c.tar.gz"
    call_command(
        "esporta_ambito",
        "--ambito",
        str(cremonese_approvato.ambito_id),
        "--file",
        str(archivio),
        stdout=io.StringIO(),
    )
    with pytest.raises(CommandError) as errore:
        call_command("ripristina", "--file", str(archivio))
    assert str(errore.value).startswith(
        "Il ripristino si esegue solo in un database vuoto (appena migrato); questo contiene già "
    )
    assert "48 comuni" in str(errore.value)
    assert PianoAnnuale.objects.filter(ambito=cremonese_approvato.ambito).count() == 1


def test_restore_refuses_an_archive_whose_file_differs_from_the_manifest(cremonese_approvato, cartella):
    archivio = cartella / "c.tar.gz"
    call_command(
        "esporta_ambito",
        "--ambito",
        str(cremonese_approvato.ambito_id),
        "--file",
        str(archivio),
        stdout=io.StringIO(),
    )
    alterato = cartella / "alterato.tar.gz"
    with tarfile.open(archivio) as originale, tarfile.open(alterato, "w:gz") as nuovo:
        for membro in originale.getmembers():
            contenuto = originale.extractfile(membro).read()  # type: ignore[union-attr]
            if membro.name.endswith("-v2.pdf"):
                contenuto = b"%PDF-1.7 falsificato"
                membro.size = len(contenuto)
            nuovo.addfile(membro, io.BytesIO(contenuto))
    with pytest.raises(
        CommandError, match=r"^1 file dell'archivio mancano o non corrispondono al manifesto: piani/versioni/"
    ):
        call_command("ripristina", "--file", str(alterato))


def test_export_refuses_a_tampered_frozen_file_and_writes_nothing(cremonese_approvato, media, cartella):
    versione = VersionePiano.objects.get(piano=cremonese_approvato, tipo=TipoVersione.APPROVATA)
    (media / str(versione.pdf.name)).write_bytes(b"%PDF-1.7 alterato")
    archivio = cartella / "c.tar.gz"
    with pytest.raises(CommandError) as errore:
        call_command(
            "esporta_ambito", "--ambito", str(cremonese_approvato.ambito_id), "--file", str(archivio)
        )
    assert str(errore.value) == (
        f"Il file congelato «{versione.pdf.name}» (versione congelata del piano {versione.pk}) non corrisponde "
        "all'impronta SHA-256 registrata: non viene copiato come se fosse integro."
    )
    assert not archivio.exists()


def test_export_needs_an_ambito_or_everything(db, cartella):
    with pytest.raises(CommandError, match="one of the arguments --ambito --tutto is required"):
        call_command("esporta_ambito", "--file", str(cartella / "x.tar.gz"))
    with pytest.raises(CommandError, match="^Nessun ambito con id 999999.$"):
        call_command("esporta_ambito", "--ambito", "999999", "--file", str(cartella / "x.tar.gz"))


def test_everything_is_exported_with_tutto(cremonese_approvato, cartella):
    altro = crea_ambito(nome="Ambito della copia completa", comuni=2, prefisso_istat="083")
    archivio = cartella / "tutto.tar.gz"
    call_command("esporta_ambito", "--tutto", "--file", str(archivio), stdout=io.StringIO())
    with tarfile.open(archivio) as letto:
        manifesto = json.loads(letto.extractfile("manifest.json").read())  # type: ignore[union-attr]
    assert manifesto["ambito"] is None
    assert manifesto["righe"] == {m._meta.label_lower: m._base_manager.count() for m in modelli_della_copia()}
    assert manifesto["righe"]["ambito.ambito"] == Ambito.objects.count() >= 2
    assert PianoAnnuale.objects.filter(pk=altro.pk).exists()
