"""`manage.py export_case FRAMEWORK_CODE [--language ru|kk] [--output FILE]`: a framework as a CASE CFPackage."""

import json

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from curriculum.case import LANGUAGES, case_base_url, framework_package
from curriculum.models import Framework


class Command(BaseCommand):
    help = _("Export a framework as a CASE 1.1 CFPackage (JSON), one package per language. URIs use CASE_BASE_URL.")

    def add_arguments(self, parser):
        parser.add_argument("framework", metavar="FRAMEWORK_CODE")
        parser.add_argument("--language", choices=LANGUAGES, default="ru")
        parser.add_argument("--output", metavar="FILE", help=_("Write to FILE instead of standard output."))

    def handle(self, *args, framework, language, output, **options):
        found = Framework.objects.select_related("subject").filter(code=framework).first()
        if found is None:
            raise CommandError(_('No framework with the code "%(code)s".') % {"code": framework})
        package = framework_package(framework=found, language=language, base_url=case_base_url())
        text = json.dumps(package, ensure_ascii=False, indent=2)
        if output:
            with open(output, "w", encoding="utf-8") as stream:
                stream.write(text + "\n")
            self.stderr.write(_("%(file)s: %(items)s items") % {"file": output, "items": len(package["CFItems"])})
        else:
            self.stdout.write(text)
