from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils.translation import gettext, gettext_lazy as _
from rest_framework import serializers

from apikit.fields import IdField, IdRelatedField, ModelSerializer
from curriculum.api.serializers import FrameworkVersionField, InLanguageField
from curriculum.models import LearningOutcome
from tenants.models import School
from textbooks.models import Chapter, Paragraph, ParagraphOutcome, Textbook


class TextbookSerializer(ModelSerializer):
    is_global = serializers.BooleanField(read_only=True, help_text=_("National content (no school)."))

    class Meta:
        model = Textbook
        fields = [
            "id", "school", "is_global", "subject", "title", "grade_level", "language", "author", "publisher", "year",
            "isbn", "version", "global_textbook", "source_version", "is_customized", "is_active",
        ]


class ChapterSerializer(ModelSerializer):
    class Meta:
        model = Chapter
        fields = ["id", "textbook", "school", "number", "title", "description", "sort_order"]


class ParagraphSerializer(ModelSerializer):
    textbook = serializers.IntegerField(source="chapter.textbook_id", read_only=True)
    key_terms = serializers.ListField(child=serializers.CharField(), read_only=True)
    questions = serializers.ListField(child=serializers.JSONField(), read_only=True, help_text=_('Objects like {"text": "..."}.'))

    class Meta:
        model = Paragraph
        fields = [
            "id", "textbook", "chapter", "school", "number", "sort_order", "title", "content", "summary",
            "learning_objective", "lesson_objective", "key_terms", "questions",
        ]


def confidence_field(**options):
    return serializers.DecimalField(
        max_digits=3, decimal_places=2, min_value=0, max_value=1, coerce_to_string=False,
        help_text=_("How sure the aligner is, 0.00-1.00 (default 1.00)."), **options,
    )


class AlignmentSerializer(ModelSerializer):
    """A paragraph-outcome alignment (ids only)."""

    confidence = confidence_field(read_only=True)
    is_cross_grade = serializers.BooleanField(
        read_only=True, help_text=_("The outcome's grade differs from the textbook's (allowed, shown for review)."),
    )

    class Meta:
        model = ParagraphOutcome
        fields = [
            "id", "paragraph", "outcome", "school", "confidence", "anchor", "notes", "is_cross_grade", "created_by",
            "created_at",
        ]
        read_only_fields = fields


class OutcomeBriefSerializer(ModelSerializer):
    framework_version = FrameworkVersionField(source="framework_id")
    title = InLanguageField("title")

    class Meta:
        model = LearningOutcome
        fields = ["id", "framework", "framework_version", "code", "grade", "title", "title_ru", "title_kz", "is_active"]


class ParagraphOutcomeSerializer(AlignmentSerializer):
    """One of a paragraph's alignments, with its outcome."""

    outcome = OutcomeBriefSerializer(read_only=True)


class TextbookBriefSerializer(TextbookSerializer):
    class Meta(TextbookSerializer.Meta):
        fields = ["id", "school", "is_global", "title", "grade_level", "language"]


class ParagraphBriefSerializer(ModelSerializer):
    textbook = TextbookBriefSerializer(source="chapter.textbook", read_only=True)

    class Meta:
        model = Paragraph
        fields = ["id", "textbook", "chapter", "number", "title"]


class OutcomeParagraphSerializer(AlignmentSerializer):
    """One of an outcome's alignments, with its paragraph and textbook."""

    paragraph = ParagraphBriefSerializer(read_only=True)


# Input

def alignment_text_field(name):
    # The model's limit, so the API and the admin refuse the same lengths.
    return serializers.CharField(
        max_length=ParagraphOutcome._meta.get_field(name).max_length, required=False, allow_blank=True,
    )


class AlignmentUpdateSerializer(serializers.Serializer):
    confidence = confidence_field(required=False)
    anchor = alignment_text_field("anchor")
    notes = alignment_text_field("notes")


class AlignmentCreateSerializer(AlignmentUpdateSerializer):
    paragraph = IdField(help_text=_("Id of a paragraph of your own school's textbook."))
    # With its framework: the alignment's check compares the framework's subject with the textbook's.
    outcome = IdRelatedField(queryset=LearningOutcome.objects.select_related("framework"), help_text=_("Learning outcome id."))


class AlignmentItemSerializer(AlignmentUpdateSerializer):
    outcome = IdField(help_text=_("Learning outcome id."))


class AlignmentsReplaceSerializer(serializers.Serializer):
    alignments = AlignmentItemSerializer(many=True, help_text=_("The paragraph's whole new set; an empty list removes all."))

    def validate_alignments(self, items):
        """Resolve every outcome id in one query; an unknown id names its item."""
        outcomes = LearningOutcome.objects.select_related("framework").in_bulk([item["outcome"] for item in items])
        errors = {
            f"{index}.outcome": [gettext("Learning outcome %(id)s does not exist.") % {"id": item["outcome"]}]
            for index, item in enumerate(items) if item["outcome"] not in outcomes
        }
        if errors:
            raise serializers.ValidationError(errors)
        if paragraph := self.context.get("paragraph"):
            # The model's rules (an outcome of the textbook's subject), named by item; the service checks again.
            for index, item in enumerate(items):
                try:
                    ParagraphOutcome(paragraph=paragraph, outcome=outcomes[item["outcome"]]).clean()
                except DjangoValidationError as error:
                    errors.update({f"{index}.{name}": messages for name, messages in error.message_dict.items()})
        if errors:
            raise serializers.ValidationError(errors)
        return [{**item, "outcome": outcomes[item["outcome"]]} for item in items]


class ParagraphAlignmentsSerializer(serializers.Serializer):
    alignments = ParagraphOutcomeSerializer(many=True, read_only=True)


class TextbookForkSerializer(serializers.Serializer):
    school = IdRelatedField(
        queryset=School.objects.all(), required=False,
        help_text=_("Methodologists only: the school to copy into. School staff always copy into their own school."),
    )
