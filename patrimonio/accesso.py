"""Who acts for which ente, and the access policy: the one place that says who reads and changes what.

Every QuerySet rule (``visibili_a``, ``modificabili_da``, ``dell_ufficio_di_piano``), view, template
tag and notification asks these functions. They are written as filters over field paths, so the
registry's and the plan's QuerySets below and above can use them without this module importing them.
"""

from __future__ import annotations

import functools
import operator
from collections.abc import Iterable
from typing import TYPE_CHECKING

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import models
from django.db.models import Exists, F, Q, Subquery

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser, User
    from django.http import HttpRequest

    Utente = User | AnonymousUser


class Ruolo(models.TextChoices):
    UFFICIO_DI_PIANO = "ufficio_di_piano", "Ufficio di piano"
    COMUNE = "comune", "Operatore comunale"
    ALER = "aler", "Operatore ALER"
    ASSEMBLEA = "assemblea", "Membro dell'Assemblea dei Sindaci"
    OSSERVATORE_REGIONALE = "osservatore_regionale", "Osservatore regionale"


# Roles that act for one ente proprietario and must name it.
RUOLI_CON_ENTE = [Ruolo.COMUNE, Ruolo.ALER]
# Roles held across the whole region, with no ambito.
RUOLI_REGIONALI = [Ruolo.OSSERVATORE_REGIONALE]

# The web request's *membership in use*: the ambito the user works in now, set on the user object by
# ``patrimonio.ambito_in_uso.AmbitoInUso`` from the session (and by the API's authentication). While it
# is set, every rule below answers for that ambito only, so a person with memberships in two ambiti
# sees each only while working in it. Without it (a management command, a shell) every membership counts.
ATTRIBUTO_AMBITO_IN_USO = "_poa_ambito_in_uso"


class OperatoreQuerySet(models.QuerySet):
    """The building blocks of the access rules; the rules themselves are the ``visibili_a`` and
    ``modificabili_da`` methods of the enti's, units' and plans' querysets, which combine these."""

    def di(self, user: User | AnonymousUser) -> OperatoreQuerySet:
        """The memberships of ``user`` in the ambito in use (every membership when none is set; only
        the regional ones when the user works in no ambito); none for anonymous users."""
        if not user.is_authenticated:
            return self.none()
        appartenenze = self.filter(user_id=user.pk)
        if hasattr(user, ATTRIBUTO_AMBITO_IN_USO):
            return appartenenze.filter(ambito_id=getattr(user, ATTRIBUTO_AMBITO_IN_USO))
        return appartenenze

    def di_ogni_ambito(self, user: User | AnonymousUser) -> OperatoreQuerySet:
        """Every membership of ``user``, whatever the ambito in use (the header's ambito picker)."""
        if not user.is_authenticated:
            return self.none()
        return self.filter(user_id=user.pk)

    def con_ruolo(self, *ruoli: str) -> OperatoreQuerySet:
        return self.filter(ruolo__in=ruoli)

    def ambiti(self) -> models.QuerySet:
        """The ambiti of these operators, as a subquery for ``ambito__in``."""
        return self.values("ambito_id")

    def enti(self) -> models.QuerySet:
        """The enti these operators act for, as a subquery for ``pk__in``.

        Only an ente of the operator's own ambito counts: a row pointing elsewhere grants nothing.
        """
        return self.filter(ruolo__in=RUOLI_CON_ENTE, ente__ambito_id=F("ambito_id")).values("ente_id")


