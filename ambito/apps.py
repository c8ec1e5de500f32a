from django.apps import AppConfig


class AmbitoConfig(AppConfig):
    name = "ambito"
    verbose_name = "Ambito territoriale"
