"""GOSO code and grade rules, the one place they are stated; every path in (models and their
database constraints, admin forms, API, file, spreadsheet and CASE imports) uses them.

A section code is "2", a subsection code "2.1" (it starts with its section's code), an outcome code
grade.section.subsection.number, e.g. "7.2.1.2" (it agrees with its grade and subsection). Codes
sort numerically segment by segment. Violations are reported, never silently fixed. The database
enforces the same rules (check constraints and triggers); these functions give the clear message
before a write is attempted.
"""

import re

from django.core.exceptions import ValidationError
from django.utils.functional import lazy
from django.utils.translation import gettext as _

# Grades of Kazakhstan's schools; a subject narrows them (Subject.grade_from..grade_to).
MIN_GRADE = 1
MAX_GRADE = 11

# The patterns are POSIX-compatible, so the database's check constraints use the same strings
# (curriculum/models.py); tests/test_domain_rules.py compares them with the live constraints.
_SEGMENT = r"[1-9][0-9]*"
SECTION_CODE = rf"^{_SEGMENT}$"
SUBSECTION_CODE = rf"^{_SEGMENT}\.{_SEGMENT}$"
OUTCOME_CODE = rf"^{_SEGMENT}\.{_SEGMENT}\.{_SEGMENT}\.{_SEGMENT}$"
SUBJECT_CODE = r"^[a-z][a-z0-9_]*$"
SECTION_CODE_RE = re.compile(SECTION_CODE)
SUBSECTION_CODE_RE = re.compile(SUBSECTION_CODE)
OUTCOME_CODE_RE = re.compile(OUTCOME_CODE)
SUBJECT_CODE_RE = re.compile(SUBJECT_CODE)


def _grade_help() -> str:
    return _("Grade (%(lowest)s-%(highest)s).") % {"lowest": MIN_GRADE, "highest": MAX_GRADE}


grade_help = lazy(_grade_help, str)  # the help text of a grade filter or field


def code_sort_key(code: str) -> tuple[int, ...]:
    """'7.2.10.1' -> (7, 2, 10, 1); malformed segments sort last."""
    return tuple(int(part) if part.isdigit() else 10**9 for part in str(code).split("."))


def section_code_error(code: str) -> str | None:
    if not isinstance(code, str) or not SECTION_CODE_RE.match(code):
        return _('"%(code)s" is not a section code (a number such as "2")') % {"code": code}
    return None


def subsection_code_error(code: str, *, section_code: str) -> str | None:
    if not isinstance(code, str) or not SUBSECTION_CODE_RE.match(code):
        return _('"%(code)s" is not a subsection code (section.number, such as "2.1")') % {"code": code}
    if code.split(".")[0] != section_code:
        return _('"%(code)s" does not start with its section code "%(section)s"') % {
            "code": code, "section": section_code,
        }
    return None


def outcome_code_error(code: str, *, grade: int, subsection_code: str) -> str | None:
    if not isinstance(code, str) or not OUTCOME_CODE_RE.match(code):
        return _('"%(code)s" is not a learning outcome code (grade.section.subsection.number, such as "7.2.1.2")') % {
            "code": code,
        }
    expected_prefix = f"{grade}.{subsection_code}"
    if code.rsplit(".", 1)[0] != expected_prefix:
        return _('"%(code)s" does not agree with grade %(grade)s and subsection "%(subsection)s" (expected %(prefix)s.N)') % {
            "code": code, "grade": grade, "subsection": subsection_code, "prefix": expected_prefix,
        }
    return None


def grade_error(grade, *, lowest: int = MIN_GRADE, highest: int = MAX_GRADE) -> str | None:
    """A grade outside lowest..highest (1..11 nationally, or the subject's own range): the one
    message for a grade out of range, whatever the path."""
    if isinstance(grade, bool) or not isinstance(grade, int):
        return _('"%(grade)s" is not a grade (a whole number)') % {"grade": grade}
    if not lowest <= grade <= highest:
        return _("grade %(grade)s is out of range (%(lowest)s-%(highest)s)") % {
            "grade": grade, "lowest": lowest, "highest": highest,
        }
    return None


def validate_grade(value) -> None:
    """The validator of every grade field: forms, serializers and full_clean() say what importers say."""
    if error := grade_error(value):
        raise ValidationError(error, code="grade_range")
