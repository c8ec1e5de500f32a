"""Default narrative texts of a new plan, in Markdown, one per ``SezioneTesto`` but the optional
«Aggiornamento del piano triennale» (L.R. 11/2024 art. 21), which is printed only when written.

The ufficio di piano edits them per plan (``TestoPiano``); the document prints the plan's own text
when there is one and this default otherwise. They are written for this project: they state the
legal frame and the method in general terms and leave every figure to the computed sections, so
they stay true for any ambito and any year.
"""

from __future__ import annotations

from .models import SezioneTesto

TESTI_PREDEFINITI: dict[str, str] = {
    SezioneTesto.PREMESSA: """\
Il Piano annuale dell'offerta dei servizi abitativi pubblici e sociali è lo strumento con cui i
Comuni dell'Ambito territoriale programmano, anno per anno, l'utilizzo del patrimonio abitativo
pubblico presente sul territorio. Lo prevedono la **legge regionale 8 luglio 2016, n. 16** e il
**regolamento regionale 4 agosto 2017, n. 4** (art. 4), che affidano la programmazione ai Comuni
associati nell'Ambito del Piano di Zona, in raccordo con l'ALER territorialmente competente e con
gli operatori accreditati.

Il Piano riunisce in un unico documento:

- la consistenza del patrimonio destinato ai servizi abitativi pubblici (SAP) e sociali (SAS), per
  ente proprietario;
- le unità abitative che si prevede di assegnare nel corso dell'anno, distinte per provenienza:
  alloggi già liberi o che si libereranno per il normale avvicendamento, alloggi in carenza
  manutentiva assegnabili nello stato di fatto, alloggi oggetto di ristrutturazione o di nuova
  edificazione, alloggi conferiti da soggetti privati;
- le scelte dei Comuni sulla soglia riservata ai nuclei in condizione di indigenza, sulle
  eventuali categorie di particolare rilevanza sociale, sulla quota destinata alle Forze di Polizia
  e al Corpo nazionale dei Vigili del Fuoco e sulle unità per i servizi abitativi transitori;
- le misure per sostenere l'accesso all'abitazione e il suo mantenimento e le altre progettualità
  attive sul territorio.

I dati provengono dalla ricognizione promossa dal Comune capofila presso tutti i Comuni
dell'Ambito, l'ALER e gli operatori accreditati. Ogni totale, quota e percentuale riportati nel
documento è calcolato a partire dalle comunicazioni ricevute, in modo che tabelle e riepiloghi
restino tra loro coerenti.

Il Piano, previo parere dell'ALER, è approvato dall'Assemblea dei Sindaci; sulla sua base il
Comune capofila pubblica gli avvisi per l'assegnazione delle unità disponibili.
""",
    SezioneTesto.NORMATIVA: """\
La legge regionale n. 16 del 2016 ha ricondotto l'edilizia residenziale pubblica a un **sistema
regionale dei servizi abitativi**, unitario e programmato su scala di Ambito, con l'obiettivo di
rispondere al fabbisogno abitativo primario e di ridurre il disagio abitativo dei nuclei familiari
e delle categorie sociali in condizione di svantaggio. Il sistema comprende:

- i **servizi abitativi pubblici (SAP)**, alloggi sociali a canone commisurato alla condizione
  economica del nucleo, destinati alle famiglie in stato di disagio economico, familiare e
  abitativo;
- i **servizi abitativi sociali (SAS)**, alloggi a canone moderato per i nuclei che non possono
  sostenere i costi del mercato privato ma superano i limiti di accesso ai servizi pubblici;
- i **servizi abitativi transitori (SAT)**, unità assegnate per un periodo non superiore a cinque
  anni ai nuclei che devono lasciare l'abitazione a seguito di procedure esecutive o che si trovano
  in situazioni di grave emergenza abitativa, individuate fra le unità disponibili nell'anno;
- le **misure per l'accesso e il mantenimento dell'abitazione**, rivolte in particolare a chi vive
  in locazione sul mercato privato.

Proprietari degli alloggi sono i Comuni, le Aziende Lombarde per l'Edilizia Residenziale (ALER) e
gli operatori accreditati; la gestione può essere affidata a un ente diverso dal proprietario,
come avviene per i Comuni che l'hanno delegata all'ALER.

La programmazione si svolge a livello di Ambito territoriale, che coincide con l'Ambito del Piano di
Zona (art. 18 della L.R. 3/2008), attraverso due strumenti: il **Piano triennale** dell'offerta
abitativa, che definisce il quadro dei bisogni, le strategie e le linee d'azione, e il **Piano
annuale**, che ne costituisce l'aggiornamento e l'attuazione. Il Piano annuale, secondo l'art. 4
del R.R. 4/2017, riporta in particolare la consistenza aggiornata del patrimonio, le unità
assegnabili nell'anno con la loro provenienza, le scelte dei Comuni sulle quote di riserva e sulle
categorie aggiuntive, le unità destinate ai servizi abitativi transitori, le assegnazioni dell'anno
precedente e le misure di sostegno all'abitare.

Riferimenti principali:

- **L.R. 8 luglio 2016, n. 16**, «Disciplina regionale dei servizi abitativi», e successive
  modifiche;
- **R.R. 4 agosto 2017, n. 4**, «Disciplina della programmazione dell'offerta abitativa pubblica e
  sociale e dell'accesso e della permanenza nei servizi abitativi pubblici», e successive modifiche;
- **L.R. 12 marzo 2008, n. 3**, «Governo della rete degli interventi e dei servizi alla persona in
  ambito sociale»;
- le deliberazioni della Giunta regionale che disciplinano i servizi abitativi transitori e le
  misure di sostegno alla locazione.
""",
    SezioneTesto.CONTESTO: """\
Il Piano si riferisce al territorio dei Comuni che compongono l'Ambito e ne restituisce, nelle
pagine che seguono, la situazione demografica e l'offerta abitativa pubblica e sociale rilevata con
la ricognizione.

La casa è il primo luogo dell'autonomia delle persone e delle famiglie: la sua mancanza, o la
difficoltà a sostenerne i costi, è spesso all'origine di altre fragilità e ne aggrava gli effetti.
Per questo la programmazione dell'offerta abitativa pubblica è parte integrante delle politiche
sociali dell'Ambito e si coordina con il Piano di Zona.

La domanda di abitazioni a costo sostenibile riguarda oggi anche nuclei che in passato non si
rivolgevano ai servizi: famiglie con redditi da lavoro discontinui, persone sole e anziani con
pensioni modeste, famiglie numerose, nuclei colpiti da sfratto o da separazione. A fronte di questa
domanda, una parte del patrimonio pubblico non è assegnabile senza interventi di manutenzione e il
mercato privato della locazione offre poche soluzioni a canoni accessibili.

La legge regionale chiede di considerare l'alloggio pubblico come un servizio, da assegnare per il
tempo necessario e da accompagnare, quando serve, con un progetto di sostegno condiviso con i
servizi sociali. L'assegnazione avviene su scala di Ambito, attraverso avvisi pubblici unici, e
può quindi riguardare alloggi situati in un Comune diverso da quello di residenza.
""",
    SezioneTesto.PARTE_SECONDA: """\
Questa parte riporta le misure promosse nell'Ambito per sostenere l'accesso all'abitazione
principale e il suo mantenimento, finanziate ai sensi dell'art. 45, comma 8, della L.R. 16/2016:
per ciascuna, le risorse impegnate, erogate e residue e le domande ricevute, accolte e respinte;
seguono gli avvisi pubblicati, il riparto del contributo regionale di solidarietà e le risorse per
la riqualificazione del patrimonio pubblico.
""",
    SezioneTesto.PARTE_TERZA: """\
Accanto alle misure regionali, nell'Ambito sono attive progettualità che affrontano il disagio
abitativo con strumenti diversi: accompagnamento educativo degli inquilini, accoglienza
temporanea, alloggi dedicati a persone fragili, locazione a canone calmierato. Sono riportate di
seguito con i soggetti coinvolti, il periodo di attività, il costo e le fonti di finanziamento.
""",
    SezioneTesto.NOTE_CHIUSURA: """\
Il Piano è stato predisposto dall'Ufficio di Piano dell'Ambito sulla base dei dati comunicati dai
Comuni, dall'ALER territorialmente competente e dagli operatori accreditati.

La proposta di Piano è trasmessa all'ALER per il parere preliminare previsto dall'art. 4, comma 4,
del R.R. 4/2017 e quindi sottoposta all'Assemblea dei Sindaci per l'approvazione. Dopo
l'approvazione, ciascun ente proprietario comunica alla Prefettura le unità destinate alle Forze
di Polizia e al Corpo nazionale dei Vigili del Fuoco (art. 7 bis del R.R. 4/2017) e il Comune
capofila pubblica gli avvisi per l'assegnazione delle unità disponibili.
""",
}


def testo_predefinito(sezione: str) -> str:
    """The default Markdown of ``sezione``; an empty string for an unknown section."""
    return TESTI_PREDEFINITI.get(sezione, "")
