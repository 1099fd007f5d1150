"""Demo data for `./dev run`: the real GOSO frameworks and textbook from shared/data, two schools with
their hosts and staff, a fork and some alignments. Safe to run again: nothing is duplicated."""

from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings
from django.db.models import Count

from curriculum.importing import goso_file_import
from curriculum.models import Framework, LearningOutcome
from tenants.context import super_admin_context
from tenants.models import Domain, Role, School, User
from textbooks.importing import textbook_file_import
from textbooks.models import Paragraph, ParagraphOutcome, Textbook
from textbooks.services import alignment_create, textbook_fork

DEMO_SCHOOLS = [
    # code, Russian name, Kazakh name, host
    ("school-1", "Школа-гимназия № 1 (демо)", "№ 1 мектеп-гимназия (демо)", "school-1.localhost"),
    ("school-2", "Средняя школа № 2 (демо)", "№ 2 орта мектеп (демо)", "school-2.localhost"),
]
DEMO_USERS = [
    # username, password, role, school code
    ("methodologist", "demo-methodologist", Role.METHODOLOGIST, None),
    ("school1_admin", "demo-school1", Role.SCHOOL_ADMIN, "school-1"),
    ("school1_teacher", "demo-school1", Role.TEACHER, "school-1"),
    ("school2_admin", "demo-school2", Role.SCHOOL_ADMIN, "school-2"),
]
DEMO_TEXTBOOK_FILE = "history_kz_7_ru.json"
ALIGNED_PARAGRAPHS = 12  # of the global demo textbook


@dataclass
class DemoReport:
    lines: list[str] = field(default_factory=list)

    def add(self, line: str) -> None:
        self.lines.append(line)


def demo_data_load(*, data_dir: Path | None = None) -> DemoReport:
    data_dir = Path(data_dir or settings.SHARED_DATA_DIR)
    if not (data_dir / "goso").is_dir():
        raise FileNotFoundError(f"Demo data not found: {data_dir / 'goso'} (set SHARED_DATA_DIR to the shared/data folder).")
    report = DemoReport()
    imports = [goso_file_import(path=path) for path in sorted((data_dir / "goso").glob("*.json"))]
    changed = [result for result in imports if result.changes_anything]
    report.add(f"GOSO frameworks: {len(imports)} files, {len(changed)} imported or updated")
    with super_admin_context():
        report.add(f"sample outcomes added: {_add_sample_outcomes()}")
        textbook, _report = textbook_file_import(path=data_dir / "textbooks" / DEMO_TEXTBOOK_FILE)
        schools = _ensure_schools()
        _ensure_users(schools)
        report.add(f"alignments added to the global textbook: {_align_global_textbook(textbook)}")
        if not Textbook.objects.filter(school=schools["school-1"], global_textbook=textbook).exists():
            textbook_fork(textbook=textbook, school=schools["school-1"])
            report.add(f"forked “{textbook.title}” into {schools['school-1']}")
    return report


def _add_sample_outcomes() -> int:
    """Most source files carry no outcome texts: give every grade without outcomes one sample
    outcome per subsection, marked as a sample, so that alignment and coverage can be tried."""
    frameworks = Framework.objects.select_related("subject").prefetch_related("sections__subsections")
    graded = set(LearningOutcome.objects.values_list("framework_id", "grade").annotate(Count("id")).values_list("framework_id", "grade"))
    new = []
    for framework in frameworks:
        for grade in range(framework.subject.grade_from, framework.subject.grade_to + 1):
            if (framework.pk, grade) in graded:
                continue
            for section in framework.sections.all():
                for subsection in section.subsections.all():
                    new.append(LearningOutcome(
                        framework=framework, subsection=subsection, grade=grade, code=f"{grade}.{subsection.code}.1",
                        title_ru=f"[Образец] {subsection.name_ru}: цель обучения для {grade} класса",
                        title_kz=f"[Үлгі] {subsection.name_kz or subsection.name_ru}: {grade}-сыныпқа арналған оқу мақсаты",
                        is_sample=True,
                    ))
    LearningOutcome.objects.bulk_create(new)
    return len(new)


def _ensure_schools() -> dict[str, School]:
    schools = {}
    for code, name_ru, name_kz, host in DEMO_SCHOOLS:
        school, _ = School.objects.get_or_create(code=code, defaults={"name_ru": name_ru, "name_kz": name_kz})
        Domain.objects.get_or_create(domain=host, defaults={"tenant": school, "is_primary": True})
        schools[code] = school
    return schools


def _ensure_users(schools: dict[str, School]) -> None:
    for username, password, role, school_code in DEMO_USERS:
        if User.objects.filter(username=username).exists():
            continue
        User.objects.create_user(
            username=username, password=password, role=role, school=schools.get(school_code), is_staff=True,
            is_superuser=role == Role.METHODOLOGIST,
        )


def _align_global_textbook(textbook: Textbook) -> int:
    if ParagraphOutcome.objects.filter(paragraph__chapter__textbook=textbook).exists():
        return 0
    outcomes = list(
        LearningOutcome.objects.filter(framework__subject=textbook.subject, grade=textbook.grade_level).order_by("code_sort")
    )
    paragraphs = list(Paragraph.objects.filter(chapter__textbook=textbook).order_by("chapter__number", "number")[:ALIGNED_PARAGRAPHS])
    if not outcomes:
        return 0
    methodologist = User.objects.filter(role=Role.METHODOLOGIST).first()
    for index, paragraph in enumerate(paragraphs):
        alignment_create(paragraph=paragraph, outcome=outcomes[index % len(outcomes)], created_by=methodologist)
    return len(paragraphs)
