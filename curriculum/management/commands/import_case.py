"""`manage.py import_case FILE...`: import CASE 1.1 CFPackages as GOSO frameworks, one transaction per file."""

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from curriculum.case import import_case_file
from importkit.files import ImportFileError


class Command(BaseCommand):
    help = _(
        "Import CASE CFPackage files (as exported by export_case or the /ims/case/v1p1/CFPackages service) as GOSO "
        "frameworks. A package updates the framework whose CFDocument identifier it carries, and nothing else. "
        "Packages from other systems must use GOSO codes; name their subject with --subject."
    )

    def add_arguments(self, parser):
        parser.add_argument("files", nargs="+", metavar="FILE")
        parser.add_argument("--subject", metavar="CODE", help=_("Existing subject for packages that name none."))
        parser.add_argument("--dry-run", action="store_true", help=_("Print the plan; write nothing."))
        parser.add_argument(
            "--deactivate-missing", action="store_true",
            help=_("Deactivate (never delete) sections, subsections and outcomes that a package no longer lists."),
        )

    def handle(self, *args, files, subject, dry_run, deactivate_missing, **options):
        failed = []
        for path in files:
            try:
                report = import_case_file(
                    path=path, subject_code=subject, dry_run=dry_run, deactivate_missing=deactivate_missing,
                )
            except ImportFileError as error:
                failed.append(path)
                for message in error.messages:
                    self.stderr.write(message)
                self.stderr.write(_("%(file)s: not imported, nothing was changed") % {"file": path})
                continue
            if dry_run or options["verbosity"] > 1:
                for line in report.plan_lines():
                    self.stdout.write(line)
            self.stdout.write(report.summary())
        if failed:
            raise CommandError(_("%(failed)s of %(total)s files were not imported: %(files)s") % {
                "failed": len(failed), "total": len(files), "files": ", ".join(failed),
            })
