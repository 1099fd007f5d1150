"""`manage.py import_case FILE... [--url URL...]`: import CASE CFPackages, one transaction per package.
Our GOSO frameworks update the framework whose CFDocument identifier they carry; any other package is an
external framework (curriculum/external.py), created or re-synced by its identifiers."""

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from curriculum.case import import_case_file
from curriculum.external import external_url_import
from importkit.files import ImportFileError


class Command(BaseCommand):
    help = _(
        "Import CASE CFPackage files (as exported by export_case or the /ims/case/v1p1/CFPackages service), or "
        "fetch them from CFPackages URLs. A package of ours updates the framework whose CFDocument identifier it "
        "carries, and nothing else; any other package is imported or re-synced as an external framework."
    )

    def add_arguments(self, parser):
        parser.add_argument("files", nargs="*", metavar="FILE")
        parser.add_argument("--url", action="append", default=[], metavar="URL",
                            help=_("A CFPackages URL of an external framework to import or re-sync (repeatable)."))
        parser.add_argument("--subject", metavar="CODE", help=_("Existing subject for packages that name none."))
        parser.add_argument("--dry-run", action="store_true", help=_("Print the plan; write nothing."))
        parser.add_argument(
            "--deactivate-missing", action="store_true",
            help=_("Deactivate (never delete) sections, subsections and outcomes that a package no longer lists."),
        )

    def handle(self, *args, files, url, subject, dry_run, deactivate_missing, **options):
        if not files and not url:
            raise CommandError(_("Give at least one FILE or --url URL."))
        jobs = [(path, lambda path=path: import_case_file(
            path=path, subject_code=subject, dry_run=dry_run, deactivate_missing=deactivate_missing)) for path in files]
        jobs += [(address, lambda address=address: external_url_import(url=address, dry_run=dry_run))
                 for address in url]
        failed = []
        for source, run in jobs:
            try:
                report = run()
            except ImportFileError as error:
                failed.append(source)
                for message in error.messages:
                    self.stderr.write(message)
                self.stderr.write(_("%(file)s: not imported, nothing was changed") % {"file": source})
                continue
            if dry_run or options["verbosity"] > 1:
                for line in report.plan_lines():
                    self.stdout.write(line)
            self.stdout.write(report.summary())
        if failed:
            raise CommandError(_("%(failed)s of %(total)s files were not imported: %(files)s") % {
                "failed": len(failed), "total": len(jobs), "files": ", ".join(failed),
            })
