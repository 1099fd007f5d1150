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
from django.utils.translation import gettext as _
from import_export import fields, resources, widgets
from import_export.admin import ImportExportMixin
from import_export.formats import base_formats

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
    """A framework by its code, or a section / subsection by its code within the row's framework."""

    def __init__(self, model, *, framework_lookup=None):
        super().__init__(model, field="code")
        self.framework_lookup = framework_lookup

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


def text_field(name):
    return fields.Field(attribute=name, column_name=name, widget=TextWidget())


def number_field(name, default=None):
    return fields.Field(attribute=name, column_name=name, widget=WholeNumberWidget(), default=default)


class GosoResource(resources.ModelResource):
    """Rows matched by (framework code, code); the rules shared with the JSON import."""

    framework_lookup = "framework__code"  # how a row of this model names its framework
    required_columns = ("framework", "code")

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

    def before_import_row(self, row, **kwargs):
        key = (str(row.get("framework") or ""), str(row.get("code") or ""))
        number = kwargs.get("row_number")
        if key[1] and key in self._rows_by_key:
            raise ValidationError(_('duplicate code "%(code)s" in framework %(framework)s (already in row %(row)s)') % {
                "code": key[1], "framework": key[0], "row": self._rows_by_key[key],
            })
        self._rows_by_key[key] = number

    def after_import(self, dataset, result, **kwargs):
        # django-import-export resets the id sequence here for files that carry ids; ours never do,
        # and the runtime role may not set a sequence.
        pass

    def get_instance(self, instance_loader, row):
        framework, code = row.get("framework"), row.get("code")
        if not framework or not code or isinstance(code, float):
            return None
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

    framework = fields.Field(attribute="framework", column_name="framework", widget=CodeReferenceWidget(Framework))
    subsection = fields.Field(
        attribute="subsection", column_name="subsection",
        widget=CodeReferenceWidget(Subsection, framework_lookup="section__framework__code"),
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

    def has_export_permission(self, request):
        return self.has_view_permission(request)
