"""Fork updates over REST: the three-way review of a school's copy and applying decisions on it, thin
views over textbooks/fork_updates.py. The copy is looked up in what the caller's context may see
(another school's copy is a 404); applying is changing the copy (config/roles.py ROLE_ACTIONS:
"change" on textbooks.textbook, own school only)."""

from django.core.exceptions import ValidationError as DjangoValidationError
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import exceptions, serializers
from rest_framework.response import Response

from apikit.errors import ErrorSerializer
from apikit.schema import ERROR_DESCRIPTIONS
from apikit.views import ApiView
from textbooks import selectors
from textbooks.fork_updates import OURS, THEIRS, Status, fork_update_apply, fork_update_review, item_key

INVALID = OpenApiResponse(ErrorSerializer, description=ERROR_DESCRIPTIONS["400"])
NOT_VISIBLE = OpenApiResponse(ErrorSerializer, description=ERROR_DESCRIPTIONS["404"])

SIDE_HELP = _(
    "Chapter: title, description, sort_order. Paragraph: its text fields, key_terms, questions, sort_order, "
    "alignments {outcome id: {confidence, anchor, notes}} and external_alignments {external item id: {confidence, "
    "notes}}. Null: this side does not have it."
)


class ReviewItemSerializer(serializers.Serializer):
    key = serializers.CharField(help_text=_("“3” for chapter 3, “3.2” for its paragraph 2."))
    chapter_number = serializers.IntegerField()
    paragraph_number = serializers.IntegerField(allow_null=True, help_text=_("Null: the chapter itself."))
    title = serializers.CharField()
    status = serializers.ChoiceField(choices=Status.choices)
    pending = serializers.BooleanField(help_text=_("A change of the global textbook waiting for a decision."))
    conflict = serializers.BooleanField(help_text=_("Changed in the copy too: only an explicit decision resolves it."))
    upstream_fields = serializers.ListField(child=serializers.CharField(), help_text=_("Changed in the global textbook since the copy."))
    local_fields = serializers.ListField(child=serializers.CharField(), help_text=_("Changed in the copy since."))
    base = serializers.JSONField(allow_null=True, help_text=SIDE_HELP)
    theirs = serializers.JSONField(allow_null=True, help_text=SIDE_HELP)
    ours = serializers.JSONField(allow_null=True, help_text=SIDE_HELP)


class ForkReviewSerializer(serializers.Serializer):
    textbook = serializers.IntegerField(source="fork.pk")
    source = serializers.IntegerField(source="source.pk")
    copied_version = serializers.IntegerField(source="fork.source_version", allow_null=True)
    source_version = serializers.IntegerField(source="source.version")
    base_known = serializers.BooleanField(help_text=_("False for a copy made before copied versions were recorded: every difference is a conflict."))
    update_available = serializers.BooleanField(source="available")
    items = ReviewItemSerializer(many=True, source="changes", help_text=_("Every chapter and paragraph that differs somewhere."))


class DecisionSerializer(serializers.Serializer):
    chapter = serializers.IntegerField(min_value=0)
    paragraph = serializers.IntegerField(min_value=0, required=False, allow_null=True, help_text=_("Omitted or null: the chapter itself."))
    take = serializers.ChoiceField(choices=[(THEIRS, _("the global version")), (OURS, _("this copy's version"))])


class ApplySerializer(serializers.Serializer):
    decisions = DecisionSerializer(many=True, required=False, default=list, max_length=10000)
    take_all_non_conflicting = serializers.BooleanField(required=False, default=False)
    mark_reviewed = serializers.BooleanField(
        required=False, default=False,
        help_text=_("Keep the copy's version of everything left undecided; every conflict must be decided."),
    )
    source_version = serializers.IntegerField(
        required=False, allow_null=True, min_value=1,
        help_text=_("The global version the decisions were made on: if it moved meanwhile, nothing is applied."),
    )


class ApplyReportSerializer(serializers.Serializer):
    taken = serializers.IntegerField()
    kept = serializers.IntegerField()
    pending = serializers.IntegerField()
    reviewed = serializers.BooleanField(help_text=_("The copy's base is the global textbook's current version."))


class _ForkUpdateView(ApiView):
    role_model = "textbooks.textbook"

    def copy(self, textbook_id):
        fork = get_object_or_404(selectors.textbook_list(context=self.tenant_context), pk=textbook_id)
        self.check_object_permissions(self.request, fork)
        return fork


class ForkReviewView(_ForkUpdateView):
    """Per chapter and paragraph of a school's copy: the version it copied (base), the global
    textbook now (theirs) and the copy now (ours), with a status; unchanged ones are left out."""

    @extend_schema(
        tags=["textbooks"], summary=_("The pending update of a school's copy, three-way"),
        responses={200: ForkReviewSerializer, 404: NOT_VISIBLE},
    )
    def get(self, request, textbook_id):
        review = fork_update_review(fork=self.copy(textbook_id))
        if review is None:
            raise exceptions.NotFound(_("This textbook is not a copy of a global textbook."))
        return Response(ForkReviewSerializer(review).data)


class ForkApplyView(_ForkUpdateView):
    """Take changes of the global textbook over into the copy (or keep the copy's version), in one
    transaction."""

    @extend_schema(
        tags=["textbooks"], summary=_("Apply decisions on the pending update of a school's copy"),
        request=ApplySerializer, responses={200: ApplyReportSerializer, 400: INVALID, 404: NOT_VISIBLE},
    )
    def post(self, request, textbook_id):
        fork = self.copy(textbook_id)
        body = ApplySerializer(data=request.data)
        body.is_valid(raise_exception=True)
        options = body.validated_data
        decisions = {item_key(item["chapter"], item.get("paragraph")): item["take"] for item in options["decisions"]}
        if len(decisions) != len(options["decisions"]):
            raise exceptions.ValidationError({"decisions": [_("The same chapter or paragraph is decided twice.")]})
        try:
            report = fork_update_apply(
                fork=fork, decisions=decisions, take_all_non_conflicting=options["take_all_non_conflicting"],
                mark_reviewed=options["mark_reviewed"], source_version=options.get("source_version"),
            )
        except DjangoValidationError as refusal:
            if refusal.code == "not_a_copy":
                raise exceptions.ValidationError(refusal.messages) from refusal
            field = "source_version" if refusal.code == "source_changed" else "decisions"
            raise exceptions.ValidationError({field: refusal.messages}) from refusal
        return Response(ApplyReportSerializer(report).data)
