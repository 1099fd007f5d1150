"""`manage.py import_textbook FILE [--school CODE]`: import a textbook's chapters and paragraphs."""

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from importkit.files import ImportFileError
from tenants.models import School
from textbooks.importing import textbook_file_import


class Command(BaseCommand):
    help = _(
        "Import a textbook (chapters, paragraphs) from a JSON file: global content by default, or a school's "
        "own with --school. Re-running the same file changes nothing."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", metavar="FILE")
        parser.add_argument("--school", metavar="CODE", help=_("The school's code (default: a global textbook)."))

    def handle(self, *args, file, school, **options):
        school_obj = None
        if school:
            school_obj = School.objects.filter(code=school).first()
            if school_obj is None:
                raise CommandError(_('No school with the code "%(code)s".') % {"code": school})
        try:
            _textbook, report = textbook_file_import(path=file, school=school_obj)
        except ImportFileError as error:
            for message in error.messages:
                self.stderr.write(message)
            raise CommandError(_("%(file)s: not imported, nothing was changed") % {"file": file}) from error
        if options["verbosity"] > 1:
            for line in report.plan_lines():
                self.stdout.write(line)
        self.stdout.write(report.summary())
