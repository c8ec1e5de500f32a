"""Enti proprietari, their housing units, and what each ente declares about them in a plan year."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.conf import settings
from django.db import models
from django.db.models import Count, Q

from ambito.models import Operatore, Ruolo

if TYPE_CHECKING:
    from django.contrib.auth.base_user import AbstractBaseUser
    from django.contrib.auth.models import AnonymousUser

    from ambito.models import Ambito
    from piano_annuale.models import PianoAnnuale

    Utente = AbstractBaseUser | AnonymousUser


class TipoEnte(models.TextChoices):
    COMUNE = "comune", "Comune"
    ALER = "aler", "ALER"
    OPERATORE = "operatore", "Operatore accreditato"


class EnteQuerySet(models.QuerySet):
    def dell_ambito(self, ambito: Ambito) -> EnteQuerySet:
        return self.filter(ambito=ambito)

    def comunali(self) -> EnteQuerySet:
        return self.filter(tipo=TipoEnte.COMUNE)

    # Access rules: the one place that says which enti's data a user reaches. Every view of an
    # ente's data (units, answers, choices) starts from these; links are never the protection.

    def visibili_a(self, user: Utente) -> EnteQuerySet:
        """Enti whose data ``user`` may read: the whole ambito for its ufficio di piano, their own
        ente for a comune or ALER operator, every ente for superusers; none for the Assemblea
        (which reads only the plans) and for anonymous users."""
        if not user.is_authenticated:
            return self.none()
        if user.is_superuser:
            return self
        operatore = Operatore.objects.di(user)
        return self.filter(
            Q(ambito_id__in=operatore.con_ruolo(Ruolo.UFFICIO_DI_PIANO).ambiti()) | Q(pk__in=operatore.enti())
        )

    def modificabili_da(self, user: Utente) -> EnteQuerySet:
        """Enti whose data ``user`` may change: the same enti they read (the Assemblea changes
        nothing). Whether the ente's answer is still open is checked by the services at write time."""
        return self.visibili_a(user)

    def dell_ufficio_di_piano(self, user: Utente) -> EnteQuerySet:
        """Enti of the ambiti where ``user`` is the ufficio di piano (all for superusers): those
        whose answers they follow in the dashboard, remind and reopen."""
        if not user.is_authenticated:
            return self.none()
        if user.is_superuser:
            return self
        return self.filter(
            ambito_id__in=Operatore.objects.di(user).con_ruolo(Ruolo.UFFICIO_DI_PIANO).ambiti()
        )


class DatiEnteQuerySet(models.QuerySet):
    """Rows that belong to one ente (its units, counts, answers, choices): visible and changeable
    exactly where the ente is, by ``EnteQuerySet.visibili_a`` / ``modificabili_da``."""

    # The lookup from the row to its ente.
    campo_ente = "ente"

    def visibili_a(self, user: Utente) -> models.QuerySet:
        if user.is_authenticated and user.is_superuser:
            return self
        return self.filter(**{f"{self.campo_ente}__in": EnteProprietario.objects.visibili_a(user)})

    def modificabili_da(self, user: Utente) -> models.QuerySet:
        if user.is_authenticated and user.is_superuser:
            return self
        return self.filter(**{f"{self.campo_ente}__in": EnteProprietario.objects.modificabili_da(user)})


