"""Spreadsheet (CSV, XLSX) export and import of sections, subsections and learning outcomes.

Built on django-import-export: the admin's Export / Import buttons, an import preview (a dry run in
a rolled-back transaction) with row-level errors, then a confirmation that imports the whole file in
one transaction or nothing (any invalid row blocks it). Rows are matched by (framework code, code);
sections and subsections are named by their codes within the row's framework, as in the JSON files.

The checks are those of the JSON import: the code rules of curriculum/codes.py (through the models'
clean()), grades 1-11 and within the subject's range, texts PostgreSQL accepts, no code twice in a
file, strict numbers and booleans (never guessed). Unchanged rows are skipped, so exporting and
re-importing an unchanged file writes nothing. Columns that a file leaves out keep their values.
"""

from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.contrib.admin.models import ADDITION, CHANGE, LogEntry
from django.db import transaction
from django.utils import translation
from django.utils.translation import gettext as _
from import_export import fields, resources, widgets
from import_export.admin import ImportExportMixin
from import_export.formats import base_formats
from import_export.results import RowResult

from config.roles import IMPORT

from curriculum.codes import grade_error
from curriculum.models import Framework, LearningOutcome, Section, Subsection
from importkit.fields import text_error

SPREADSHEET_FORMATS = [base_formats.CSV, base_formats.XLSX]


class CodeWidget(widgets.CharWidget):
    """A GOSO code. A spreadsheet number is refused: Excel turns "2.10" into 2.1 without a word."""

    def clean(self, value, row=None, **kwargs):
        if isinstance(value, float):
            raise ValueError(_(
                "%(value)s is a number in the spreadsheet; type codes as text "
                "(a number loses trailing zeros: 2.10 becomes 2.1)"
            ) % {"value": value})
        return super().clean(value, row, **kwargs)


class TextWidget(widgets.CharWidget):
    def clean(self, value, row=None, **kwargs):
        text = super().clean(value, row, **kwargs)
        if error := text_error(text):
            raise ValueError(error)
        return text


class WholeNumberWidget(widgets.IntegerWidget):
    """A whole number or empty; "abc" or 5.5 is an error, never truncated."""

    def clean(self, value, row=None, **kwargs):
        if self.is_empty(value):
            return None
        try:
            number = Decimal(str(value).strip())
        except InvalidOperation:
            number = None
        if number is None or not number.is_finite() or number != number.to_integral_value() or abs(number) > 10**9:
            raise ValueError(_('"%(value)s" is not a whole number') % {"value": value})
        return int(number)


class YesNoWidget(widgets.BooleanWidget):
    """1/0, true/false (as exported); anything else is an error rather than a silent "no"."""

    def clean(self, value, row=None, **kwargs):
        if value in self.NULL_VALUES:
            return None
        normalized = str(value).strip().lower()
        if normalized in ("1", "true", "yes", "да", "иә"):
            return True
        if normalized in ("0", "false", "no", "нет", "жоқ"):
            return False
        raise ValueError(_('"%(value)s" is not a yes/no value (1 or 0)') % {"value": value})


class CodeReferenceWidget(widgets.ForeignKeyWidget):
    """A framework by its code, or a section / subsection by its code within the row's framework.

    `preload()` (called by the resource before an import) loads every candidate of the file's frameworks in
    one query; rows are then looked up in memory instead of one query each."""

    def __init__(self, model, *, framework_lookup=None, related=()):
        super().__init__(model, field="code")
        self.framework_lookup = framework_lookup
        self.related = related  # what the model's clean() reads of a row (select_related)
        self.loaded = None  # {(framework code, code) or (code,): row}

    def preload(self, framework_codes):
        framework_path = self.framework_lookup or "code"
        related = [*self.related, *([self.framework_lookup.rsplit("__", 1)[0]] if self.framework_lookup else [])]
        rows = self.model.objects.filter(**{f"{framework_path}__in": framework_codes}).select_related(*related)
        self.loaded = {
            (*([_follow(row, self.framework_lookup)] if self.framework_lookup else []), row.code): row for row in rows
        }

    def get_instance_by_lookup_fields(self, value, row, **kwargs):
        if self.loaded is None:
            return super().get_instance_by_lookup_fields(value, row, **kwargs)
        key = (*([str((row or {}).get("framework"))] if self.framework_lookup else []), str(value))
        try:
            return self.loaded[key]
        except KeyError:
            raise self.model.DoesNotExist from None

    def get_queryset(self, value, row, *args, **kwargs):
        queryset = self.model.objects.all()
        if self.framework_lookup:
            queryset = queryset.filter(**{self.framework_lookup: (row or {}).get("framework")})
        return queryset

    def clean(self, value, row=None, **kwargs):
        if isinstance(value, float):
            raise ValueError(_("%(value)s is a number in the spreadsheet; type codes as text") % {"value": value})
        if value in (None, ""):
            raise ValueError(_("is missing"))
        try:
            return super().clean(str(value), row, **kwargs)
        except self.model.DoesNotExist:
            raise ValueError(_('no %(kind)s "%(code)s"%(scope)s') % {
                "kind": self.model._meta.verbose_name, "code": value,
                "scope": _(" in framework %(framework)s") % {"framework": (row or {}).get("framework")}
                if self.framework_lookup else "",
            }) from None


