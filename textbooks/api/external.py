"""Alignments to external frameworks' items and coverage against an external framework, over REST:
thin views over textbooks/external_alignments.py and textbooks/external_coverage.py, with the same
rules as the GOSO alignments (textbooks/api/views.py): another school's row is a 404, a global row a
school may read but not change is a 403."""

import django_filters
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import exceptions, mixins, serializers, status
from rest_framework.generics import get_object_or_404
from rest_framework.response import Response

from apikit.errors import ErrorSerializer
from apikit.fields import IdField, IdRelatedField, ModelSerializer
from apikit.filters import IntegerFilter
from apikit.schema import ERROR_DESCRIPTIONS
from apikit.views import ApiView, ApiViewSet
from curriculum.models import ExternalItem
from textbooks import external_alignments, selectors
from textbooks.api.coverage import ParagraphRefSerializer, TeachingSerializer
from textbooks.api.serializers import confidence_field
from textbooks.external_coverage import textbook_external_coverage
from textbooks.models import ExternalAlignment, Textbook

NOT_VISIBLE = OpenApiResponse(ErrorSerializer, description=ERROR_DESCRIPTIONS["404"])
INVALID = OpenApiResponse(ErrorSerializer, description=ERROR_DESCRIPTIONS["400"])


class ExternalItemBriefSerializer(ModelSerializer):
    class Meta:
        model = ExternalItem
        fields = ["id", "framework", "identifier", "human_coding_scheme", "full_statement", "is_deprecated"]


class ExternalAlignmentSerializer(ModelSerializer):
    confidence = confidence_field(read_only=True)
    external_item = ExternalItemBriefSerializer(read_only=True)

    class Meta:
        model = ExternalAlignment
        fields = ["id", "paragraph", "external_item", "school", "confidence", "notes", "created_by", "created_at"]
        read_only_fields = fields


class ExternalAlignmentUpdateSerializer(serializers.Serializer):
    confidence = confidence_field(required=False)
    notes = serializers.CharField(
        max_length=ExternalAlignment._meta.get_field("notes").max_length, required=False, allow_blank=True,
    )


class ExternalAlignmentCreateSerializer(ExternalAlignmentUpdateSerializer):
    paragraph = IdField(help_text=_("Id of a paragraph of your own school's textbook."))
    external_item = IdRelatedField(queryset=ExternalItem.objects.all(), help_text=_("External item id."))


class ExternalAlignmentFilter(django_filters.FilterSet):
    paragraph = IntegerFilter(field_name="paragraph_id", help_text=_("Paragraph id."))
    textbook = IntegerFilter(field_name="paragraph__chapter__textbook_id", help_text=_("Textbook id."))
    external_item = IntegerFilter(field_name="external_item_id", help_text=_("External item id."))
    framework = IntegerFilter(field_name="external_item__framework_id", help_text=_("External framework id."))

    class Meta:
        model = ExternalAlignment
        fields = ["paragraph", "textbook", "external_item", "framework"]


@extend_schema_view(
    list=extend_schema(summary=_("Alignments of paragraphs to external frameworks' items (yours and global ones)")),
    create=extend_schema(
        request=ExternalAlignmentCreateSerializer,
        responses={201: ExternalAlignmentSerializer, 404: NOT_VISIBLE},
        summary=_("Align a paragraph of your school's textbook to an item of an external framework"),
    ),
    partial_update=extend_schema(request=ExternalAlignmentUpdateSerializer),
)
class ExternalAlignmentViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.DestroyModelMixin, ApiViewSet):
    serializer_class = ExternalAlignmentSerializer
    filterset_class = ExternalAlignmentFilter
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]

    def visible_rows(self, *, context):
        return external_alignments.external_alignment_list(context=context)

    def create(self, request):
        body = ExternalAlignmentCreateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        fields = dict(body.validated_data)
        paragraph = get_object_or_404(selectors.paragraph_list(context=self.tenant_context), pk=fields.pop("paragraph"))
        alignment = external_alignments.external_alignment_create(paragraph=paragraph, created_by=request.user, **fields)
        alignment = self.visible_rows(context=self.tenant_context).get(pk=alignment.pk)  # with the school the database copied
        return Response(self.get_serializer(alignment).data, status=status.HTTP_201_CREATED)

    def partial_update(self, request, pk=None):
        alignment = self.get_object()
        body = ExternalAlignmentUpdateSerializer(data=request.data, partial=True)
        body.is_valid(raise_exception=True)
        alignment = external_alignments.external_alignment_update(alignment=alignment, **body.validated_data)
        return Response(self.get_serializer(alignment).data)

    def perform_destroy(self, instance):
        external_alignments.external_alignment_delete(alignment=instance)