class EnteProprietario(models.Model):
    """Who owns housing units in an ambito: a comune, ALER (one U.O.G.), or an operatore accreditato.

    Every comune of the ambito has its ente, even when it owns nothing: the ricognizione asks all of
    them for an answer. ``gestore`` is the ente that manages the units (many comuni delegate to ALER).
    """

    ambito = models.ForeignKey("ambito.Ambito", on_delete=models.PROTECT, related_name="enti")
    tipo = models.CharField("tipo", max_length=10, choices=TipoEnte.choices)
    denominazione = models.CharField("denominazione", max_length=200)
    comune = models.OneToOneField(
        "ambito.Comune",
        verbose_name="comune",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="ente",
        help_text="Solo per gli enti di tipo Comune.",
    )
    uog = models.CharField(
        "unità organizzativa",
        max_length=100,
        blank=True,
        help_text="Per ALER: l'U.O.G. territorialmente competente, ad es. «U.O.G. di Cremona».",
    )
    gestore = models.ForeignKey(
        "self",
        verbose_name="ente gestore",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="enti_gestiti",
        help_text="Vuoto se l'ente gestisce direttamente le proprie unità.",
    )
    email = models.EmailField("e-mail", blank=True)

    objects = EnteQuerySet.as_manager()

    class Meta:
        verbose_name = "ente proprietario"
        verbose_name_plural = "enti proprietari"
        ordering = ["ambito", "tipo", "denominazione"]
        constraints = [
            models.UniqueConstraint(fields=["ambito", "denominazione"], name="ente_denominazione_unica"),
            models.CheckConstraint(
                condition=(Q(tipo=TipoEnte.COMUNE) & Q(comune__isnull=False))
                | (~Q(tipo=TipoEnte.COMUNE) & Q(comune__isnull=True)),
                name="ente_comune_solo_per_tipo_comune",
            ),
            models.CheckConstraint(
                condition=Q(gestore__isnull=True) | ~Q(gestore=models.F("pk")),
                name="ente_non_gestore_di_se_stesso",
            ),
        ]

    def __str__(self) -> str:
        return self.denominazione

    @property
    def is_comune(self) -> bool:
        return self.tipo == TipoEnte.COMUNE


class TipoServizio(models.TextChoices):
    SAP = "SAP", "SAP – servizi abitativi pubblici"
    SAS = "SAS", "SAS – servizi abitativi sociali"


class UnitaQuerySet(DatiEnteQuerySet):
    def dell_ambito(self, ambito: Ambito) -> UnitaQuerySet:
        """Units owned by the enti of an ambito (wherever they stand)."""
        return self.filter(ente__ambito=ambito)

    def del_piano(self, piano: PianoAnnuale) -> UnitaQuerySet:
        """Units with a declared state in the plan."""
        return self.filter(stati__piano=piano)

    def per_ente_e_tipo(self) -> models.QuerySet:
        """Rows ``{ente_id, tipo, numero}``: how many units each ente lists, SAP and SAS apart."""
        return self.values("ente_id", "tipo").annotate(numero=Count("pk")).order_by()

    def coppie_ente_comune(self) -> models.QuerySet:
        """Distinct ``(ente_id, comune_id)`` pairs where an ente has at least one unit."""
        return self.values_list("ente_id", "comune_id").distinct().order_by()


class UnitaAbitativa(models.Model):
    """One housing unit (U.I.) in an ente's registry.

    The ID regionale is unique when known; units whose ID was "non comunicato" have it unset.
    """

    ente = models.ForeignKey(EnteProprietario, on_delete=models.PROTECT, related_name="unita")
    comune = models.ForeignKey(
        "ambito.Comune",
        verbose_name="comune in cui si trova",
        on_delete=models.PROTECT,
        related_name="unita",
    )
    id_regionale = models.CharField(
        "ID regionale",
        max_length=20,
        null=True,
        blank=True,
        help_text="Identificativo nell'anagrafe regionale del patrimonio. Vuoto se non comunicato.",
    )
    codice_ente = models.CharField("codice dell'ente", max_length=40, blank=True)
    tipo = models.CharField("servizio", max_length=3, choices=TipoServizio.choices, default=TipoServizio.SAP)
    indirizzo = models.CharField("indirizzo", max_length=200, blank=True)

    objects = UnitaQuerySet.as_manager()

    class Meta:
        verbose_name = "unità abitativa"
        verbose_name_plural = "unità abitative"
        ordering = ["ente", "comune", "id_regionale", "codice_ente", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["id_regionale"],
                condition=Q(id_regionale__isnull=False),
                name="unita_id_regionale_unico",
            ),
            models.CheckConstraint(
                condition=Q(id_regionale__isnull=True) | Q(id_regionale__regex=r"^[0-9A-Za-z./-]+$"),
                name="unita_id_regionale_non_vuoto",
            ),
            models.UniqueConstraint(
                fields=["ente", "codice_ente"],
                condition=~Q(codice_ente=""),
                name="unita_codice_ente_unico_per_ente",
            ),
        ]
        indexes = [models.Index(fields=["ente", "comune"], name="unita_ente_comune")]

    def __str__(self) -> str:
        ident = self.id_regionale or "ID non comunicato"
        codice = f" ({self.codice_ente})" if self.codice_ente else ""
        return f"U.I. {ident}{codice} – {self.comune}"