class Operatore(models.Model):
    """A membership: a user's role in an ambito and, for comuni and ALER, the ente they act for.

    One person may hold several (the ALER officer who works in every ambito where ALER owns units has
    one per ambito, with one login); the regional observer's membership has no ambito.
    """

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="operatori")
    ambito = models.ForeignKey(
        "ambito.Ambito", on_delete=models.PROTECT, null=True, blank=True, related_name="operatori"
    )
    ruolo = models.CharField("ruolo", max_length=30, choices=Ruolo.choices)
    ente = models.ForeignKey(
        "patrimonio.EnteProprietario",
        verbose_name="ente per cui opera",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="operatori",
    )

    objects = OperatoreQuerySet.as_manager()

    class Meta:
        verbose_name = "appartenenza (operatore)"
        verbose_name_plural = "appartenenze (operatori)"
        ordering = ["ambito", "ruolo", "user__username"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(ruolo__in=RUOLI_CON_ENTE) | Q(ente__isnull=False),
                name="operatore_ente_obbligatorio_per_comune_e_aler",
            ),
            models.CheckConstraint(
                condition=(Q(ruolo__in=RUOLI_REGIONALI) & Q(ambito__isnull=True) & Q(ente__isnull=True))
                | (~Q(ruolo__in=RUOLI_REGIONALI) & Q(ambito__isnull=False)),
                name="operatore_ambito_solo_per_ruoli_non_regionali",
            ),
            models.UniqueConstraint(
                fields=["user", "ambito", "ruolo"],
                condition=Q(ente__isnull=True),
                name="operatore_appartenenza_unica_senza_ente",
            ),
            models.UniqueConstraint(
                fields=["user", "ambito", "ruolo", "ente"],
                condition=Q(ente__isnull=False),
                name="operatore_appartenenza_unica_con_ente",
            ),
            models.UniqueConstraint(
                fields=["user", "ruolo"],
                condition=Q(ambito__isnull=True),
                name="operatore_un_ruolo_regionale",
            ),
        ]

    def __str__(self) -> str:
        ente = f" – {self.ente}" if self.ente_id else ""
        ambito = f", {self.ambito}" if self.ambito_id else ""
        return f"{self.user.get_username()} ({self.get_ruolo_display()}{ente}{ambito})"

    @property
    def segue_la_ricognizione(self) -> bool:
        """Whether the operator follows the whole ambito's ricognizione (the ufficio di piano)."""
        return self.ruolo == Ruolo.UFFICIO_DI_PIANO

    @property
    def ente_rappresentato_id(self) -> int | None:
        """The ente whose data the operator fills in (comuni and ALER), None for the other roles."""
        return self.ente_id if self.ruolo in RUOLI_CON_ENTE else None


# ---- The policy -----------------------------------------------------------------------------------

# From which stage of the plan's workflow each role reads the computed plan (R.R. 4/2017 art. 4 c. 4:
# ALER reads the draft from when it is sent for its parere; comuni and the mayors from when it is
# sent to the Assemblea). The ufficio di piano reads every stage. Stage names are
# ``piano_annuale.models.StatoPiano`` values, checked by a test.
LETTURA_PIANO_DAL_PASSO: dict[str, str] = {
    Ruolo.ALER: "inviata_aler",
    Ruolo.COMUNE: "trasmessa_assemblea",
    Ruolo.ASSEMBLEA: "trasmessa_assemblea",
}
# Roles that take part in the ricognizione of their ambito.
RUOLI_COMPILATORI = (Ruolo.UFFICIO_DI_PIANO, Ruolo.COMUNE, Ruolo.ALER)


def _nessuno_o_tutti(user: Utente) -> Q | None:
    """``Q(pk__in=[])`` for anonymous users, ``Q()`` for superusers, None otherwise."""
    if not user.is_authenticated:
        return Q(pk__in=[])
    if user.is_superuser:
        return Q()
    return None


# A web request's memberships, kept on its user object: ``imposta_ambito_in_uso`` (the middleware,
# the API's authentication) marks them to be read, the first rule that needs them reads them all
# with one query, and every rule of the request then filters with their ids instead of subqueries.
# Written as subqueries, the rules cost a plan's read 7 ms instead of 2 ms (building the SQL and
# running it), on every page. Elsewhere (commands, services, tests holding a user across changes)
# the rules stay subqueries, read when their query runs.
ATTRIBUTO_APPARTENENZE = "_poa_appartenenze"
_DA_LEGGERE = "da leggere"  # the mark (a value no reading gives: a reading is a tuple)
# The order the header lists a person's memberships in (``appartenenze_di``).
ORDINE_APPARTENENZE = ("ambito__nome", "ruolo", "ente__denominazione", "pk")


