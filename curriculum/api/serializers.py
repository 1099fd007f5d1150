from django.core.validators import RegexValidator
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from apikit.fields import ModelSerializer
from languages import text_in_language
from curriculum.codes import SUBJECT_CODE
from curriculum.models import Crosswalk, ExternalItem, Framework, LearningOutcome, Section, Subject, Subsection
from curriculum.versions import VersionLabels


class FrameworkVersionSerializer(serializers.Serializer):
    """Which version of its framework a row belongs to (for the OpenAPI schema of FrameworkVersionField)."""

    id = serializers.IntegerField()
    code = serializers.CharField()
    number = serializers.IntegerField(help_text=_("1 for the first version, 2 for the next one..."))
    label = serializers.CharField(help_text=_("Subject, year and version, e.g. “История Казахстана (2022, v2)”."))
    is_current = serializers.BooleanField(help_text=_("No newer version supersedes it."))
    superseded_by = serializers.IntegerField(allow_null=True, help_text=_("The next version's id (null if current)."))
    current_version = serializers.IntegerField(help_text=_("The id of the newest version of this framework."))


def version_of(framework_id, labels) -> dict:
    version = labels[framework_id]
    return {
        "id": version.id, "code": version.code, "number": version.number, "label": version.label,
        "is_current": not version.is_superseded, "superseded_by": version.next_id, "current_version": version.current_id,
    }


@extend_schema_field(FrameworkVersionSerializer)
class FrameworkVersionField(serializers.Field):
    """A framework id shown as its version (one query per response: the labels are shared)."""

    def __init__(self, **kwargs):
        super().__init__(read_only=True, **kwargs)

    def to_representation(self, framework_id):
        root = self.root
        if not hasattr(root, "_version_labels"):
            root._version_labels = VersionLabels()
        return version_of(framework_id, root._version_labels)


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
            "version",
        ]

    version = FrameworkVersionField(source="pk")


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
    framework_version = FrameworkVersionField(source="framework_id")

    class Meta:
        model = LearningOutcome
        fields = [
            "id", "framework", "framework_version", "section", "subsection", "grade", "code", "title", "title_ru",
            "title_kz", "description_ru", "description_kz", "cognitive_level", "display_order", "is_sample", "is_active",
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
    version = None
    sections = StructureSectionSerializer(many=True, read_only=True)

    class Meta(FrameworkSerializer.Meta):
        # The version is in the framework's own answer: the tree reads the tree only (tests/test_api_queries.py).
        fields = [*(name for name in FrameworkSerializer.Meta.fields if name != "version"), "sections"]


# Version comparison (curriculum.versions.version_compare).

class ComparedOutcomeSerializer(ModelSerializer):
    class Meta:
        model = LearningOutcome
        fields = ["id", "code", "grade", "title_ru", "title_kz"]


class OutcomeChangeSerializer(serializers.Serializer):
    old = ComparedOutcomeSerializer()
    new = ComparedOutcomeSerializer()
    kinds = serializers.ListField(child=serializers.ChoiceField(["changed", "renumbered"]))


class VersionCountsSerializer(serializers.Serializer):
    added = serializers.IntegerField()
    removed = serializers.IntegerField()
    changed = serializers.IntegerField()
    renumbered = serializers.IntegerField()
    unchanged = serializers.IntegerField()


class VersionComparisonSerializer(serializers.Serializer):
    """Outcomes added, removed, changed (text) and renumbered from the older version to the newer."""

    old = FrameworkVersionField(source="old.pk")
    new = FrameworkVersionField(source="new.pk")
    counts = VersionCountsSerializer()
    added = ComparedOutcomeSerializer(many=True)
    removed = ComparedOutcomeSerializer(many=True)
    changed = OutcomeChangeSerializer(many=True)
    renumbered = OutcomeChangeSerializer(many=True)


class CrosswalkSerializer(ModelSerializer):
    """A GOSO outcome linked to an external framework's item (published as a CFAssociation)."""

    external_item = serializers.PrimaryKeyRelatedField(queryset=ExternalItem.objects.filter(is_deprecated=False))
    external_item_code = serializers.CharField(source="external_item.human_coding_scheme", read_only=True)
    external_identifier = serializers.UUIDField(source="external_item.identifier", read_only=True)

    class Meta:
        model = Crosswalk
        fields = ["id", "outcome", "external_item", "external_item_code", "external_identifier", "association_type",
                  "notes", "case_id_ru", "case_id_kk"]
