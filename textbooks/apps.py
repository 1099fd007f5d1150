from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TextbooksConfig(AppConfig):
    name = "textbooks"
    verbose_name = _("Textbooks and alignments")
