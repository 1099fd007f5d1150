"""GOSO over REST: everyone authenticated reads; methodologists create, update and deactivate
(through curriculum.services; roles: config/roles.py)."""

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.generics import get_object_or_404
from rest_framework.response import Response

from apikit.views import ApiViewSet
from config.history import ADDITION, history_record, history_record_change, snapshot
from config.roles import CHANGE, VIEW
from curriculum.api import filters, serializers
from curriculum.external import crosswalk_create, crosswalk_delete, crosswalk_update
from curriculum.models import Crosswalk, Framework, LearningOutcome, Section, Subject, Subsection
from curriculum.selectors import framework_structure, learning_outcome_list
from curriculum.services import goso_item_create, goso_item_deactivate, goso_item_update
from curriculum.versions import version_compare


class GosoViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin, mixins.UpdateModelMixin,
    ApiViewSet,
):
    """Reference data: no DELETE (items are deactivated) and no PUT (PATCH changes what is sent)."""

    role_actions = {"deactivate": CHANGE, "structure": VIEW}  # who may: config/roles.py
    http_method_names = ["get", "post", "patch", "head", "options"]

    # Changes through the API appear in the admin's History like the admin's own (config/history.py).
    def perform_create(self, serializer):
        serializer.instance = goso_item_create(model=self.get_queryset().model, **serializer.validated_data)
        history_record(user=self.request.user, obj=serializer.instance, action=ADDITION)

    def perform_update(self, serializer):
        before = snapshot(serializer.instance)
        serializer.instance = goso_item_update(item=serializer.instance, **serializer.validated_data)
        history_record_change(user=self.request.user, obj=serializer.instance, before=before)

    @extend_schema(request=None, summary=_("Deactivate (never deletes; PATCH is_active=true restores)"))
    @action(detail=True, methods=["post"])
    def deactivate(self, request, pk=None):
        item = self.get_object()
        before = snapshot(item)
        item = goso_item_deactivate(item=item)
        history_record_change(user=request.user, obj=item, before=before)
        return Response(self.get_serializer(item).data)


@extend_schema_view(
    list=extend_schema(summary=_("Subjects")),
)
class SubjectViewSet(GosoViewSet):
    queryset = Subject.objects.order_by("name_ru", "id")
    serializer_class = serializers.SubjectSerializer
    filterset_class = filters.SubjectFilter


@extend_schema_view(
    list=extend_schema(summary=_("Frameworks (one version of a subject's model curriculum)")),
)
class FrameworkViewSet(GosoViewSet):
    queryset = Framework.objects.filter(deleted_at__isnull=True).order_by("subject_id", "code")
    serializer_class = serializers.FrameworkSerializer
    filterset_class = filters.FrameworkFilter
    role_actions = {**GosoViewSet.role_actions, "compare": VIEW}

    @extend_schema(
        parameters=[OpenApiParameter(
            "with", int, required=True, description=_("The id of another version of the same framework."),
        )],
        responses=serializers.VersionComparisonSerializer,
        summary=_("Compare two versions of a framework: outcomes added, removed, changed and renumbered"),
    )
    @action(detail=True, methods=["get"], filter_backends=[], pagination_class=None)
    def compare(self, request, pk=None):
        framework = self.get_object()
        other = request.query_params.get("with", "")
        if not other.isdigit():
            raise ValidationError({"with": [_("Give the id of another version of this framework.")]})
        comparison = version_compare(old=framework, new=get_object_or_404(self.get_queryset(), pk=int(other)))
        return Response(serializers.VersionComparisonSerializer(comparison).data)

    @extend_schema(
        responses=serializers.FrameworkStructureSerializer,
        summary=_("The whole framework: sections -> subsections -> outcomes, in code order"),
    )
    @action(detail=True, methods=["get"], filter_backends=[], pagination_class=None)
    def structure(self, request, pk=None):
        framework = get_object_or_404(framework_structure(frameworks=self.get_queryset()), pk=pk)
        return Response(serializers.FrameworkStructureSerializer(framework).data)


class SectionViewSet(GosoViewSet):
    queryset = Section.objects.order_by("framework_id", "code_sort")
    serializer_class = serializers.SectionSerializer
    filterset_class = filters.SectionFilter


class SubsectionViewSet(GosoViewSet):
    queryset = Subsection.objects.select_related("section").order_by("section__framework_id", "code_sort")
    serializer_class = serializers.SubsectionSerializer
    filterset_class = filters.SubsectionFilter


@extend_schema_view(
    list=extend_schema(summary=_("Learning outcomes, filtered")),
    retrieve=extend_schema(summary=_("A learning outcome with its framework, section and subsection")),
)
class LearningOutcomeViewSet(GosoViewSet):
    queryset = learning_outcome_list(outcomes=LearningOutcome.objects.select_related("subsection"))
    filterset_class = filters.LearningOutcomeFilter

    def get_queryset(self):
        outcomes = super().get_queryset()
        if self.action == "retrieve":
            return outcomes.select_related("framework", "subsection__section")
        return outcomes

    def get_serializer_class(self):
        if self.action == "retrieve":
            return serializers.LearningOutcomeDetailSerializer
        return serializers.LearningOutcomeSerializer


@extend_schema_view(
    list=extend_schema(summary=_("Crosswalks: GOSO outcomes linked to items of external CASE frameworks")),
)
class CrosswalkViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin, mixins.UpdateModelMixin,
    mixins.DestroyModelMixin, ApiViewSet,
):
    queryset = Crosswalk.objects.select_related("external_item").order_by("outcome_id", "external_item_id", "id")
    serializer_class = serializers.CrosswalkSerializer
    filterset_class = filters.CrosswalkFilter
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]

    def perform_create(self, serializer):
        serializer.instance = crosswalk_create(**serializer.validated_data)

    def perform_update(self, serializer):
        serializer.instance = crosswalk_update(crosswalk=serializer.instance, **serializer.validated_data)

    def perform_destroy(self, instance):
        crosswalk_delete(crosswalk=instance)
