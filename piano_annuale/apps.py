from django.apps import AppConfig


class PianoAnnualeConfig(AppConfig):
    name = "piano_annuale"
    verbose_name = "Piano annuale dell'offerta"
