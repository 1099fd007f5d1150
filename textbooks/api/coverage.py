"""Coverage reports (JSON, CSV, XLSX) and fork update information over REST: thin views over
textbooks/coverage.py and textbooks/versions.py. The textbook is looked up in what the caller's
context may see; another school's textbook is a 404."""

from django.http import HttpResponse
from django.shortcuts import get_object_or_404
from django.utils.http import content_disposition_header
from django.utils.text import slugify
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import exceptions, serializers
from rest_framework.response import Response

from apikit.errors import ErrorSerializer
from apikit.fields import IdField
from apikit.schema import ERROR_DESCRIPTIONS
from apikit.views import ApiView
from curriculum.codes import MAX_GRADE, MIN_GRADE, grade_error
from textbooks import selectors
from textbooks.coverage import coverage_csv, coverage_xlsx, textbook_coverage
from textbooks.models import Textbook
from textbooks.versions import fork_update_info

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
INVALID = OpenApiResponse(ErrorSerializer, description=ERROR_DESCRIPTIONS["400"])

COVERAGE_PARAMETERS = [
    OpenApiParameter(
        "framework", {"type": "integer", "minimum": 1, "maximum": 2**63 - 1},
        description=_("Framework id (default: the one in force for the grades)."),
    ),
    OpenApiParameter(
        "grades", {"type": "array", "items": {"type": "integer", "minimum": MIN_GRADE, "maximum": MAX_GRADE}},
        explode=False,
        description=_("Grades, comma-separated (default: the textbook's grade)."),
    ),
    OpenApiParameter("min_confidence", {"type": "number", "minimum": 0, "maximum": 1}, description=_("Alignments below this confidence (0-1) do not count.")),
]


class CoverageQuerySerializer(serializers.Serializer):
    framework = IdField(required=False)
    grades = serializers.CharField(required=False, allow_blank=True)
    min_confidence = serializers.DecimalField(max_digits=None, decimal_places=None, min_value=0, max_value=1, required=False)

    def validate_grades(self, value):
        items = [item.strip() for item in value.split(",") if item.strip()]
        grades = [int(item) if item.isascii() and item.isdigit() else item for item in items]
        for grade in grades:
            if error := grade_error(grade):  # the one grade rule and message (curriculum/codes.py)
                raise serializers.ValidationError(error)
        return grades


class ParagraphRefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    chapter_number = serializers.IntegerField()
    number = serializers.IntegerField()
    title = serializers.CharField()


class TeachingSerializer(serializers.Serializer):
    paragraph = ParagraphRefSerializer()
    confidence = serializers.FloatField()


class OutcomeCoverageSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    code = serializers.CharField()
    grade = serializers.IntegerField()
    title_ru = serializers.CharField()
    title_kz = serializers.CharField()
    covered = serializers.BooleanField()
    best_confidence = serializers.FloatField(allow_null=True)
    taught_by = TeachingSerializer(many=True)


class TallySerializer(serializers.Serializer):
    outcomes_total = serializers.IntegerField()
    outcomes_covered = serializers.IntegerField()
    covered_share = serializers.FloatField(allow_null=True, help_text=_("Covered outcomes / outcomes, 0-1; null without outcomes."))


class SubsectionCoverageSerializer(TallySerializer):
    id = serializers.IntegerField()
    code = serializers.CharField()
    name_ru = serializers.CharField()
    name_kz = serializers.CharField()
    outcomes = OutcomeCoverageSerializer(many=True)


class SectionCoverageSerializer(TallySerializer):
    id = serializers.IntegerField()
    code = serializers.CharField()
    name_ru = serializers.CharField()
    name_kz = serializers.CharField()
    subsections = SubsectionCoverageSerializer(many=True)


class CoverageSerializer(TallySerializer):
    textbook = serializers.IntegerField(source="textbook.pk")
    framework = serializers.IntegerField(source="framework.pk")
    framework_code = serializers.CharField(source="framework.code")
    grades = serializers.ListField(child=serializers.IntegerField())
    min_confidence = serializers.FloatField(allow_null=True)
    paragraphs_total = serializers.IntegerField()
    unaligned_paragraphs = ParagraphRefSerializer(
        many=True, help_text=_("Paragraphs aligned to none of the report's outcomes.")
    )
    sections = SectionCoverageSerializer(many=True)