def _una_di(*condizioni: Q) -> Q:
    """The rows that meet one of ``condizioni``, without those that no row meets (a filter on an
    empty list of ids, as the memberships read once give for the roles a person does not hold): the
    SQL is the same, and building and compiling it takes half the time for the usual person with one
    role (a plan's page builds it on every request)."""
    utili = [c for c in condizioni if not _nessuna_riga(c)]
    if not utili:
        return Q(pk__in=[])
    return functools.reduce(operator.or_, utili)


def _nessuna_riga(condizione: Q) -> bool:
    """Whether ``condizione`` is an AND of terms one of which filters on an empty list of ids."""
    return (
        condizione.connector == Q.AND
        and not condizione.negated
        and any(
            isinstance(figlio, tuple)
            and figlio[0].endswith("__in")
            and isinstance(figlio[1], list)
            and not figlio[1]
            for figlio in condizione.children
        )
    )


def _appartenenze(user: Utente) -> tuple[Operatore, ...] | None:
    """Every membership of ``user`` in a web request (read once, with its ambito and ente, in the
    header's order); None outside one."""
    lette: tuple[Operatore, ...] | str | None = getattr(user, ATTRIBUTO_APPARTENENZE, None)
    if lette == _DA_LEGGERE:
        lette = tuple(
            Operatore.objects.di_ogni_ambito(user)
            .select_related("ambito", "ente")
            .order_by(*ORDINE_APPARTENENZE)
        )
        setattr(user, ATTRIBUTO_APPARTENENZE, lette)
    return lette if isinstance(lette, tuple) else None


def appartenenze_in_uso(user: Utente, tutte: Iterable[Operatore]) -> list[Operatore]:
    """Those of ``tutte`` in the ambito in use, as ``OperatoreQuerySet.di`` chooses them (all of them
    when no ambito in use is set)."""
    if not hasattr(user, ATTRIBUTO_AMBITO_IN_USO):
        return list(tutte)
    in_uso = getattr(user, ATTRIBUTO_AMBITO_IN_USO)
    return [a for a in tutte if a.ambito_id == in_uso]


def ha_ruolo_regionale(appartenenze: Iterable[Operatore]) -> bool:
    """Whether one of ``appartenenze`` is the regional observer's."""
    return any(a.ruolo in RUOLI_REGIONALI for a in appartenenze)


def _ambiti_con(user: Utente, *ruoli: str) -> list[int] | models.QuerySet:
    """The ambiti in use where ``user`` holds one of ``ruoli``, for ``ambito_id__in``."""
    tutte = _appartenenze(user)
    if tutte is None:
        return Operatore.objects.di(user).con_ruolo(*ruoli).ambiti()
    return sorted(
        {
            a.ambito_id
            for a in appartenenze_in_uso(user, tutte)
            if a.ruolo in ruoli and a.ambito_id is not None
        }
    )


def _enti_di(user: Utente) -> list[int] | models.QuerySet:
    """The enti ``user`` acts for in the ambito in use (``OperatoreQuerySet.enti``), for ``pk__in``."""
    tutte = _appartenenze(user)
    if tutte is None:
        return Operatore.objects.di(user).enti()
    return sorted(
        {
            a.ente.pk
            for a in appartenenze_in_uso(user, tutte)
            if a.ruolo in RUOLI_CON_ENTE and a.ente is not None and a.ente.ambito_id == a.ambito_id
        }
    )


def q_ambiti_dell_ufficio(user: Utente, campo_ambito: str = "ambito") -> Q:
    """Rows of the ambiti where ``user`` is the ufficio di piano (every ambito for superusers)."""
    if (q := _nessuno_o_tutti(user)) is not None:
        return q
    return Q(**{f"{campo_ambito}_id__in": _ambiti_con(user, Ruolo.UFFICIO_DI_PIANO)})


