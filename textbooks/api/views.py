"""Textbooks and alignments over REST.

Every query starts from what the caller's context may see (textbooks.selectors); an id in a body or
a query string only narrows that. Another school's row is a 404 (its existence must not leak), a
global row a school may read but not change is a 403. Writes go through textbooks.services.
"""

import copy

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, status
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.generics import get_object_or_404
from rest_framework.response import Response

from apikit.errors import ErrorSerializer
from apikit.pagination import KeysetPagination
from apikit.schema import ERROR_DESCRIPTIONS
from apikit.views import ApiViewSet
from config.history import ADDITION, CHANGE, DELETION, history_record, history_record_change, set_change, snapshot
from config.roles import ALIGN, FORK
from curriculum.models import LearningOutcome
from textbooks import selectors, services
from textbooks.api import filters, serializers
from textbooks.models import ParagraphOutcome

NOT_VISIBLE = OpenApiResponse(ErrorSerializer, description=ERROR_DESCRIPTIONS["404"])


@extend_schema_view(list=extend_schema(summary=_("Textbooks you can see: global ones and your school's")))
class TextbookViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ApiViewSet):
    role_actions = {"fork": FORK}  # who may: config/roles.py
    serializer_class = serializers.TextbookSerializer
    filterset_class = filters.TextbookFilter

    def visible_rows(self, *, context):
        return selectors.textbook_list(context=context)

    def paginate_queryset(self, queryset):
        # The same rows, filters and order, paged at a cost that follows the school (selectors.SchoolPages).
        if self.paginator is not None and self.action == "list":
            queryset = selectors.textbook_pages(context=self.tenant_context, narrow=self.filter_queryset)
        return super().paginate_queryset(queryset)

    @extend_schema(
        request=serializers.TextbookForkSerializer,
        responses={201: serializers.TextbookSerializer},
        summary=_("Copy a global textbook (chapters, paragraphs, alignments) into a school"),
    )
    @action(detail=True, methods=["post"], filter_backends=[])
    def fork(self, request, pk=None):
        textbook = self.get_object()
        options = serializers.TextbookForkSerializer(data=request.data)
        options.is_valid(raise_exception=True)
        school = options.validated_data.get("school") or request.user.school
        if school is None:
            raise ValidationError({"school": [_("Methodologists name the school to copy into.")]})
        fork = services.textbook_fork(textbook=textbook, school=school)
        return Response(serializers.TextbookSerializer(fork).data, status=status.HTTP_201_CREATED)


class ChapterViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ApiViewSet):
    serializer_class = serializers.ChapterSerializer
    filterset_class = filters.ChapterFilter

    def visible_rows(self, *, context):
        return selectors.chapter_list(context=context)


class ParagraphViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ApiViewSet):
    serializer_class = serializers.ParagraphSerializer
    filterset_class = filters.ParagraphFilter

    def visible_rows(self, *, context):
        return selectors.paragraph_list(context=context)


class ParagraphOutcomesViewSet(mixins.ListModelMixin, ApiViewSet):
    """/paragraphs/{paragraph_id}/outcomes/: GET lists, PUT replaces."""

    role_model = "textbooks.paragraph"
    role_actions = {"replace": ALIGN}
    queryset = ParagraphOutcome.objects.none()  # the model, for OpenAPI generation
    serializer_class = serializers.ParagraphOutcomeSerializer
    filter_backends = []

    def get_object(self):
        """The paragraph the URL names (404 unless visible to the caller)."""
        paragraph = get_object_or_404(selectors.paragraph_list(context=self.tenant_context), pk=self.kwargs["paragraph_id"])
        self.check_object_permissions(self.request, paragraph)
        return paragraph

    def visible_rows(self, *, context):
        return selectors.paragraph_alignments(context=context, paragraph=self.get_object())

    @extend_schema(summary=_("A paragraph's learning outcomes"))
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)

    @extend_schema(
        request=serializers.AlignmentsReplaceSerializer,
        responses=serializers.ParagraphAlignmentsSerializer,
        summary=_("Replace a paragraph's whole set of alignments in one call"),
    )
    def replace(self, request, paragraph_id):
        paragraph = self.get_object()
        body = serializers.AlignmentsReplaceSerializer(data=request.data, context={"paragraph": paragraph})
        body.is_valid(raise_exception=True)
        before = [alignment.outcome.code for alignment in selectors.paragraph_alignments(context=self.tenant_context, paragraph=paragraph)]
        services.alignments_replace(paragraph=paragraph, items=body.validated_data["alignments"], created_by=request.user)
        alignments = selectors.paragraph_alignments(context=self.tenant_context, paragraph=paragraph)
        # The paragraph's History shows the set of outcome codes before and after.
        after = [item["outcome"].code for item in body.validated_data["alignments"]]
        if values := set_change(name="learning outcomes", before=before, after=after):
            history_record(user=request.user, obj=paragraph, action=CHANGE, values=values)
        return Response(serializers.ParagraphAlignmentsSerializer({"alignments": alignments}).data)


