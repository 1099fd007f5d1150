from django.core.validators import RegexValidator
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from apikit.fields import ModelSerializer
from languages import text_in_language
from curriculum.codes import SUBJECT_CODE
from curriculum.models import Framework, LearningOutcome, Section, Subject, Subsection


@extend_schema_field(OpenApiTypes.STR)
class InLanguageField(serializers.Field):
    """`<base>_ru`/`_kz` in the request's language (Accept-Language, as every API answer; languages.py decides):
    the other language's text where that one is missing. Read-only; writes use the `_ru`/`_kz` fields."""

    def __init__(self, base, **kwargs):
        super().__init__(source="*", read_only=True, **kwargs)
        self.base = base

    def to_representation(self, value):
        return text_in_language(value, self.base).text


class SubjectSerializer(ModelSerializer):
    name = InLanguageField("name")

    class Meta:
        model = Subject
        fields = ["id", "code", "name", "name_ru", "name_kz", "grade_from", "grade_to", "is_active"]
        extra_kwargs = {
            "code": {"validators": [RegexValidator(SUBJECT_CODE, _("Use lower-case latin letters, digits and _ (e.g. history_kz)."))]},
        }


class FrameworkSerializer(ModelSerializer):
    title = InLanguageField("title")

    class Meta:
        model = Framework
        fields = [
            "id", "code", "subject", "title", "title_ru", "title_kz", "document_type", "order_number", "order_date",
            "ministry_ru", "ministry_kz", "appendix_number", "amendments", "valid_from", "valid_to", "is_active",
        ]


class SectionSerializer(ModelSerializer):
    name = InLanguageField("name")

    class Meta:
        model = Section
        fields = ["id", "framework", "code", "name", "name_ru", "name_kz", "description_ru", "description_kz", "display_order", "is_active"]


class SubsectionSerializer(ModelSerializer):
    framework = serializers.IntegerField(source="section.framework_id", read_only=True)
    name = InLanguageField("name")

    class Meta:
        model = Subsection
        fields = [
            "id", "framework", "section", "code", "name", "name_ru", "name_kz", "description_ru", "description_kz",
            "display_order", "is_active",
        ]


class LearningOutcomeSerializer(ModelSerializer):
    section = serializers.IntegerField(source="subsection.section_id", read_only=True)
    title = InLanguageField("title")

    class Meta:
        model = LearningOutcome
        fields = [
            "id", "framework", "section", "subsection", "grade", "code", "title", "title_ru", "title_kz", "description_ru",
            "description_kz", "cognitive_level", "display_order", "is_sample", "is_active",
        ]


class FrameworkBriefSerializer(ModelSerializer):
    title = InLanguageField("title")

    class Meta:
        model = Framework
        fields = ["id", "code", "title", "title_ru", "title_kz"]


class SectionBriefSerializer(ModelSerializer):
    name = InLanguageField("name")

    class Meta:
        model = Section
        fields = ["id", "code", "name", "name_ru", "name_kz"]


class SubsectionBriefSerializer(SectionBriefSerializer):
    class Meta(SectionBriefSerializer.Meta):
        model = Subsection


class LearningOutcomeDetailSerializer(LearningOutcomeSerializer):
    """An outcome with its place in the standard spelled out."""

    framework = FrameworkBriefSerializer(read_only=True)
    section = SectionBriefSerializer(source="subsection.section", read_only=True)
    subsection = SubsectionBriefSerializer(read_only=True)


# The structure of a framework: one nested, read-only tree.

class StructureOutcomeSerializer(ModelSerializer):
    title = InLanguageField("title")

    class Meta:
        model = LearningOutcome
        fields = ["id", "code", "grade", "title", "title_ru", "title_kz", "cognitive_level", "is_active"]


class StructureSubsectionSerializer(ModelSerializer):
    outcomes = StructureOutcomeSerializer(many=True, read_only=True)
    name = InLanguageField("name")

    class Meta:
        model = Subsection
        fields = ["id", "code", "name", "name_ru", "name_kz", "is_active", "outcomes"]


class StructureSectionSerializer(ModelSerializer):
    subsections = StructureSubsectionSerializer(many=True, read_only=True)
    name = InLanguageField("name")

    class Meta:
        model = Section
        fields = ["id", "code", "name", "name_ru", "name_kz", "is_active", "subsections"]


class FrameworkStructureSerializer(FrameworkSerializer):
    subject = SubjectSerializer(read_only=True)
    sections = StructureSectionSerializer(many=True, read_only=True)

    class Meta(FrameworkSerializer.Meta):
        fields = [*FrameworkSerializer.Meta.fields, "sections"]
