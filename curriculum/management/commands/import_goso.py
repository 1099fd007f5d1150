"""`manage.py import_goso FILE...`: import GOSO frameworks from JSON files, one transaction per file."""

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from curriculum.importing import ImportFileError, goso_file_import

# Below this many rows an import is over before a progress bar would help.
PROGRESS_BAR_FROM = 2000


class ProgressBar:
    """A one-line text progress bar on a terminal; silent when output is redirected or the file is small."""

    def __init__(self, stream, *, width=40):
        self.stream = stream
        self.width = width
        self.shown = False

    def __call__(self, done, total):
        if total < PROGRESS_BAR_FROM or not getattr(self.stream, "isatty", lambda: False)():
            return
        filled = self.width * done // total
        self.stream.write(f"\r  [{'#' * filled}{'.' * (self.width - filled)}] {done}/{total}", ending="")
        self.stream.flush()
        self.shown = True

    def finish(self):
        if self.shown:
            self.stream.write("")
            self.shown = False


class Command(BaseCommand):
    help = _(
        "Import GOSO frameworks (subject, framework, sections, subsections, learning outcomes) from JSON files. "
        "Upserts by code; each file is imported whole or not at all."
    )

    def add_arguments(self, parser):
        parser.add_argument("files", nargs="+", metavar="FILE")
        parser.add_argument("--dry-run", action="store_true", help=_("Print the plan; write nothing."))
        parser.add_argument(
            "--deactivate-missing", action="store_true",
            help=_("Deactivate (never delete) sections, subsections and outcomes that a file no longer lists."),
        )

    def handle(self, *args, files, dry_run, deactivate_missing, **options):
        failed = []
        for path in files:
            bar = ProgressBar(self.stderr)
            try:
                report = goso_file_import(path=path, dry_run=dry_run, deactivate_missing=deactivate_missing, progress=bar)
            except ImportFileError as error:
                bar.finish()
                failed.append(path)
                for message in error.messages:
                    self.stderr.write(message)
                self.stderr.write(_("%(file)s: not imported, nothing was changed") % {"file": path})
                continue
            bar.finish()
            if dry_run or options["verbosity"] > 1:
                for line in report.plan_lines():
                    self.stdout.write(line)
            self.stdout.write(report.summary())
        if failed:
            raise CommandError(_("%(failed)s of %(total)s files were not imported: %(files)s") % {
                "failed": len(failed), "total": len(files), "files": ", ".join(failed),
            })