# Coverage against an external framework

class ExternalCoverageQuerySerializer(serializers.Serializer):
    framework = IdField(help_text=_("External framework id."))
    min_confidence = serializers.DecimalField(max_digits=None, decimal_places=None, min_value=0, max_value=1, required=False)


class CrosswalkTeachingSerializer(serializers.Serializer):
    outcome_code = serializers.CharField()
    association_type = serializers.CharField()
    covers = serializers.BooleanField(help_text=_("Only an exact match covers the item."))
    paragraph = ParagraphRefSerializer(source="teaching.paragraph")
    confidence = serializers.FloatField(source="teaching.confidence")


class ItemCoverageSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    code = serializers.CharField()
    statement = serializers.CharField()
    depth = serializers.IntegerField()
    is_leaf = serializers.BooleanField(help_text=_("Only leaf items are counted; the others are headings."))
    covered = serializers.BooleanField()
    covered_directly = serializers.BooleanField()
    covered_through_crosswalk = serializers.BooleanField()
    taught_by = TeachingSerializer(many=True)
    through_crosswalks = CrosswalkTeachingSerializer(many=True)


class ExternalCoverageSerializer(serializers.Serializer):
    textbook = serializers.IntegerField(source="textbook.pk")
    framework = serializers.IntegerField(source="framework.pk")
    framework_identifier = serializers.UUIDField(source="framework.identifier")
    framework_title = serializers.CharField(source="framework.title")
    min_confidence = serializers.FloatField(allow_null=True)
    items_total = serializers.IntegerField()
    items_covered = serializers.IntegerField()
    items_covered_directly = serializers.IntegerField()
    covered_share = serializers.FloatField(allow_null=True)
    paragraphs_total = serializers.IntegerField()
    unaligned_paragraphs = ParagraphRefSerializer(many=True)
    items = ItemCoverageSerializer(many=True)


@extend_schema(
    tags=["textbooks"],
    summary=_("Coverage of a textbook against an external framework (directly or through GOSO crosswalks)"),
    parameters=[
        OpenApiParameter("framework", {"type": "integer", "minimum": 1, "maximum": 2**63 - 1}, required=True,
                         description=_("External framework id.")),
        OpenApiParameter("min_confidence", {"type": "number", "minimum": 0, "maximum": 1},
                         description=_("Alignments below this confidence (0-1) do not count.")),
    ],
    responses={200: ExternalCoverageSerializer, 400: INVALID, 404: NOT_VISIBLE},
)
class ExternalCoverageView(ApiView):
    role_model = "textbooks.textbook"  # reading a textbook's coverage is viewing it (config/roles.py)

    def get(self, request, textbook_id):
        query = ExternalCoverageQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        try:
            coverage = textbook_external_coverage(
                context=self.tenant_context, textbook_id=textbook_id, framework_id=query.validated_data["framework"],
                min_confidence=query.validated_data.get("min_confidence"),
            )
        except Textbook.DoesNotExist as missing:
            raise exceptions.NotFound() from missing
        return Response(ExternalCoverageSerializer(coverage).data)