def _follow(row, lookup):
    """The value at a lookup path: _follow(subsection, "section__framework__code")."""
    for attribute in lookup.split("__"):
        row = getattr(row, attribute)
    return row


def text_field(name):
    return fields.Field(attribute=name, column_name=name, widget=TextWidget())


def number_field(name, default=None):
    return fields.Field(attribute=name, column_name=name, widget=WholeNumberWidget(), default=default)


class GosoResource(resources.ModelResource):
    """Rows matched by (framework code, code); the rules shared with the JSON import."""

    framework_lookup = "framework__code"  # how a row of this model names its framework
    required_columns = ("framework", "code")
    # Load the rows of the file's frameworks and what the rows refer to in a few queries before the import,
    # instead of several queries per row (an unchanged 1,000-row file: 8,000 queries, 30 s; bench_spreadsheet).
    preload = True
    preload_related = ("framework",)  # what clean() and the checks read of an existing row
    # django-import-export puts every row in a savepoint (two statements a row, most of what is left of an
    # unchanged file's preview). The file keeps its one transaction (import_data); only a row that writes gets
    # a savepoint (do_instance_save), so a row the database refuses is still reported on its own.
    savepoint_per_row = False

    code = fields.Field(attribute="code", column_name="code", widget=CodeWidget())
    display_order = number_field("display_order", default=0)
    is_active = fields.Field(attribute="is_active", column_name="is_active", widget=YesNoWidget(), default=True)

    class Meta:
        import_id_fields = ["code"]
        skip_unchanged = True
        report_skipped = True
        clean_model_instances = True

    def before_import(self, dataset, **kwargs):
        missing = [column for column in self.required_columns if column not in (dataset.headers or [])]
        if missing:
            raise ValueError(_("the spreadsheet has no column %(missing)s (needed: %(needed)s)") % {
                "missing": ", ".join(f'"{column}"' for column in missing), "needed": ", ".join(self.required_columns),
            })
        self._rows_by_key = {}
        self._existing = None
        if self.preload:
            self._preload(dataset)

    def _preload(self, dataset):
        framework_codes = {str(code) for code in dataset["framework"] if code not in (None, "")}
        rows = self._meta.model.objects.filter(**{f"{self.framework_lookup}__in": framework_codes})
        self._existing = {
            (_follow(row, self.framework_lookup), row.code): row for row in rows.select_related(*self.preload_related)
        }
        for field in self.fields.values():  # this resource's own copies of the fields and widgets
            if isinstance(field.widget, CodeReferenceWidget):
                field.widget.preload(framework_codes)

    def before_import_row(self, row, **kwargs):
        key = (str(row.get("framework") or ""), str(row.get("code") or ""))
        number = kwargs.get("row_number")
        if key[1] and key in self._rows_by_key:
            raise ValidationError(_('duplicate code "%(code)s" in framework %(framework)s (already in row %(row)s)') % {
                "code": key[1], "framework": key[0], "row": self._rows_by_key[key],
            })
        self._rows_by_key[key] = number

    def import_data_inner(self, dataset, dry_run, raise_errors, using_transactions, collect_failed_rows, **kwargs):
        self._file_in_transaction = using_transactions
        if not self.savepoint_per_row:
            using_transactions = False  # no savepoint around each row; _is_using_transactions() tells the truth
        return super().import_data_inner(dataset, dry_run, raise_errors, using_transactions, collect_failed_rows, **kwargs)

    def _is_using_transactions(self, kwargs):
        # Whether the file is in a transaction (a dry run then writes and rolls back), not whether rows are.
        return getattr(self, "_file_in_transaction", super()._is_using_transactions(kwargs))

    def do_instance_save(self, instance, is_create):
        if self.savepoint_per_row:
            return super().do_instance_save(instance, is_create)
        with transaction.atomic():
            return super().do_instance_save(instance, is_create)

    def after_import(self, dataset, result, **kwargs):
        # django-import-export resets the id sequence here for files that carry ids; ours never do,
        # and the runtime role may not set a sequence.
        pass

    def get_instance(self, instance_loader, row):
        framework, code = row.get("framework"), row.get("code")
        if not framework or not code or isinstance(code, float):
            return None
        if self._existing is not None:
            return self._existing.get((str(framework), str(code)))
        return self._meta.model.objects.filter(**{self.framework_lookup: str(framework), "code": str(code)}).first()

    def get_queryset(self):
        return super().get_queryset().order_by(self.framework_lookup, "code_sort")