class CoverageView(ApiView):
    role_model = "textbooks.textbook"  # reading a textbook's coverage is viewing it (config/roles.py)
    """Per section and subsection: the outcomes the textbook's paragraphs teach (with confidence) and
    those no paragraph teaches; the paragraphs aligned to none of them; covered shares."""

    export = None  # None: JSON; "csv" or "xlsx": a file

    def coverage(self, request, textbook_id):
        query = CoverageQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        options = query.validated_data
        try:
            return textbook_coverage(
                context=self.tenant_context, textbook_id=textbook_id, framework_id=options.get("framework"),
                grades=options.get("grades"), min_confidence=options.get("min_confidence"),
            )
        except Textbook.DoesNotExist as missing:
            raise exceptions.NotFound() from missing

    def get(self, request, textbook_id):
        coverage = self.coverage(request, textbook_id)
        if self.export is None:
            return Response(CoverageSerializer(coverage).data)
        if self.export == "csv":
            # With a byte-order mark spreadsheet programs read the UTF-8 (Cyrillic) text correctly.
            response = HttpResponse(coverage_csv(coverage).encode("utf-8-sig"), content_type="text/csv; charset=utf-8")
        else:
            response = HttpResponse(coverage_xlsx(coverage), content_type=XLSX)
        name = f"coverage-{slugify(coverage.textbook.title, allow_unicode=True)}-{coverage.framework.code}.{self.export}"
        response["Content-Disposition"] = content_disposition_header(True, name)
        return response


coverage_json = extend_schema(
    tags=["textbooks"], summary=_("Coverage of a textbook against a framework: covered and missing outcomes"),
    parameters=COVERAGE_PARAMETERS, responses={200: CoverageSerializer, 400: INVALID},
)(CoverageView).as_view()


def _download(export, media_type, summary):
    view = type(f"Coverage{export.title()}View", (CoverageView,), {"export": export})
    return extend_schema(
        tags=["textbooks"], summary=summary, parameters=COVERAGE_PARAMETERS,
        responses={(200, media_type): OpenApiTypes.BINARY, 400: INVALID},
    )(view).as_view()


coverage_download_csv = _download("csv", "text/csv", _("Coverage report as CSV (one row per outcome)"))
coverage_download_xlsx = _download("xlsx", XLSX, _("Coverage report as XLSX (sections, outcomes, unaligned paragraphs)"))


class ContentChangeSerializer(serializers.Serializer):
    chapter_number = serializers.IntegerField()
    paragraph_number = serializers.IntegerField(allow_null=True, help_text=_("Null: the chapter itself."))
    title = serializers.CharField()
    changed_fields = serializers.ListField(
        source="fields", child=serializers.CharField(), help_text=_("For a change: the fields that differ.")
    )


class ForkUpdateSerializer(serializers.Serializer):
    textbook = serializers.IntegerField(source="fork.pk")
    source = serializers.IntegerField(source="source.pk")
    copied_version = serializers.IntegerField(source="fork.source_version", allow_null=True)
    source_version = serializers.IntegerField(source="source.version")
    update_available = serializers.BooleanField(source="available")
    added = ContentChangeSerializer(many=True)
    changed = ContentChangeSerializer(many=True)
    removed = ContentChangeSerializer(many=True)


@extend_schema(
    tags=["textbooks"], summary=_("Whether the global textbook a copy was made from changed since, and how"),
    responses={200: ForkUpdateSerializer},
)
class ForkUpdateView(ApiView):
    role_model = "textbooks.textbook"
    """For a school's copy of a global textbook: whether the global textbook's version is newer than
    the one copied and, if so, its chapters and paragraphs (matched by number) added, changed and
    removed compared with the copy."""

    def get(self, request, textbook_id):
        fork = get_object_or_404(selectors.textbook_list(context=self.tenant_context), pk=textbook_id)
        update = fork_update_info(fork=fork)
        if update is None:
            raise exceptions.NotFound(_("This textbook is not a copy of a global textbook."))
        return Response(ForkUpdateSerializer(update).data)
