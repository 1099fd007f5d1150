import django_filters
from django.utils.translation import gettext_lazy as _

from apikit.filters import BooleanFilter, IntegerFilter
from curriculum.codes import MAX_GRADE, MIN_GRADE, grade_help
from textbooks.models import Chapter, Language, Paragraph, ParagraphOutcome, Textbook


class TextbookFilter(django_filters.FilterSet):
    subject = IntegerFilter(help_text=_("Subject id."))
    grade_level = IntegerFilter(min_value=MIN_GRADE, max_value=MAX_GRADE, help_text=grade_help())
    language = django_filters.ChoiceFilter(choices=Language.choices)
    school = IntegerFilter(help_text=_("School id (only textbooks you can see are ever listed).")
    )
    is_global = BooleanFilter(
        field_name="school", lookup_expr="isnull", help_text=_("Global (national) textbooks only, or schools' only.")
    )
    is_active = BooleanFilter()

    class Meta:
        model = Textbook
        fields = ["subject", "grade_level", "language", "school", "is_global", "is_active"]


class ChapterFilter(django_filters.FilterSet):
    textbook = IntegerFilter(field_name="textbook_id", help_text=_("Textbook id."))

    class Meta:
        model = Chapter
        fields = ["textbook"]


class ParagraphFilter(django_filters.FilterSet):
    textbook = IntegerFilter(field_name="chapter__textbook_id", help_text=_("Textbook id."))
    chapter = IntegerFilter(field_name="chapter_id", help_text=_("Chapter id."))

    class Meta:
        model = Paragraph
        fields = ["textbook", "chapter"]


class AlignmentFilter(django_filters.FilterSet):
    paragraph = IntegerFilter(field_name="paragraph_id", help_text=_("Paragraph id."))
    outcome = IntegerFilter(help_text=_("Learning outcome id."))
    textbook = IntegerFilter(field_name="paragraph__chapter__textbook_id", help_text=_("Textbook id."))

    class Meta:
        model = ParagraphOutcome
        fields = ["paragraph", "outcome", "textbook"]
