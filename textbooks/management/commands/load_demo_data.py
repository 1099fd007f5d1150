from django.core.management.base import BaseCommand, CommandError

from textbooks.demo import demo_data_load


class Command(BaseCommand):
    help = "Load the demo data (GOSO frameworks, a textbook, two schools, users, a fork, alignments). Safe to repeat."

    def add_arguments(self, parser):
        parser.add_argument("--data-dir", help="The shared/data folder (default: settings.SHARED_DATA_DIR).")

    def handle(self, *args, data_dir=None, **options):
        try:
            report = demo_data_load(data_dir=data_dir)
        except FileNotFoundError as error:
            raise CommandError(str(error)) from error
        for line in report.lines:
            self.stdout.write(f"  {line}")