class SectionResource(GosoResource):
    framework = fields.Field(attribute="framework", column_name="framework", widget=CodeReferenceWidget(Framework))
    name_ru, name_kz = text_field("name_ru"), text_field("name_kz")
    description_ru, description_kz = text_field("description_ru"), text_field("description_kz")
    required_columns = ("framework", "code", "name_ru")

    class Meta(GosoResource.Meta):
        model = Section
        fields = ["framework", "code", "name_ru", "name_kz", "description_ru", "description_kz", "display_order", "is_active"]
        export_order = fields


class SubsectionResource(GosoResource):
    framework_lookup = "section__framework__code"
    preload_related = ("section__framework",)
    required_columns = ("framework", "section", "code", "name_ru")

    framework = fields.Field(attribute="section__framework__code", column_name="framework", readonly=True)
    section = fields.Field(
        attribute="section", column_name="section",
        widget=CodeReferenceWidget(Section, framework_lookup="framework__code"),
    )
    name_ru, name_kz = text_field("name_ru"), text_field("name_kz")
    description_ru, description_kz = text_field("description_ru"), text_field("description_kz")

    class Meta(GosoResource.Meta):
        model = Subsection
        fields = [
            "framework", "section", "code", "name_ru", "name_kz", "description_ru", "description_kz", "display_order",
            "is_active",
        ]
        export_order = fields


class LearningOutcomeResource(GosoResource):
    required_columns = ("framework", "subsection", "grade", "code", "title_ru")
    preload_related = ("framework__subject", "subsection__section")

    framework = fields.Field(
        attribute="framework", column_name="framework", widget=CodeReferenceWidget(Framework, related=["subject"])
    )
    subsection = fields.Field(
        attribute="subsection", column_name="subsection",
        widget=CodeReferenceWidget(Subsection, framework_lookup="section__framework__code", related=["section"]),
    )
    grade = number_field("grade")
    title_ru, title_kz = text_field("title_ru"), text_field("title_kz")
    description_ru, description_kz = text_field("description_ru"), text_field("description_kz")
    cognitive_level = text_field("cognitive_level")
    is_sample = fields.Field(attribute="is_sample", column_name="is_sample", widget=YesNoWidget(), default=False)

    class Meta(GosoResource.Meta):
        model = LearningOutcome
        fields = [
            "framework", "subsection", "grade", "code", "title_ru", "title_kz", "description_ru", "description_kz",
            "cognitive_level", "is_sample", "display_order", "is_active",
        ]
        export_order = fields

    def get_queryset(self):
        return super().get_queryset().filter(deleted_at__isnull=True).select_related("framework__subject", "subsection")

    def import_instance(self, instance, row, **kwargs):
        super().import_instance(instance, row, **kwargs)
        # Grades 1-11 and the subject's own range, with the JSON import's messages.
        if not isinstance(instance.grade, int):
            return
        if error := grade_error(instance.grade):
            raise ValidationError({"grade": error})
        if instance.framework_id:
            subject = instance.framework.subject
            if error := grade_error(instance.grade, lowest=subject.grade_from, highest=subject.grade_to):
                raise ValidationError({"grade": _("%(error)s of the subject %(subject)s") % {
                    "error": error, "subject": subject.code,
                }})


class SpreadsheetAdminMixin(ImportExportMixin):
    """CSV / XLSX export and import (with preview) for a GOSO ModelAdmin; only those who may add and
    change rows (methodologists) import. Use: `class SectionAdmin(SpreadsheetAdminMixin, GosoAdmin)`
    with `resource_classes = [SectionResource]`.
    """

    formats = SPREADSHEET_FORMATS
    # CSV with a byte-order mark: Excel then reads it as UTF-8 (Cyrillic intact); import strips it.
    to_encoding = "utf-8-sig"

    def has_import_permission(self, request):
        return self.role_allows(request, IMPORT)  # config/roles.py

    def _log_actions(self, result, request):
        """History entries in Django's structured form ("Changed text (Kazakh)."), translated when the History
        page is read, instead of django-import-export's English "update through import_export"."""
        flags = {RowResult.IMPORT_TYPE_NEW: ADDITION, RowResult.IMPORT_TYPE_UPDATE: CHANGE}
        for row in result:
            if row.import_type not in flags or row.instance is None:
                continue
            if row.import_type == RowResult.IMPORT_TYPE_NEW:
                message = [{"added": {}}]
            else:
                with translation.override(None):  # field names as msgids, as Django's own entries store them
                    fields = [
                        str(field.verbose_name) for field in row.instance._meta.concrete_fields
                        if row.original is not None and not field.generated
                        and getattr(row.original, field.attname) != getattr(row.instance, field.attname)
                        and field.editable
                    ]
                message = [{"changed": {"fields": fields}}]
            LogEntry.objects.log_actions(
                request.user.pk, [row.instance], flags[row.import_type], change_message=message, single_object=True
            )

    def has_export_permission(self, request):
        return self.has_view_permission(request)
