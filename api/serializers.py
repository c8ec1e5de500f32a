"""What the API reads and writes, field by field (the schema's descriptions are in Italian)."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from ambito.models import AggregazioneTerritoriale, Ambito, Comune
from patrimonio.models import EnteProprietario, TipoServizio, UnitaAbitativa
from piano_annuale.models import PianoAnnuale, RegoleAnno, Stato, VersionePiano

from .models import TokenPersonale

# ---- The territory ---------------------------------------------------------------------------


class AmbitoSerializer(serializers.ModelSerializer):
    comune_capofila: serializers.PrimaryKeyRelatedField = serializers.PrimaryKeyRelatedField(
        read_only=True, help_text="Identificativo del comune capofila (vuoto se non indicato)."
    )

    class Meta:
        model = Ambito
        fields = ["id", "nome", "comune_capofila", "ente_strumentale"]


class AggregazioneSerializer(serializers.ModelSerializer):
    class Meta:
        model = AggregazioneTerritoriale
        fields = ["id", "ambito", "numero", "denominazione"]


class ComuneSerializer(serializers.ModelSerializer):
    superficie_kmq = serializers.DecimalField(
        max_digits=9,
        decimal_places=2,
        read_only=True,
        allow_null=True,
        coerce_to_string=True,
        help_text="Superficie in km² (testo decimale con il punto), vuota se non nota.",
    )

    class Meta:
        model = Comune
        fields = ["id", "codice_istat", "nome", "provincia", "ambito", "aggregazione", "superficie_kmq"]


class EnteSerializer(serializers.ModelSerializer):
    class Meta:
        model = EnteProprietario
        fields = ["id", "ambito", "tipo", "denominazione", "comune", "uog", "gestore"]


# ---- Plans, rule sets, versions -------------------------------------------------------------


class RegoleSerializer(serializers.ModelSerializer):
    class Meta:
        model = RegoleAnno
        fields = ["id", "codice", "nome", "in_vigore_dal", "riferimenti"]


class PianoSerializer(serializers.ModelSerializer):
    stato_descrizione = serializers.CharField(
        source="get_stato_display", read_only=True, help_text="Lo stato in parole."
    )
    regole = serializers.SerializerMethodField(help_text="Le regole con cui il piano è calcolato.")
    leggibile = serializers.SerializerMethodField(
        help_text="Se chi chiede può leggere il piano calcolato (dipende dal ruolo e dallo stato)."
    )

    class Meta:
        model = PianoAnnuale
        fields = [
            "id",
            "ambito",
            "anno",
            "stato",
            "stato_descrizione",
            "regole",
            "motivo_regole",
            "data_popolazione",
            "scadenza_ricognizione",
            "triennio_inizio",
            "triennio_fine",
            "revisione",
            "leggibile",
        ]

    @extend_schema_field(RegoleSerializer(allow_null=True))
    def get_regole(self, piano: PianoAnnuale) -> dict[str, Any] | None:
        try:
            regole = piano.regole_applicate()
        except RegoleAnno.DoesNotExist:
            return None
        return dict(RegoleSerializer(regole).data)

    def get_leggibile(self, piano: PianoAnnuale) -> bool:
        return piano.pk in self.context.get("leggibili", set())


class VersioneSerializer(serializers.ModelSerializer):
    tipo_descrizione = serializers.CharField(source="get_tipo_display", read_only=True)
    creata_da = serializers.CharField(source="creata_da.get_username", read_only=True)
    pdf_disponibile = serializers.SerializerMethodField()

    class Meta:
        model = VersionePiano
        fields = [
            "id",
            "piano",
            "numero",
            "tipo",
            "tipo_descrizione",
            "dati_sha256",
            "pdf_sha256",
            "pdf_disponibile",
            "creata_da",
            "creata_il",
        ]

    def get_pdf_disponibile(self, versione: VersionePiano) -> bool:
        return bool(versione.pdf)


# ---- An ente's data ---------------------------------------------------------------------------


class StatoNelPianoSerializer(serializers.Serializer):
    stato = serializers.ChoiceField(
        choices=Stato.choices,
        help_text="La sezione che conta l'unità: carenza (b), ristrutturazione (c), nuova (d), libera (e), "
        "conferita (f).",
    )
    programma = serializers.CharField(required=False, allow_blank=True, default="", max_length=120)
    note = serializers.CharField(required=False, allow_blank=True, default="", max_length=300)
    costo_lavori = serializers.DecimalField(
        max_digits=12,
        decimal_places=2,
        required=False,
        allow_null=True,
        default=None,
        coerce_to_string=True,
        help_text="Solo per le unità in carenza manutentiva e con le regole che lo prevedono (L.R. 18/2025).",
    )
    note_lavori = serializers.CharField(required=False, allow_blank=True, default="", max_length=300)
    da_confermare = serializers.BooleanField(read_only=True, help_text="Stato ripreso dall'anno precedente.")


class UnitaSerializer(serializers.ModelSerializer):
    """Un'unità abitativa dell'ente e il suo stato nel piano (vuoto: non assegnabile nell'anno)."""

    stato_nel_piano = StatoNelPianoSerializer(allow_null=True, required=False, default=None)
    comune = serializers.PrimaryKeyRelatedField(
        queryset=Comune.objects.all(), help_text="Identificativo del comune (deve essere dell'ambito)."
    )
    tipo = serializers.ChoiceField(choices=TipoServizio.choices, default=TipoServizio.SAP)
    id_regionale = serializers.CharField(
        required=False,
        allow_blank=True,
        allow_null=True,
        default=None,
        max_length=20,
        help_text="Identificativo nell'anagrafe regionale; vuoto se non comunicato.",
    )
    codice_ente = serializers.CharField(required=False, allow_blank=True, default="", max_length=40)
    indirizzo = serializers.CharField(required=False, allow_blank=True, default="", max_length=200)

    class Meta:
        model = UnitaAbitativa
        fields = [
            "id",
            "ente",
            "comune",
            "id_regionale",
            "codice_ente",
            "tipo",
            "indirizzo",
            "stato_nel_piano",
        ]
        read_only_fields = ["id", "ente"]

    def to_representation(self, istanza: UnitaAbitativa) -> dict[str, Any]:
        dati = super().to_representation(istanza)
        stato = self.context.get("stati", {}).get(istanza.pk)
        dati["stato_nel_piano"] = StatoNelPianoSerializer(stato).data if stato is not None else None
        return dati


class RigaElencoSerializer(serializers.Serializer):
    """Una riga dell'elenco completo delle unità: le colonne del modello di foglio di calcolo."""

    id_regionale = serializers.CharField(required=False, allow_blank=True, allow_null=True, default="")
    codice_ente = serializers.CharField(required=False, allow_blank=True, allow_null=True, default="")
    comune = serializers.CharField(
        required=False, allow_blank=True, default="", help_text="Nome del comune come nell'elenco ISTAT."
    )
    codice_istat = serializers.CharField(required=False, allow_blank=True, default="", help_text="6 cifre.")
    tipo = serializers.CharField(required=False, allow_blank=True, default="", help_text="SAP o SAS.")
    indirizzo = serializers.CharField(required=False, allow_blank=True, default="")
    stato = serializers.CharField(
        required=False,
        allow_blank=True,
        allow_null=True,
        default="",
        help_text="carenza, ristrutturazione, nuova, libera, conferita; vuoto se non assegnabile nell'anno.",
    )
    programma = serializers.CharField(required=False, allow_blank=True, default="")
    note = serializers.CharField(required=False, allow_blank=True, default="")
    costo_lavori = serializers.CharField(required=False, allow_blank=True, allow_null=True, default="")
    note_lavori = serializers.CharField(required=False, allow_blank=True, default="")
    id = serializers.IntegerField(
        required=False,
        allow_null=True,
        default=None,
        help_text="Identificativo interno dell'unità esistente.",
    )


class RigaTurnoverElencoSerializer(serializers.Serializer):
    comune = serializers.CharField(required=False, allow_blank=True, default="")
    codice_istat = serializers.CharField(required=False, allow_blank=True, default="")
    numero = serializers.IntegerField(help_text="Alloggi previsti per turn-over nel comune (0 se nessuno).")


class ElencoCompletoSerializer(serializers.Serializer):
    unita = RigaElencoSerializer(many=True, help_text="L'elenco completo delle unità dell'ente.")
    turnover = RigaTurnoverElencoSerializer(
        many=True,
        required=False,
        allow_null=True,
        default=None,
        help_text="Se presente, sostituisce il turn-over dell'ente per comune.",
    )


class ConteggioSerializer(serializers.Serializer):
    comune = serializers.IntegerField(help_text="Identificativo del comune dell'ambito.")
    numero = serializers.IntegerField(
        min_value=1, error_messages={"min_value": "Indicare almeno 1; per togliere il comune non indicarlo."}
    )


class ConsistenzaSerializer(serializers.Serializer):
    sap = serializers.IntegerField(allow_null=True, required=False, default=None)
    sas = serializers.IntegerField(allow_null=True, required=False, default=None)
    fonte = serializers.CharField(allow_blank=True, required=False, default="", max_length=120)


class AssegnazioniSerializer(serializers.Serializer):
    totale = serializers.IntegerField()
    mobilita = serializers.IntegerField(default=0)
    in_deroga = serializers.IntegerField(default=0)


class ScelteSerializer(serializers.Serializer):
    soglia_indigenti_eccedente = serializers.IntegerField(required=False)
    categoria_aggiuntiva = serializers.CharField(required=False, allow_blank=True)
    motivazione_categoria = serializers.CharField(required=False, allow_blank=True)
    quota_forze_polizia = serializers.IntegerField(required=False)
    quota_polizia_locale = serializers.IntegerField(required=False)
    soglia_c_bis = serializers.IntegerField(required=False)
    categorie_c_bis = serializers.ListField(child=serializers.CharField(), required=False)
    da_confermare = serializers.BooleanField(read_only=True)


# ---- Tokens --------------------------------------------------------------------------------------


class TokenSerializer(serializers.ModelSerializer):
    class Meta:
        model = TokenPersonale
        fields = [
            "id",
            "nome",
            "prefisso",
            "sola_lettura",
            "creato_il",
            "scadenza",
            "usato_il",
            "revocato_il",
        ]