@extend_schema_view(list=extend_schema(summary=_("The paragraphs teaching a learning outcome (your textbooks and global ones)")))
class OutcomeParagraphsViewSet(mixins.ListModelMixin, ApiViewSet):
    role_model = "textbooks.paragraphoutcome"
    queryset = ParagraphOutcome.objects.none()  # the model, for OpenAPI generation
    serializer_class = serializers.OutcomeParagraphSerializer
    filter_backends = []

    def visible_rows(self, *, context):
        outcome = get_object_or_404(LearningOutcome.objects.all(), pk=self.kwargs["outcome_id"])
        return selectors.outcome_alignment_pages(context=context, outcome=outcome)


class AlignmentPagination(KeysetPagination):
    ordering = selectors.ALIGNMENT_ORDER


@extend_schema_view(
    create=extend_schema(
        request=serializers.AlignmentCreateSerializer,
        responses={201: serializers.AlignmentSerializer, 404: NOT_VISIBLE},
        summary=_("Align a paragraph of your school's textbook to a learning outcome"),
    ),
    partial_update=extend_schema(request=serializers.AlignmentUpdateSerializer),
)
class AlignmentViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.DestroyModelMixin, ApiViewSet
):
    serializer_class = serializers.AlignmentSerializer
    filterset_class = filters.AlignmentFilter
    pagination_class = AlignmentPagination  # links are keyset cursors: a deep page costs the first page's
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]

    def visible_rows(self, *, context):
        return selectors.alignment_list(context=context)

    def paginate_queryset(self, queryset):
        # The same rows, filters and order, paged at a cost that follows the school (selectors.AlignmentPages),
        # by page number or from a cursor.
        if self.paginator is not None:
            queryset = selectors.alignment_pages(context=self.tenant_context, narrow=self.filter_queryset)
        return super().paginate_queryset(queryset)

    def create(self, request):
        body = serializers.AlignmentCreateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        fields = dict(body.validated_data)
        # With its textbook: the alignment's check compares the textbook's subject with the outcome's.
        paragraph = get_object_or_404(
            selectors.paragraph_list(context=self.tenant_context).select_related("chapter__textbook"), pk=fields.pop("paragraph")
        )
        alignment = services.alignment_create(paragraph=paragraph, created_by=request.user, **fields)
        alignment.school_id = paragraph.school_id  # what the database copies from the paragraph (trigger)
        history_record(user=request.user, obj=alignment, action=ADDITION)  # the admin's History shows it
        return Response(self.get_serializer(alignment).data, status=status.HTTP_201_CREATED)

    def partial_update(self, request, pk=None):
        alignment = self.get_object()
        body = serializers.AlignmentUpdateSerializer(data=request.data, partial=True)
        body.is_valid(raise_exception=True)
        before = snapshot(alignment)
        alignment = services.alignment_update(alignment=alignment, **body.validated_data)
        history_record_change(user=request.user, obj=alignment, before=before)
        return Response(self.get_serializer(alignment).data)

    def perform_destroy(self, instance):
        deleted = copy.copy(instance)  # its id and name for the log, once the row is gone
        services.alignment_delete(alignment=instance)
        history_record(user=self.request.user, obj=deleted, action=DELETION)