class Stato(models.TextChoices):
    """The state of a unit in a plan year: the plan section that counts it."""

    CARENZA_MANUTENTIVA = "carenza", "In carenza manutentiva (art. 10)"  # section b
    RISTRUTTURAZIONE = "ristrutturazione", "In ristrutturazione / recupero"  # section c
    NUOVA_EDIFICAZIONE = "nuova", "Di nuova edificazione"  # section d
    LIBERA = "libera", "Già libera"  # section e
    CONFERITA_PRIVATI = "conferita", "Conferita da privati (art. 23 c. 2)"  # section f


class StatoUnitaQuerySet(DatiEnteQuerySet):
    campo_ente = "unita__ente"

    def del_piano(self, piano: PianoAnnuale) -> StatoUnitaQuerySet:
        return self.filter(piano=piano)

    def per_ente_comune_stato(self) -> models.QuerySet:
        """Rows ``{ente_id, comune_id, stato, tipo, programma, senza_id, numero}``: the counts every
        section of the plan is built from, in one grouped query."""
        return (
            self.values(
                "stato",
                "programma",
                ente_id=models.F("unita__ente_id"),
                comune_id=models.F("unita__comune_id"),
                tipo=models.F("unita__tipo"),
            )
            .annotate(
                numero=Count("pk"),
                senza_id=Count("pk", filter=Q(unita__id_regionale__isnull=True)),
            )
            .order_by()
        )

    def in_due_sezioni(self) -> StatoUnitaQuerySet:
        """Units declared in a state other than renovation yet placed in a renovation programme."""
        return self.exclude(stato=Stato.RISTRUTTURAZIONE).exclude(programma="")


class StatoUnita(models.Model):
    """What an ente declares about one unit for a plan: at most one state per unit per plan."""

    piano = models.ForeignKey(
        "piano_annuale.PianoAnnuale", on_delete=models.CASCADE, related_name="stati_unita"
    )
    unita = models.ForeignKey(UnitaAbitativa, on_delete=models.CASCADE, related_name="stati")
    stato = models.CharField("stato", max_length=20, choices=Stato.choices)
    programma = models.CharField(
        "programma / lotto",
        max_length=120,
        blank=True,
        help_text="Il programma di ristrutturazione o il lotto in cui l'unità è inserita.",
    )
    stato_origine = models.CharField(
        "stato come dichiarato",
        max_length=120,
        blank=True,
        help_text="Il testo dello stato come riportato dalla piattaforma regionale o dall'ente.",
    )
    note = models.CharField("note", max_length=300, blank=True)
    # A state carried over from the previous year's plan stays a proposal until the ente confirms
    # it (or changes it): the new ricognizione asks for every unit again.
    da_confermare = models.BooleanField(
        "da confermare",
        default=False,
        help_text="Stato ripreso dal piano dell'anno precedente, che l'ente deve ancora confermare.",
    )

    objects = StatoUnitaQuerySet.as_manager()

    class Meta:
        verbose_name = "stato dell'unità nel piano"
        verbose_name_plural = "stati delle unità nel piano"
        ordering = ["piano", "unita"]
        constraints = [
            models.UniqueConstraint(fields=["piano", "unita"], name="stato_unico_per_unita_e_piano"),
        ]

    def __str__(self) -> str:
        return f"{self.unita}: {self.get_stato_display()}"


