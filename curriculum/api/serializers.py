from django.core.validators import RegexValidator
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from apikit.fields import ModelSerializer
from curriculum.codes import SUBJECT_CODE
from curriculum.models import Crosswalk, ExternalItem, Framework, LearningOutcome, Section, Subject, Subsection


class SubjectSerializer(ModelSerializer):
    class Meta:
        model = Subject
        fields = ["id", "code", "name_ru", "name_kz", "grade_from", "grade_to", "is_active"]
        extra_kwargs = {
            "code": {"validators": [RegexValidator(SUBJECT_CODE, _("Use lower-case latin letters, digits and _ (e.g. history_kz)."))]},
        }


class FrameworkSerializer(ModelSerializer):
    class Meta:
        model = Framework
        fields = [
            "id", "code", "subject", "title_ru", "title_kz", "document_type", "order_number", "order_date",
            "ministry_ru", "ministry_kz", "appendix_number", "amendments", "valid_from", "valid_to", "is_active",
        ]


class SectionSerializer(ModelSerializer):
    class Meta:
        model = Section
        fields = ["id", "framework", "code", "name_ru", "name_kz", "description_ru", "description_kz", "display_order", "is_active"]


class SubsectionSerializer(ModelSerializer):
    framework = serializers.IntegerField(source="section.framework_id", read_only=True)

    class Meta:
        model = Subsection
        fields = [
            "id", "framework", "section", "code", "name_ru", "name_kz", "description_ru", "description_kz",
            "display_order", "is_active",
        ]


class LearningOutcomeSerializer(ModelSerializer):
    section = serializers.IntegerField(source="subsection.section_id", read_only=True)

    class Meta:
        model = LearningOutcome
        fields = [
            "id", "framework", "section", "subsection", "grade", "code", "title_ru", "title_kz", "description_ru",
            "description_kz", "cognitive_level", "display_order", "is_sample", "is_active",
        ]


class FrameworkBriefSerializer(ModelSerializer):
    class Meta:
        model = Framework
        fields = ["id", "code", "title_ru", "title_kz"]


class SectionBriefSerializer(ModelSerializer):
    class Meta:
        model = Section
        fields = ["id", "code", "name_ru", "name_kz"]


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
    class Meta:
        model = LearningOutcome
        fields = ["id", "code", "grade", "title_ru", "title_kz", "cognitive_level", "is_active"]


class StructureSubsectionSerializer(ModelSerializer):
    outcomes = StructureOutcomeSerializer(many=True, read_only=True)

    class Meta:
        model = Subsection
        fields = ["id", "code", "name_ru", "name_kz", "is_active", "outcomes"]


class StructureSectionSerializer(ModelSerializer):
    subsections = StructureSubsectionSerializer(many=True, read_only=True)

    class Meta:
        model = Section
        fields = ["id", "code", "name_ru", "name_kz", "is_active", "subsections"]


class FrameworkStructureSerializer(FrameworkSerializer):
    subject = SubjectSerializer(read_only=True)
    sections = StructureSectionSerializer(many=True, read_only=True)

    class Meta(FrameworkSerializer.Meta):
        fields = [*FrameworkSerializer.Meta.fields, "sections"]


class CrosswalkSerializer(ModelSerializer):
    """A GOSO outcome linked to an external framework's item (published as a CFAssociation)."""

    external_item = serializers.PrimaryKeyRelatedField(queryset=ExternalItem.objects.filter(is_deprecated=False))
    external_item_code = serializers.CharField(source="external_item.human_coding_scheme", read_only=True)
    external_identifier = serializers.UUIDField(source="external_item.identifier", read_only=True)

    class Meta:
        model = Crosswalk
        fields = ["id", "outcome", "external_item", "external_item_code", "external_identifier", "association_type",
                  "notes", "case_id_ru", "case_id_kk"]
