from django.apps import AppConfig

# Connects the login signal that chooses afresh the ambito a person starts in.
import patrimonio.segnali  # noqa: F401


class PatrimonioConfig(AppConfig):
    name = "patrimonio"
    verbose_name = "Patrimonio abitativo"