def q_enti_visibili(user: Utente, campo_ente: str = "") -> Q:
    """Rows of the enti whose data ``user`` reads: the whole ambito for its ufficio di piano, their
    own ente for a comune or ALER operator, every ente for superusers; none for the Assemblea (which
    reads only the plans) and for anonymous users. ``campo_ente`` is the path from the row to the
    ente ("" when the rows are the enti)."""
    if (q := _nessuno_o_tutti(user)) is not None:
        return q
    prefisso = f"{campo_ente}__" if campo_ente else ""
    return _una_di(
        Q(**{f"{prefisso}ambito_id__in": _ambiti_con(user, Ruolo.UFFICIO_DI_PIANO)}),
        Q(**{f"{prefisso}pk__in" if prefisso else "pk__in": _enti_di(user)}),
    )


def q_enti_modificabili(user: Utente, campo_ente: str = "") -> Q:
    """Rows of the enti whose data ``user`` changes: the same enti they read (the Assemblea changes
    nothing). Whether the ente's answer and the plan are still open is the services' check."""
    return q_enti_visibili(user, campo_ente)


def q_piani_visibili(user: Utente, passi: list[str]) -> Q:
    """Plans whose computed content ``user`` reads, given the workflow's stages in order. The regional
    observer reads every ambito's plans, at every stage, and changes nothing."""
    if (q := _nessuno_o_tutti(user)) is not None:
        return q
    tutte = _appartenenze(user)
    if tutte is None:
        osservatore = Q(Exists(Operatore.objects.di_ogni_ambito(user).con_ruolo(*RUOLI_REGIONALI)))
    elif ha_ruolo_regionale(tutte):
        return Q()
    else:
        osservatore = Q(pk__in=[])
    return _una_di(
        Q(ambito_id__in=_ambiti_con(user, Ruolo.UFFICIO_DI_PIANO)),
        osservatore,
        *(
            Q(ambito_id__in=_ambiti_con(user, ruolo), stato__in=passi[passi.index(dal_passo) :])
            for ruolo, dal_passo in LETTURA_PIANO_DAL_PASSO.items()
        ),
    )


def q_piani_compilabili(user: Utente) -> Q:
    """Plans whose ricognizione ``user`` takes part in, whatever their state."""
    if (q := _nessuno_o_tutti(user)) is not None:
        return q
    return Q(ambito_id__in=_ambiti_con(user, *RUOLI_COMPILATORI))


def ruoli_nell_ambito(user: Utente, ambito_id: int) -> frozenset[str]:
    """The roles ``user`` holds in the ambito: every role for superusers, none for anonymous users
    (in a web request, from the memberships it read once)."""
    if not user.is_authenticated:
        return frozenset()
    if user.is_superuser:
        return frozenset(Ruolo.values) - frozenset(RUOLI_REGIONALI)
    tutte = _appartenenze(user)
    if tutte is None:
        return frozenset(
            Operatore.objects.di(user).filter(ambito_id=ambito_id).values_list("ruolo", flat=True)
        )
    return frozenset(a.ruolo for a in appartenenze_in_uso(user, tutte) if a.ambito_id == ambito_id)


def ha_ruolo(user: Utente, ambito_id: int, ruolo: str) -> bool:
    """Whether ``user`` holds ``ruolo`` in the ambito (superusers hold every role)."""
    return ruolo in ruoli_nell_ambito(user, ambito_id)


def operatore_di(user: Utente) -> Operatore | None:
    """The membership in use (ambito, role, ente), with its ambito and ente; None without one."""
    return Operatore.objects.di(user).select_related("ambito", "ente").first()


