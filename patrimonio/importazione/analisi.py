"""``analizza``: read and validate a whole file and compute what it would change. Writes nothing."""

from __future__ import annotations

from patrimonio.models import EnteProprietario
from piano_annuale.models import PianoAnnuale, RispostaRicognizione

from .confronto import Confronto
from .contesto import Contesto
from .errori import Errore, FileNonValido
from .lettura import Foglio, leggi, non_leggibile
from .limiti import Avanzamento, nessun_avanzamento
from .righe import Analisi
from .validazione import Lettore


def _timbro(piano: PianoAnnuale, ente: EnteProprietario) -> str:
    """When the ente's data last changed through the services (every write records it)."""
    quando = (
        RispostaRicognizione.objects.filter(piano=piano, ente=ente)
        .values_list("aggiornata_il", flat=True)
        .first()
    )
    return quando.isoformat() if quando else ""


def analizza(
    *,
    contenuto: bytes,
    nome_file: str,
    piano: PianoAnnuale,
    ente: EnteProprietario,
    avanzamento: Avanzamento = nessun_avanzamento,
) -> Analisi:
    """Read and validate the whole file and compute what it would change. Writes nothing."""
    analisi = Analisi(piano=piano, ente=ente, nome_file=nome_file)
    # Read before the data, so a change made meanwhile is seen by ``registra``.
    analisi.timbro = _timbro(piano, ente)
    try:
        lettura = leggi(contenuto, nome_file)
    except FileNonValido as errore:
        analisi.errori.append(Errore(None, "", "", str(errore)))
        return analisi
    analisi.formato = lettura.formato
    analisi.avvisi.extend(lettura.avvisi)  # hidden sheets, which are not read
    avanzamento(5)
    return analizza_fogli(analisi, lettura.fogli, avanzamento)


def analizza_fogli(
    analisi: Analisi, fogli: list[Foglio], avanzamento: Avanzamento = nessun_avanzamento
) -> Analisi:
    """Validate sheets already read (a file's, or the API's full unit list laid out as our template)
    and compute what they would change: the same rows, messages and preview. Writes nothing."""
    piano, ente = analisi.piano, analisi.ente
    if not analisi.timbro:
        analisi.timbro = _timbro(piano, ente)
    contesto = Contesto(piano=piano, ente=ente)
    analisi.contesto = contesto
    avanzamento(10)
    try:
        Lettore(analisi, contesto, avanzamento).leggi(fogli)
    except FileNonValido as errore:
        analisi.errori.append(Errore(None, "", "", str(errore)))
        return analisi
    except Exception as errore:  # a damaged sheet may fail only while its rows are read
        if "calamine" not in type(errore).__module__.lower() and not isinstance(errore, ValueError):
            raise
        analisi.errori.append(Errore(None, "", "", str(non_leggibile(analisi.nome_file, analisi.formato))))
        return analisi
    avanzamento(60)
    Confronto(analisi, contesto).esegui()
    avanzamento(70)
    return analisi
