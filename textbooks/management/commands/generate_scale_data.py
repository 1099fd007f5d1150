from dataclasses import fields, replace

from django.core.management.base import BaseCommand, CommandError

from textbooks.scale_data import PRESETS, generate


class Command(BaseCommand):
    help = (
        "Generate synthetic national-scale data for benchmarks and load tests (schools scale-00001..., "
        "their administrators, GOSO frameworks, global textbooks, school forks, alignments). Set-based and "
        "repeatable: only missing rows are inserted, so a second run with the same sizes does nothing."
    )

    def add_arguments(self, parser):
        parser.add_argument("--scale", choices=sorted(PRESETS), default="national",
                            help="Preset sizes (default: national); the options below override them.")
        for field in fields(PRESETS["national"]):
            parser.add_argument(f"--{field.name.replace('_', '-')}", type=int, dest=field.name,
                                help=f"default {field.default:,} (national), {getattr(PRESETS['small'], field.name):,} (small)")

    def handle(self, *args, scale, **options):
        overrides = {field.name: options[field.name] for field in fields(PRESETS[scale]) if options[field.name] is not None}
        sizes = replace(PRESETS[scale], **overrides)
        self.stdout.write(f"Sizes: {', '.join(f'{name}={value:,}' for name, value in vars(sizes).items())}")
        try:
            generate(sizes=sizes, log=lambda line: self.stdout.write(f"  {line}"))
        except ValueError as error:
            raise CommandError(str(error)) from error