def appartenenze_di(user: Utente, **annotazioni: models.Expression | Subquery) -> list[Operatore]:
    """Every membership of ``user``, with its ambito and ente, in the order the header lists them;
    ``annotazioni`` add what the caller reads of each membership in the same query. Without them, in a
    web request, the memberships the access rules read (no query)."""
    if not annotazioni and (tutte := _appartenenze(user)) is not None:
        return list(tutte)
    return list(
        Operatore.objects.di_ogni_ambito(user)
        .select_related("ambito", "ente")
        .annotate(**annotazioni)
        .order_by(*ORDINE_APPARTENENZE)
    )


def ambiti_di(user: Utente) -> list[int]:
    """The ambiti where ``user`` holds a membership, in the order of ``appartenenze_di``."""
    ambiti: list[int] = []
    for appartenenza in appartenenze_di(user):
        if appartenenza.ambito_id is not None and appartenenza.ambito_id not in ambiti:
            ambiti.append(appartenenza.ambito_id)
    return ambiti


def imposta_ambito_in_uso(user: Utente, ambito_id: int | None) -> None:
    """Make ``ambito_id`` the ambito ``user`` works in for this request (None: no ambito); the
    request's memberships are read again, once, by the next rule that needs them."""
    setattr(user, ATTRIBUTO_AMBITO_IN_USO, ambito_id)
    setattr(user, ATTRIBUTO_APPARTENENZE, _DA_LEGGERE)


def ambito_in_uso(user: Utente) -> int | None:
    """The ambito set by ``imposta_ambito_in_uso`` for this request, None when none is."""
    return getattr(user, ATTRIBUTO_AMBITO_IN_USO, None)


def descrizione_profilo(user: Utente, operatore: Operatore | None) -> str:
    """How the page frame names the user's role."""
    if operatore is not None:
        return operatore.get_ruolo_display()
    if user.is_superuser:
        return "Amministratore della piattaforma"
    return "Osservatore regionale" if e_osservatore_regionale(user) else "Utente senza ruolo"


def e_osservatore_regionale(user: Utente) -> bool:
    """Whether ``user`` holds the regional observer's membership."""
    if (tutte := _appartenenze(user)) is not None:
        return ha_ruolo_regionale(tutte)
    return Operatore.objects.di_ogni_ambito(user).con_ruolo(*RUOLI_REGIONALI).exists()


def vede_la_regione(user: Utente) -> bool:
    """Whether ``user`` reads the regional overview: the regional observer and the platform
    administrator."""
    return bool(user.is_authenticated and (user.is_superuser or e_osservatore_regionale(user)))


def usa_l_amministrazione(user: Utente) -> bool:
    """Whether the user may open the Django admin: the platform administrator (a superuser) only.
    Staff status alone gives nothing: no everyday task of an ambito needs the admin."""
    return bool(user.is_authenticated and user.is_active and user.is_superuser)


def operatori_attivi(ruoli: Iterable[str], ambito_id: int | None = None) -> OperatoreQuerySet:
    """The active operators with one of ``ruoli`` (of the ambito, when given): who e-mails reach."""
    operatori = Operatore.objects.con_ruolo(*ruoli).filter(user__is_active=True)
    return operatori if ambito_id is None else operatori.filter(ambito_id=ambito_id)


# When a role is told of something, these enti's own office address is written to as well (ALER's
# protocol office beside its operators). Values of ``patrimonio.models.TipoEnte``.
UFFICI_NOTIFICATI: dict[str, str] = {Ruolo.ALER: "aler"}


def q_enti_notificati(ruoli: Iterable[str]) -> Q:
    """The enti whose office address is written to when ``ruoli`` are told (none: an empty filter)."""
    return Q(tipo__in=[UFFICI_NOTIFICATI[r] for r in ruoli if r in UFFICI_NOTIFICATI])


def utente_di(request: HttpRequest) -> User:
    """The signed-in user acting in ``request``, the one a write is recorded under.

    Views that write are behind ``login_required``; an anonymous request reaching one is refused
    (403) rather than written as nobody's.
    """
    user = request.user
    if not user.is_authenticated:
        raise PermissionDenied("Accesso riservato agli utenti autenticati.")
    return user