class ConsistenzaDichiarata(models.Model):
    """The consistenza an ente declares for the plan (section a).

    A row with no numbers records that the ente owns units but did not communicate how many.
    """

    piano = models.ForeignKey(
        "piano_annuale.PianoAnnuale", on_delete=models.CASCADE, related_name="consistenze"
    )
    ente = models.ForeignKey(EnteProprietario, on_delete=models.CASCADE, related_name="consistenze")
    sap = models.PositiveIntegerField("alloggi SAP", null=True, blank=True)
    sas = models.PositiveIntegerField("alloggi SAS", null=True, blank=True)
    fonte = models.CharField(
        "fonte",
        max_length=120,
        blank=True,
        help_text="Ad es. «ricognizione 2025», «comunicata in anni precedenti», «piattaforma regionale».",
    )

    objects = DatiEnteQuerySet.as_manager()

    class Meta:
        verbose_name = "consistenza dichiarata"
        verbose_name_plural = "consistenze dichiarate"
        ordering = ["piano", "ente"]
        constraints = [
            models.UniqueConstraint(fields=["piano", "ente"], name="consistenza_una_per_ente"),
            models.CheckConstraint(
                condition=(Q(sap__isnull=True) & Q(sas__isnull=True))
                | (Q(sap__isnull=False) & Q(sas__isnull=False)),
                name="consistenza_sap_sas_entrambi_o_nessuno",
            ),
            models.CheckConstraint(
                condition=Q(sap__isnull=True) | (Q(sap__gte=0) & Q(sas__gte=0)),
                name="consistenza_non_negativa",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.ente}: {self.totale if self.comunicata else 'non comunicata'}"

    @property
    def comunicata(self) -> bool:
        return self.sap is not None

    @property
    def totale(self) -> int | None:
        return None if self.sap is None else self.sap + self.sas


class TurnoverPrevisto(models.Model):
    """Units an ente expects to free up by turnover in a comune during the year (a count, section e)."""

    piano = models.ForeignKey("piano_annuale.PianoAnnuale", on_delete=models.CASCADE, related_name="turnover")
    ente = models.ForeignKey(EnteProprietario, on_delete=models.CASCADE, related_name="turnover")
    comune = models.ForeignKey("ambito.Comune", on_delete=models.PROTECT, related_name="+")
    numero = models.PositiveIntegerField("numero di alloggi")

    objects = DatiEnteQuerySet.as_manager()

    class Meta:
        verbose_name = "turnover previsto"
        verbose_name_plural = "turnover previsti"
        ordering = ["piano", "ente", "comune"]
        constraints = [
            models.UniqueConstraint(fields=["piano", "ente", "comune"], name="turnover_unico"),
            models.CheckConstraint(condition=Q(numero__gte=1), name="turnover_positivo"),
        ]

    def __str__(self) -> str:
        return f"{self.ente} – {self.comune}: {self.numero}"


class StatoCaricamento(models.TextChoices):
    IN_LETTURA = "in_lettura", "In lettura"
    ANTEPRIMA = "anteprima", "Anteprima pronta"
    CON_ERRORI = "con_errori", "Con errori"
    IN_SCRITTURA = "in_scrittura", "In registrazione"
    CONFERMATO = "confermato", "Confermato"
    ANNULLATO = "annullato", "Annullato"
    FALLITO = "fallito", "Non riuscito"


class Caricamento(models.Model):
    """One spreadsheet an ente uploaded for a plan: the original file, its preview and its outcome."""

    piano = models.ForeignKey(
        "piano_annuale.PianoAnnuale", on_delete=models.CASCADE, related_name="caricamenti"
    )
    ente = models.ForeignKey(EnteProprietario, on_delete=models.CASCADE, related_name="caricamenti")
    utente = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="caricato da",
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
    )
    file = models.FileField("file originale", upload_to="caricamenti/%Y/")
    nome_file = models.CharField("nome del file", max_length=255)
    formato = models.CharField("formato", max_length=20, blank=True)
    stato = models.CharField(
        "stato", max_length=15, choices=StatoCaricamento.choices, default=StatoCaricamento.IN_LETTURA
    )
    progresso = models.PositiveSmallIntegerField("avanzamento (%)", default=0)
    righe = models.PositiveIntegerField("righe lette", default=0)
    aggiunte = models.PositiveIntegerField("unità aggiunte", default=0)
    modificate = models.PositiveIntegerField("unità modificate", default=0)
    rimosse = models.PositiveIntegerField("unità rimosse", default=0)
    invariate = models.PositiveIntegerField("unità invariate", default=0)
    errori = models.JSONField("errori per riga", default=list, blank=True)
    anteprima = models.JSONField("anteprima delle modifiche", default=dict, blank=True)
    esito = models.TextField("esito", blank=True)
    creato_il = models.DateTimeField("caricato il", auto_now_add=True)
    completato_il = models.DateTimeField("completato il", null=True, blank=True)

    class Meta:
        verbose_name = "caricamento"
        verbose_name_plural = "caricamenti"
        ordering = ["-creato_il"]
        constraints = [
            models.CheckConstraint(condition=Q(progresso__lte=100), name="caricamento_progresso_0_100"),
        ]

    def __str__(self) -> str:
        return f"{self.nome_file} – {self.ente} ({self.get_stato_display()})"
