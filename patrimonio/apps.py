from django.apps import AppConfig


class PatrimonioConfig(AppConfig):
    name = "patrimonio"
    verbose_name = "Patrimonio abitativo"
