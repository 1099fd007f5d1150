import django_filters
from django.utils.translation import gettext_lazy as _

from apikit.filters import BooleanFilter, IntegerFilter
from curriculum.codes import MAX_GRADE, MIN_GRADE, grade_help
from curriculum.models import Crosswalk, Framework, Section, Subject, Subsection
from curriculum.selectors import learning_outcome_list


class SubjectFilter(django_filters.FilterSet):
    is_active = BooleanFilter(help_text=_("Only active (true) or inactive (false) subjects."))

    class Meta:
        model = Subject
        fields = ["is_active"]


class FrameworkFilter(django_filters.FilterSet):
    subject = IntegerFilter(help_text=_("Subject id."))
    is_active = BooleanFilter()

    class Meta:
        model = Framework
        fields = ["subject", "is_active"]


class SectionFilter(django_filters.FilterSet):
    framework = IntegerFilter(help_text=_("Framework id."))
    is_active = BooleanFilter()

    class Meta:
        model = Section
        fields = ["framework", "is_active"]


class SubsectionFilter(django_filters.FilterSet):
    framework = IntegerFilter(field_name="section__framework", help_text=_("Framework id.")
    )
    section = IntegerFilter(help_text=_("Section id."))
    is_active = BooleanFilter()

    class Meta:
        model = Subsection
        fields = ["framework", "section", "is_active"]


class LearningOutcomeFilter(django_filters.FilterSet):
    """The filters validate the query string and describe it in the OpenAPI schema; the selector
    does the filtering."""

    framework = IntegerFilter(help_text=_("Framework id."))
    grade = IntegerFilter(min_value=MIN_GRADE, max_value=MAX_GRADE, help_text=grade_help())
    section = IntegerFilter(help_text=_("Section id."))
    subsection = IntegerFilter(help_text=_("Subsection id."))
    code = django_filters.CharFilter(
        max_length=30, help_text=_('Code prefix in whole segments: "7.2.1" finds 7.2.1.1 and 7.2.1.12, not 7.2.10.1.')
    )
    is_active = BooleanFilter()
    search = django_filters.CharFilter(
        max_length=200, help_text=_("Text to find in the Russian or Kazakh wording (case-insensitive).")
    )

    def filter_queryset(self, queryset):
        given = {name: value for name, value in self.form.cleaned_data.items() if value not in (None, "")}
        if "code" in given:
            given["code_prefix"] = given.pop("code")
        return learning_outcome_list(outcomes=queryset, **given)


class CrosswalkFilter(django_filters.FilterSet):
    outcome = IntegerFilter(help_text=_("Learning outcome id."))
    framework = IntegerFilter(field_name="outcome__framework", help_text=_("GOSO framework id."))
    external_framework = IntegerFilter(field_name="external_item__framework", help_text=_("External framework id."))

    class Meta:
        model = Crosswalk
        fields = ["outcome", "framework", "external_framework"]
