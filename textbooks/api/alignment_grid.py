"""Alignment in bulk over REST: many cells of a textbook's paragraphs x outcomes grid set in one
call and one transaction (textbooks/alignment_grid.py, the same service as the admin's grid page)."""

from django.shortcuts import get_object_or_404
from django.utils.translation import gettext, gettext_lazy as _
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.response import Response

from apikit.errors import ErrorSerializer
from apikit.fields import IdField
from apikit.schema import ERROR_DESCRIPTIONS
from apikit.views import ApiViewSet
from config.roles import ALIGN
from textbooks import selectors
from textbooks.alignment_grid import alignments_bulk_set
from textbooks.api.serializers import confidence_field
from textbooks.models import ParagraphOutcome

MAX_CELLS = 10_000


class CellSerializer(serializers.Serializer):
    paragraph = IdField(help_text=_("Id of a paragraph of the textbook."))
    outcome = IdField(help_text=_("Learning outcome id (of the textbook's subject)."))
    aligned = serializers.BooleanField(help_text=_("true: aligned (added, or its confidence set); false: not aligned (removed)."))
    confidence = confidence_field(required=False)


class BulkAlignSerializer(serializers.Serializer):
    cells = CellSerializer(
        many=True, allow_empty=False, max_length=MAX_CELLS,
        help_text=_("The cells to set; other alignments of the textbook are left as they are."),
    )


class BulkAlignResultSerializer(serializers.Serializer):
    added = serializers.IntegerField()
    changed = serializers.IntegerField()
    removed = serializers.IntegerField()
    message = serializers.CharField(help_text=_("The same counts as a sentence."))


@extend_schema(
    tags=["textbooks"], request=BulkAlignSerializer,
    responses={
        200: BulkAlignResultSerializer,
        400: OpenApiResponse(ErrorSerializer, description=ERROR_DESCRIPTIONS["400"]),
        403: OpenApiResponse(ErrorSerializer, description=ERROR_DESCRIPTIONS["403"]),
        404: OpenApiResponse(ErrorSerializer, description=ERROR_DESCRIPTIONS["404"]),
    },
    summary=_("Set many paragraph x outcome alignments of your school's textbook in one transaction"),
)
class BulkAlignViewSet(ApiViewSet):
    role_model = "textbooks.paragraph"
    role_actions = {"bulk_set": ALIGN}  # aligning paragraphs (config/roles.py): teachers may too
    queryset = ParagraphOutcome.objects.none()  # the model, for OpenAPI generation
    serializer_class = BulkAlignSerializer
    filter_backends = []

    def bulk_set(self, request, textbook_id):
        textbook = get_object_or_404(selectors.textbook_list(context=self.tenant_context), pk=textbook_id)
        body = BulkAlignSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        cells = [
            (cell["paragraph"], cell["outcome"], cell.get("confidence", 1) if cell["aligned"] else None)
            for cell in body.validated_data["cells"]
        ]
        result = alignments_bulk_set(textbook=textbook, cells=cells, created_by=request.user)
        return Response({
            "added": result.added, "changed": result.changed, "removed": result.removed,
            "message": gettext("Alignments saved: %(summary)s") % {"summary": result.summary()},
        })


bulk_align = BulkAlignViewSet.as_view({"post": "bulk_set"})
